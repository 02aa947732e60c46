from django.urls import path

from . import views

app_name = "deskbt"
urlpatterns = [
    path("", views.desk_backtest_list_view, name="list"),
    path("new/", views.desk_backtest_new_view, name="create"),
    path("<int:pk>/", views.desk_backtest_detail_view, name="detail"),
    path("<int:pk>/cancel/", views.desk_backtest_cancel_view, name="cancel"),
]
