from django.urls import path

from . import views

app_name = "binance"
urlpatterns = [
    path("connect/", views.ConnectApi.as_view(), name="connect"),
    path("status/", views.StatusApi.as_view(), name="status"),
    path("ohlcv/", views.OhlcvApi.as_view(), name="ohlcv"),
    path("syncs/", views.SyncListCreateApi.as_view(), name="syncs"),
    path("syncs/<int:pk>/", views.SyncDetailApi.as_view(), name="sync"),
    path("syncs/<int:pk>/cancel/", views.SyncCancelApi.as_view(), name="sync_cancel"),
    path("schedules/", views.ScheduleListCreateApi.as_view(), name="schedules"),
    path("schedules/<int:pk>/", views.ScheduleDetailApi.as_view(), name="schedule"),
]
