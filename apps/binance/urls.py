from django.urls import path

from . import views

app_name = "binance"
urlpatterns = [
    path("", views.settings_view, name="settings"),
    path("syncs/<int:pk>/cancel/", views.sync_cancel_view, name="sync_cancel"),
]
