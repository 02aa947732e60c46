from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.throttles import (
    BLOCKED_MESSAGE,
    FAILURE_WINDOW_SECONDS,
    LoginRateThrottle,
    login_blocked,
    login_failed,
)


class TokenCreateApi(APIView):
    """Exchange a username and password for an API token (send it as `Authorization: Token <key>`)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("TokenOutput", fields={"token": serializers.CharField()})
        },
    )
    def post(self, request):
        # The sign-in page's failure lockout applies here too (apps/accounts/throttles.py).
        if login_blocked(request):
            raise Throttled(wait=FAILURE_WINDOW_SECONDS, detail=BLOCKED_MESSAGE)
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            login_failed(request)
            raise ValidationError(serializer.errors)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
