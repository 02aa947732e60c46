from django.urls import path

from . import views

app_name = "replay"
urlpatterns = [
    path("sessions/", views.ReplayListCreateApi.as_view(), name="list"),
    path("sessions/<int:pk>/", views.ReplayDetailApi.as_view(), name="detail"),
    path("sessions/<int:pk>/live/", views.ReplayLiveApi.as_view(), name="live"),
    path("sessions/<int:pk>/steps/", views.ReplayStepsApi.as_view(), name="steps"),
    path("sessions/<int:pk>/<str:action>/", views.ReplayControlApi.as_view(), name="control"),
]
