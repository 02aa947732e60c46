from django.urls import path

from .views import HealthApi

app_name = "core"
urlpatterns = [path("health/", HealthApi.as_view(), name="health")]
