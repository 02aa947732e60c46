from django.urls import path

from . import views

app_name = "backtests"
urlpatterns = [
    path("", views.backtest_list_view, name="list"),
    path("new/", views.backtest_new_view, name="create"),
    path("compare/", views.backtest_compare_view, name="compare"),
    path("<int:pk>/export/", views.backtest_export_view, name="export"),
    path("sweeps/<int:pk>/export/", views.sweep_export_view, name="sweep_export"),
    path("<int:pk>/", views.backtest_detail_view, name="detail"),
    path("<int:pk>/cancel/", views.backtest_cancel_view, name="cancel"),
    path("<int:pk>/rerun/", views.backtest_rerun_view, name="rerun"),
    path("<int:pk>/clone/", views.backtest_clone_view, name="clone"),
    path("<int:pk>/delete/", views.backtest_delete_view, name="delete"),
    path("sweeps/new/", views.sweep_new_view, name="sweep_create"),
    path("sweeps/<int:pk>/", views.sweep_detail_view, name="sweep"),
    path("sweeps/<int:pk>/cancel/", views.sweep_cancel_view, name="sweep_cancel"),
    path(
        "sweeps/<int:pk>/rows/<int:combo>/open/", views.sweep_row_open_view, name="sweep_row_open"
    ),
    path(
        "sweeps/<int:pk>/rows/<int:combo>/save/", views.sweep_row_save_view, name="sweep_row_save"
    ),
]
