from django.urls import path

from . import views

app_name = "agents"
urlpatterns = [
    path("", views.AgentListCreateApi.as_view(), name="list"),
    path("predictions/", views.AgentPredictionsApi.as_view(), name="predictions"),
    path("<int:pk>/", views.AgentDetailApi.as_view(), name="detail"),
    path("<int:pk>/signals/", views.AgentSignalsApi.as_view(), name="signals"),
    path("<str:symbol>/predict/", views.AgentPredictApi.as_view(), name="predict"),
]
