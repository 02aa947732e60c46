from django.urls import path, re_path

from . import views

app_name = "portfolio"
urlpatterns = [
    path("", views.portfolio_view, name="index"),
    path("reset/", views.portfolio_reset_view, name="reset"),
    re_path(r"^export/trades\.(?P<fmt>csv|json)$", views.portfolio_export_view, name="export"),
]
