from django.urls import path

from .views import TokenApi

app_name = "accounts"
urlpatterns = [path("auth/token/", TokenApi.as_view(), name="token")]
