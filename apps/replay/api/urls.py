from django.urls import path

from apps.replay.services import CONTROLS

from . import views

app_name = "replay"
urlpatterns = [
    path("sessions/", views.ReplayListCreateApi.as_view(), name="list"),
    path("sessions/<int:pk>/", views.ReplayDetailApi.as_view(), name="detail"),
    path("sessions/<int:pk>/live/", views.ReplayLiveApi.as_view(), name="live"),
    path("sessions/<int:pk>/steps/", views.ReplayStepsApi.as_view(), name="steps"),
    # One route per control (start, resume, pause, step, stop), named after it.
    *(
        path(
            f"sessions/<int:pk>/{action}/",
            views.ReplayControlApi.as_view(),
            {"action": action},
            name=action,
        )
        for action in CONTROLS
    ),
]
