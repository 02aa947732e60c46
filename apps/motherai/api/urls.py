from django.urls import path

from . import views

app_name = "motherai"
urlpatterns = [
    path("decision/", views.DecisionApi.as_view(), name="decision"),
    path("decisions/", views.DecisionListApi.as_view(), name="decisions"),
    path("decisions/<int:pk>/", views.DecisionDetailApi.as_view(), name="decision_detail"),
    path("decisions/<int:pk>/execute/", views.DecisionExecuteApi.as_view(), name="execute"),
    path("trades/", views.MotherAITradesApi.as_view(), name="trades"),
]
