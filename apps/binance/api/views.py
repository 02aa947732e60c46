from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.binance import client
from apps.binance.models import BinanceCredential, KlineSync, SyncSchedule
from apps.binance.services import (
    credential_connect,
    credential_disconnect,
    kline_sync_start,
    ohlcv_fetch,
    schedule_save,
    schedule_update,
)
from apps.core.api.base import ApiGenericView
from apps.core.api.jobs import job_cancel_response
from apps.core.schema import error
from apps.marketdata.api.serializers import CandlesOutputSerializer
from apps.marketdata.selectors import candles_payload

from .serializers import (
    ConnectInputSerializer,
    OhlcvQuerySerializer,
    ScheduleInputSerializer,
    ScheduleOutputSerializer,
    ScheduleUpdateSerializer,
    StatusOutputSerializer,
    SyncInputSerializer,
    SyncOutputSerializer,
)


def _status(user) -> dict:
    cred = BinanceCredential.objects.filter(owner=user).first()
    if cred is None:
        return {
            "connected": False,
            "key_hint": None,
            "status": None,
            "validated_at": None,
            "permissions": None,
        }
    return {
        "connected": True,
        "key_hint": cred.key_hint,
        "status": cred.status,
        "validated_at": cred.validated_at,
        "permissions": cred.permissions,
    }


class ConnectApi(ApiGenericView):
    """Connect your Binance key (the original /connect: apiKey, secretKey). It is checked with a
    signed account call, refused if it allows withdrawals, and stored encrypted; only a
    masked hint is ever shown. DELETE disconnects."""

    serializer_class = ConnectInputSerializer
    queryset = BinanceCredential.objects.none()

    @extend_schema(request=ConnectInputSerializer, responses={201: StatusOutputSerializer})
    def post(self, request):
        data = ConnectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credential_connect(
            owner=request.user,
            api_key=data.validated_data["apiKey"],
            secret=data.validated_data["secretKey"],
        )
        return Response(
            {**_status(request.user), "message": "Connected to Binance"},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses={204: None, 404: error("no key is connected")})
    def delete(self, request):
        if not credential_disconnect(owner=request.user):
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)


class StatusApi(ApiGenericView):
    serializer_class = StatusOutputSerializer
    queryset = BinanceCredential.objects.none()

    def get(self, request):
        return Response(_status(request.user))


_RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    response=[503],
    description="seconds to wait before asking again",
)
_OHLCV_ERRORS = {
    502: error("the exchange answered with an error or could not be reached"),
    503: error("the exchange's rate limit was hit; retry after `Retry-After` seconds"),
}


class OhlcvApi(ApiGenericView):
    """The latest candles from Binance (public endpoint, no key needed). GET only reads them;
    POST (same fields, in the body) also stores the closed ones in the shared market data,
    which needs the 'import candles' permission."""

    serializer_class = OhlcvQuerySerializer
    queryset = KlineSync.objects.none()

    @extend_schema(
        parameters=[OhlcvQuerySerializer, _RETRY_AFTER],
        responses={200: CandlesOutputSerializer, **_OHLCV_ERRORS},
    )
    def get(self, request):
        q = OhlcvQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        return self._answer(request, q.validated_data, store=False)

    @extend_schema(
        request=OhlcvQuerySerializer,
        parameters=[_RETRY_AFTER],
        responses={
            200: CandlesOutputSerializer,
            403: error("not signed in, or without the 'import candles' permission"),
            **_OHLCV_ERRORS,
        },
    )
    def post(self, request):
        q = OhlcvQuerySerializer(data=request.data)
        q.is_valid(raise_exception=True)
        return self._answer(request, q.validated_data, store=True)

    def _answer(self, request, v: dict, *, store: bool) -> Response:
        try:
            frame = ohlcv_fetch(
                symbol=v["symbol"],
                interval=v["interval"],
                limit=v["limit"],
                user=request.user,
                store=store,
            )
        except client.BinanceUnknownSymbol as exc:
            return Response({"symbol": [str(exc)]}, status=400)
        except client.BinanceRateLimited as exc:
            return Response(
                {"detail": str(exc)}, status=503, headers={"Retry-After": str(int(exc.retry_after))}
            )
        except client.BinanceError as exc:
            return Response({"detail": str(exc)}, status=502)
        return Response(
            candles_payload(
                frame, symbol=v["symbol"].upper(), interval=v["interval"], truncated=False
            )
        )


class SyncListCreateApi(ApiGenericView):
    """Sync history into the market data as a job (202 + URL): 1,000 candles a page, resumes
    from the last stored candle, waits out rate limits."""

    ordering_fields = {"created_at": "created_at", "symbol": "symbol", "status": "status"}
    serializer_class = SyncOutputSerializer
    queryset = KlineSync.objects.none()

    @extend_schema(responses=SyncOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(KlineSync.objects.filter(owner=request.user))
        return self.get_paginated_response(SyncOutputSerializer(page, many=True).data)

    @extend_schema(
        request=SyncInputSerializer,
        responses={
            202: SyncOutputSerializer,
            403: error("not signed in, or without the 'import candles' permission"),
        },
    )
    def post(self, request):
        data = SyncInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = kline_sync_start(owner=request.user, **data.validated_data)
        job.refresh_from_db()
        body = SyncOutputSerializer(job).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class SyncDetailApi(ApiGenericView):
    serializer_class = SyncOutputSerializer
    queryset = KlineSync.objects.none()

    def get(self, request, pk: int):
        job = KlineSync.objects.filter(owner=request.user, pk=pk).first()
        if job is None:
            raise Http404
        return Response(SyncOutputSerializer(job).data)


class SyncCancelApi(ApiGenericView):
    """Cancel your queued or running sync (it stops after the page it is fetching; the
    candles stored so far stay). 409 when it has already finished."""

    serializer_class = SyncOutputSerializer
    queryset = KlineSync.objects.none()

    @extend_schema(request=None, responses={200: SyncOutputSerializer, 409: SyncOutputSerializer})
    def post(self, request, pk: int):
        job = KlineSync.objects.filter(owner=request.user, pk=pk).first()
        return job_cancel_response(job, SyncOutputSerializer)


class ScheduleListCreateApi(ApiGenericView):
    """Per-market periodic syncs started by Celery beat (one per symbol and interval; POST
    again for the same market updates it)."""

    ordering_fields = {
        "symbol": ("symbol", "interval"),
        "created_at": "created_at",
        "last_run_at": "last_run_at",
    }
    serializer_class = ScheduleOutputSerializer
    queryset = SyncSchedule.objects.none()

    @extend_schema(responses=ScheduleOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(SyncSchedule.objects.filter(owner=request.user))
        return self.get_paginated_response(ScheduleOutputSerializer(page, many=True).data)

    @extend_schema(
        request=ScheduleInputSerializer,
        responses={
            201: ScheduleOutputSerializer,
            403: error("not signed in, or without the 'import candles' permission"),
        },
    )
    def post(self, request):
        data = ScheduleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        schedule = schedule_save(owner=request.user, **data.validated_data)
        body = ScheduleOutputSerializer(schedule).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})


class ScheduleDetailApi(ApiGenericView):
    serializer_class = ScheduleOutputSerializer
    queryset = SyncSchedule.objects.none()

    def _get(self, request, pk: int) -> SyncSchedule:
        schedule = SyncSchedule.objects.filter(owner=request.user, pk=pk).first()
        if schedule is None:
            raise Http404
        return schedule

    def get(self, request, pk: int):
        return Response(ScheduleOutputSerializer(self._get(request, pk)).data)

    @extend_schema(
        request=ScheduleUpdateSerializer,
        responses={
            200: ScheduleOutputSerializer,
            403: error("not signed in, or without the 'import candles' permission"),
        },
    )
    def patch(self, request, pk: int):
        schedule = self._get(request, pk)
        data = ScheduleUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        schedule = schedule_update(schedule=schedule, **data.validated_data)
        return Response(ScheduleOutputSerializer(schedule).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        self._get(request, pk).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
