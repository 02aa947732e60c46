from django.urls import path

from . import views

app_name = "deskbt"
urlpatterns = [
    path("", views.DeskBacktestListCreateApi.as_view(), name="list"),
    path("sweep/", views.DeskSweepCreateApi.as_view(), name="sweep"),
    path("<int:pk>/", views.DeskBacktestDetailApi.as_view(), name="detail"),
    path("<int:pk>/audit/", views.DeskBacktestAuditApi.as_view(), name="audit"),
    path("<int:pk>/trades/", views.DeskBacktestTradesApi.as_view(), name="trades"),
    path("<int:pk>/cancel/", views.DeskBacktestCancelApi.as_view(), name="cancel"),
]
