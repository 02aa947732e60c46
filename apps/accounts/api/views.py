"""API sign-in: POST exchanges a username and password for a new expiring token, DELETE
revokes the token the request was made with."""

from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.auth import TokenAuthentication
from rest_framework import status
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from apps.accounts.services import token_create, token_revoke
from apps.accounts.throttles import LOCKED_MESSAGE, LoginRateThrottle, lockout_seconds_left
from apps.core.api.base import ApiView
from apps.core.schema import error

from .serializers import TokenCreateInputSerializer, TokenCreateOutputSerializer


class TokenApi(ApiView):
    """POST: sign in for an API token (send it as `Authorization: Token <token>`); DELETE:
    revoke the token this request carries."""

    authentication_classes = [TokenAuthentication]

    def perform_authentication(self, request):
        # Signing in reads no credentials but the body's (a stale token sent along must not
        # stop a client from getting a new one); revoking needs the token itself.
        if request.method == "DELETE":
            request.user  # noqa: B018 - authenticates, or raises 401

    def get_permissions(self):
        if self.request.method == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    def get_throttles(self):
        if self.request.method == "POST":
            return [LoginRateThrottle()]
        return []

    @extend_schema(
        auth=[],
        request=TokenCreateInputSerializer,
        responses={200: TokenCreateOutputSerializer},
        description="Sign in for a new API token, valid until `expiry`; send it as "
        "`Authorization: Token <token>`. Too many attempts from one address, or too many "
        "failed ones for one account from one address, answer 429 with the true `Retry-After`.",
    )
    def post(self, request):
        serializer = TokenCreateInputSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False):
                # DRF appends "Expected available in N seconds." and sets Retry-After.
                raise Throttled(wait=lockout_seconds_left(request), detail=LOCKED_MESSAGE)
            raise ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        instance, token = token_create(user=user)
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response(
            TokenCreateOutputSerializer({"token": token, "expiry": instance.expiry}).data
        )

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="The token is revoked."),
            401: error("No valid token in `Authorization: Token <token>`."),
        },
    )
    def delete(self, request):
        token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)
