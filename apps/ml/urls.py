from django.urls import path

from . import views

app_name = "ml"
urlpatterns = [
    path("", views.model_list_view, name="list"),
    path("<int:pk>/", views.model_detail_view, name="detail"),
    path("<int:pk>/cancel/", views.model_cancel_view, name="cancel"),
    path("<int:pk>/delete/", views.model_delete_view, name="delete"),
]
