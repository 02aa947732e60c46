from django.urls import path

from .views import HealthApi, ReadinessApi

app_name = "core"
urlpatterns = [
    path("health/", HealthApi.as_view(), name="health"),
    path("health/ready/", ReadinessApi.as_view(), name="ready"),
]
