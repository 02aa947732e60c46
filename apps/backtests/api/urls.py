from django.urls import path

from . import views

app_name = "backtests"
urlpatterns = [
    path("", views.BacktestListCreateApi.as_view(), name="list"),
    path("results/", views.BacktestResultsApi.as_view(), name="results"),
    path("sweeps/", views.SweepListCreateApi.as_view(), name="sweeps"),
    path("sweeps/<int:pk>/", views.SweepDetailApi.as_view(), name="sweep"),
    path("sweeps/<int:pk>/cancel/", views.SweepCancelApi.as_view(), name="sweep_cancel"),
    path(
        "sweeps/<int:pk>/rows/<int:combo>/backtest/",
        views.SweepRowBacktestApi.as_view(),
        name="sweep_row_backtest",
    ),
    path(
        "sweeps/<int:pk>/rows/<int:combo>/save/",
        views.SweepRowSaveApi.as_view(),
        name="sweep_row_save",
    ),
    path("<int:pk>/", views.BacktestDetailApi.as_view(), name="detail"),
    path("<int:pk>/trades/", views.BacktestTradesApi.as_view(), name="trades"),
    path("<int:pk>/equity/", views.BacktestEquityApi.as_view(), name="equity"),
    path("<int:pk>/cancel/", views.BacktestCancelApi.as_view(), name="cancel"),
]
