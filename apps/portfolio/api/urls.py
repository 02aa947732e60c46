from django.urls import path

from . import views

app_name = "portfolio"
urlpatterns = [
    path("", views.PortfolioStateApi.as_view(), name="state"),
    path("portfolios/", views.PortfolioListCreateApi.as_view(), name="portfolios"),
    path("reset/", views.PortfolioResetApi.as_view(), name="reset"),
    path("orders/", views.OrderListCreateApi.as_view(), name="orders"),
    path("trades/", views.TradeLogListApi.as_view(), name="trades"),
    path("performance/", views.PerformanceApi.as_view(), name="performance"),
]
