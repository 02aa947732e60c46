import numpy as np
from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.functional import lazy
from django.utils.text import format_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from apps.core.api.base import ApiGenericView, ApiView
from apps.core.jobs import job_reap_stale
from apps.core.schema import VALIDATION_ERROR, error, error_ref
from apps.marketdata.models import CandleImport, Symbol
from apps.marketdata.permissions import CanImportCandles
from apps.marketdata.selectors import (
    candle_import_list,
    candles_payload,
    candles_read,
    symbol_coverage,
    symbol_list,
)
from apps.marketdata.services import candle_import_create, import_report, upload_limits_text
from apps.marketdata.throttles import UploadRateThrottle
from apps.marketdata.uploads import upload_too_large
from engine.indicators import INDICATORS, compute, lookback

from .serializers import (
    CandleImportInputSerializer,
    CandleImportOutputSerializer,
    CandlesOutputSerializer,
    CandlesQuerySerializer,
    SymbolOutputSerializer,
)


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def _symbol_dict(symbol: Symbol) -> dict:
    return {
        "name": symbol.name,
        "base_asset": symbol.base_asset,
        "quote_asset": symbol.quote_asset,
        "exchange": symbol.exchange,
        "asset_class": symbol.asset_class,
        "coverage": [c.to_dict() for c in symbol_coverage(symbol)],
    }


class SymbolListApi(ApiGenericView):
    """Symbols with their candle coverage per interval (first/last, count, missing, gaps)."""

    ordering_fields = {"name": "name", "created_at": "created_at"}
    serializer_class = SymbolOutputSerializer
    queryset = Symbol.objects.none()

    @extend_schema(responses=SymbolOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(symbol_list())
        return self.get_paginated_response([_symbol_dict(s) for s in page])


class SymbolDetailApi(ApiGenericView):
    serializer_class = SymbolOutputSerializer
    queryset = Symbol.objects.none()
    lookup_url_kwarg = "name"

    def get(self, request, name: str):
        symbol = get_object_or_404(Symbol, name=name.upper())
        return Response(_symbol_dict(symbol))


class CandlesApi(ApiView):
    """Candles as compact arrays, bounded in size: the latest `limit` of the range."""

    @extend_schema(
        parameters=[CandlesQuerySerializer],
        responses={200: CandlesOutputSerializer, 404: error("no such symbol")},
    )
    def get(self, request):
        query = CandlesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        cap = settings.MARKETDATA_CANDLES_MAX_POINTS
        limit = q.get("limit", cap)
        symbol = get_object_or_404(Symbol, name=q["symbol"])
        specs = q.get("indicators") or []
        if not specs:
            frame, source = candles_read(
                symbol=symbol,
                interval=q["interval"],
                start=q.get("start"),
                end=q.get("end"),
                last=limit + 1,
            )
            truncated = len(frame) > limit
            if truncated:
                frame = frame.iloc[1:]
            return Response(
                candles_payload(
                    frame,
                    symbol=symbol,
                    interval=q["interval"],
                    truncated=truncated,
                    source=source,
                )
            )
        # Indicators need history before the first candle shown (EMA-style ones converge),
        # so read `warm` more candles before the range and cut them off afterwards.
        warm = min(5000, max(20 * lookback(name, params) + 100 for name, params in specs))
        frame, source = candles_read(
            symbol=symbol, interval=q["interval"], end=q.get("end"), last=limit + 1 + warm
        )
        in_range = len(frame)
        if q.get("start") is not None and len(frame):
            in_range = len(frame) - int(frame.index.searchsorted(q["start"], side="left"))
        truncated = in_range > limit
        keep = min(in_range, limit)
        lines = {}
        for name, params in specs:
            for line, values in compute(name, frame, params).items():
                label = INDICATORS[name].label(params, None if line == "value" else line)
                lines[label] = [
                    None if not np.isfinite(x) else float(x) for x in values[len(values) - keep :]
                ]
        payload = candles_payload(
            frame.iloc[len(frame) - keep :],
            symbol=symbol,
            interval=q["interval"],
            truncated=truncated,
            source=source,
        )
        payload["indicators"] = lines
        return Response(payload)


class CandleImportListCreateApi(ApiGenericView):
    """POST: upload a candle file (multipart): a finished import answers with its report, a
    large one still running answers 202 with its URL (Location) to poll. GET: your imports."""

    ordering_fields = {"created_at": "created_at", "symbol": "symbol_name", "status": "status"}
    queryset = CandleImport.objects.none()
    serializer_class = CandleImportOutputSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_permissions(self):
        if self.request.method == "POST":
            return [*super().get_permissions(), CanImportCandles()]
        return super().get_permissions()

    def get_throttles(self):
        if self.request.method == "POST":
            return [UploadRateThrottle()]
        return super().get_throttles()

    @extend_schema(responses=CandleImportOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(candle_import_list(user=request.user))
        return self.get_paginated_response([import_report(r) for r in page])

    @extend_schema(
        # Lazy: the limits are read when the schema is generated, not when this module loads.
        description=format_lazy(
            "Upload a candle file (Binance kline CSV or OHLCV CSV with a header; .gz and .zip "
            "accepted). {} Files over a limit are refused before they are parsed (400, the "
            "report names the limit); the upload rate limit (THROTTLE_UPLOAD) is shared with "
            "the upload page. The import is a job: a file of at most {} bytes "
            "(MARKETDATA_IMPORT_INLINE_MAX_BYTES) is imported within the request (201 with "
            "the report, or 400 with the report of a rejected file); a larger one answers "
            "202 with its report so far (status queued or running, progress 0-100, stage) "
            "and its URL in Location, to poll until the status is succeeded, rejected or "
            "failed. A rejected or failed import stores nothing.",
            lazy(upload_limits_text, str)(),
            lazy(lambda: str(settings.MARKETDATA_IMPORT_INLINE_MAX_BYTES), str)(),
        ),
        request={"multipart/form-data": CandleImportInputSerializer},
        responses={
            201: CandleImportOutputSerializer,
            202: OpenApiResponse(
                CandleImportOutputSerializer,
                description="a large file: the import runs as a job; poll Location",
            ),
            400: OpenApiResponse(
                {
                    "oneOf": [
                        {"$ref": "#/components/schemas/CandleImportOutput"},
                        error_ref(VALIDATION_ERROR),
                    ]
                },
                description="invalid fields, or the import report of a rejected file",
            ),
            413: error("the upload is too large", VALIDATION_ERROR),
        },
    )
    def post(self, request):
        cap = settings.MARKETDATA_UPLOAD_MAX_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # Refuse before the body is read: a huge upload never reaches the disk.
        if length > cap + 64 * 1024:
            raise PayloadTooLarge(
                {"file": [f"the upload is {length} bytes; the limit is {cap} bytes"]}
            )
        serializer = CandleImportInputSerializer(data=request.data)
        if upload_too_large(request):  # the parser stopped the file at the cap
            raise PayloadTooLarge({"file": [f"the file is over the limit of {cap} bytes"]})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        record = candle_import_create(
            upload=data["file"],
            symbol=data["symbol"],
            interval=data.get("interval") or None,
            user=request.user,
        )
        report = import_report(record)
        if record.is_active:
            return Response(
                report, status=status.HTTP_202_ACCEPTED, headers={"Location": report["url"]}
            )
        code = (
            status.HTTP_201_CREATED
            if record.status == CandleImport.Status.SUCCEEDED
            else status.HTTP_400_BAD_REQUEST
        )
        return Response(report, status=code)


class CandleImportDetailApi(ApiGenericView):
    queryset = CandleImport.objects.none()
    serializer_class = CandleImportOutputSerializer

    def get(self, request, pk: int):
        record = get_object_or_404(candle_import_list(user=request.user), pk=pk)
        if record.status == CandleImport.Status.RUNNING:
            job_reap_stale(CandleImport, pk=pk)  # its worker may have died
            record.refresh_from_db()
        return Response(import_report(record))
