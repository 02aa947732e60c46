from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from apps.core.api.base import ApiView
from apps.core.selectors import liveness, readiness
from apps.core.throttles import AddressRateThrottle


class HealthRateThrottle(AddressRateThrottle):
    """Per client address (the health endpoints take no credentials)."""

    scope = "health"


class ReadinessRateThrottle(HealthRateThrottle):
    scope = "health_ready"


_VERSIONS = {"status": serializers.CharField(), "version": serializers.CharField()}


class HealthApi(ApiView):
    """Liveness: the web process answers. Touches neither the database nor the broker, so
    probes may call it often; open to all, throttled per address (THROTTLE_HEALTH)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [HealthRateThrottle]

    @extend_schema(
        responses={
            (200, "application/json"): inline_serializer(
                "HealthOutput",
                fields={**_VERSIONS, "engine_version": serializers.CharField()},
            )
        }
    )
    def get(self, request):
        return Response(liveness())


class ReadinessApi(ApiView):
    """Readiness: database, broker, workers and Celery beat's last tick (status "ok", "none",
    "stale", "eager" or "error" each). 503 when the database or the broker is unreachable.
    Measured at most every HEALTH_CACHE_SECONDS (`checked_at` says when); open to all,
    throttled per address (THROTTLE_HEALTH_READY)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ReadinessRateThrottle]

    @extend_schema(
        responses={
            (code, "application/json"): inline_serializer(
                name,
                fields={
                    **_VERSIONS,
                    "engine_version": serializers.CharField(),
                    "checked_at": serializers.DateTimeField(),
                    "checks": serializers.DictField(),
                },
            )
            for code, name in ((200, "ReadinessOutput"), (503, "ReadinessErrorOutput"))
        }
    )
    def get(self, request):
        data = readiness()
        return Response(data, status=200 if data["status"] == "ok" else 503)
