from django.urls import path

from . import views

app_name = "strategies"
urlpatterns = [
    path("", views.strategy_list_view, name="list"),
    path("new/", views.strategy_edit_view, name="create"),
    path("<int:ref>/", views.strategy_detail_view, name="detail"),
    path("<int:ref>/edit/", views.strategy_edit_view, name="edit"),
    path("<int:ref>/delete/", views.strategy_delete_view, name="delete"),
]
