from django.urls import path

from . import views

app_name = "marketdata"
urlpatterns = [
    path("symbols/", views.SymbolListApi.as_view(), name="symbols"),
    path("symbols/<str:name>/", views.SymbolDetailApi.as_view(), name="symbol"),
    path("candles/", views.CandlesApi.as_view(), name="candles"),
    path("imports/", views.CandleImportListCreateApi.as_view(), name="imports"),
    path("imports/<int:pk>/", views.CandleImportDetailApi.as_view(), name="import"),
]
