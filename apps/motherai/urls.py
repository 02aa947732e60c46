from django.urls import path

from . import views

app_name = "motherai"
urlpatterns = [
    path("", views.decision_list_view, name="list"),
    path("<int:pk>/", views.decision_detail_view, name="detail"),
    path("<int:pk>/execute/", views.decision_execute_view, name="execute"),
]
