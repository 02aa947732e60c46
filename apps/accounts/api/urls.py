from django.urls import path

from .views import TokenCreateApi

app_name = "accounts"
urlpatterns = [path("auth/token/", TokenCreateApi.as_view(), name="token")]
