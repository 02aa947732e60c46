from django.urls import path

from . import views

app_name = "portfolio"
urlpatterns = [
    path("", views.portfolio_view, name="index"),
    path("reset/", views.portfolio_reset_view, name="reset"),
    path("export/", views.portfolio_export_view, name="export"),
]
