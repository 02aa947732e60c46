from django.urls import path

from . import views

app_name = "agents"
urlpatterns = [
    path("", views.agent_list_view, name="list"),
    path("<int:pk>/", views.agent_detail_view, name="detail"),
    path("<int:pk>/toggle/", views.agent_toggle_view, name="toggle"),
]
