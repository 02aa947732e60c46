from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.selectors import health_status


class HealthApi(APIView):
    """Liveness and readiness: database, broker (or "eager") and workers. Open to all."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses={
            (200, "application/json"): inline_serializer(
                "HealthOutput",
                fields={
                    "status": serializers.CharField(),
                    "version": serializers.CharField(),
                    "engine_version": serializers.CharField(),
                    "checks": serializers.DictField(),
                },
            ),
            (503, "application/json"): inline_serializer(
                "HealthErrorOutput",
                fields={
                    "status": serializers.CharField(),
                    "version": serializers.CharField(),
                    "engine_version": serializers.CharField(),
                    "checks": serializers.DictField(),
                },
            ),
        }
    )
    def get(self, request):
        data = health_status()
        return Response(data, status=200 if data["status"] == "ok" else 503)
