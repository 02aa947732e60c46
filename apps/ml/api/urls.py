from django.urls import path

from . import views

app_name = "ml"
urlpatterns = [
    path("models/", views.ModelListCreateApi.as_view(), name="models"),
    path("models/<int:pk>/", views.ModelDetailApi.as_view(), name="model"),
    path("models/<int:pk>/cancel/", views.ModelCancelApi.as_view(), name="cancel"),
    path("models/<int:pk>/predict/", views.ModelPredictApi.as_view(), name="predict"),
]
