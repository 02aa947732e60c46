from django.urls import path

from . import views

app_name = "strategies"
urlpatterns = [
    path("", views.StrategyListCreateApi.as_view(), name="list"),
    path("validate/", views.StrategyValidateApi.as_view(), name="validate"),
    path("<str:ref>/", views.StrategyDetailApi.as_view(), name="detail"),
    path("<str:ref>/versions/", views.StrategyVersionListApi.as_view(), name="versions"),
]
