from django.urls import path

from . import views

app_name = "replay"
urlpatterns = [
    path("", views.session_list, name="list"),
    path("<int:pk>/", views.session_detail, name="detail"),
    path("<int:pk>/control/", views.session_control, name="control"),
]
