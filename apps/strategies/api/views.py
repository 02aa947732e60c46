from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api.base import ApiGenericView
from apps.core.api.serializers import SymbolQuerySerializer
from apps.strategies.models import Strategy
from apps.strategies.selectors import strategy_get, strategy_list, strategy_versions
from apps.strategies.services import (
    strategy_create,
    strategy_delete,
    strategy_parse,
    strategy_update,
)

from .serializers import (
    StrategyInputSerializer,
    StrategyOutputSerializer,
    StrategyUpdateInputSerializer,
    StrategyValidateInputSerializer,
    StrategyValidateOutputSerializer,
    StrategyVersionOutputSerializer,
)


def get_strategy_or_404(request, ref) -> Strategy:
    strategy = strategy_get(owner=request.user, ref=ref)
    if strategy is None:
        raise Http404
    return strategy


class StrategyListCreateApi(ApiGenericView):
    """Your strategies (`?symbol=` filters, case-insensitive); POST saves a new one (version 1)."""

    ordering_fields = {
        "updated_at": "updated_at",
        "created_at": "created_at",
        "name": "name",
        "symbol": "symbol",
    }
    queryset = Strategy.objects.none()
    serializer_class = StrategyOutputSerializer

    @extend_schema(
        parameters=[SymbolQuerySerializer], responses=StrategyOutputSerializer(many=True)
    )
    def get(self, request):
        query = SymbolQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = self.paginate_queryset(
            strategy_list(owner=request.user, symbol=query.validated_data.get("symbol"))
        )
        return self.get_paginated_response(StrategyOutputSerializer(page, many=True).data)

    @extend_schema(request=StrategyInputSerializer, responses={201: StrategyOutputSerializer})
    def post(self, request):
        data = StrategyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        strategy = strategy_create(
            owner=request.user,
            definition=v["strategy_json"],
            name=v.get("name") or None,
            notes=v.get("notes", ""),
            symbol=v.get("symbol"),
            timeframe=v.get("timeframe"),
        )
        return Response(StrategyOutputSerializer(strategy).data, status=status.HTTP_201_CREATED)


class StrategyDetailApi(ApiGenericView):
    """One strategy by id or seed-style id (`BTCUSDT_strategy_3`). PUT/PATCH save a new version
    when what runs changes (the definition, symbol or timeframe); a name or notes edit alone
    updates the strategy and keeps its current version."""

    queryset = Strategy.objects.none()
    serializer_class = StrategyOutputSerializer
    lookup_url_kwarg = "ref"

    def get(self, request, ref: str):
        return Response(StrategyOutputSerializer(get_strategy_or_404(request, ref)).data)

    @extend_schema(request=StrategyUpdateInputSerializer, responses=StrategyOutputSerializer)
    def patch(self, request, ref: str):
        strategy = get_strategy_or_404(request, ref)
        data = StrategyUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        strategy = strategy_update(
            strategy=strategy,
            definition=v.get("strategy_json"),
            name=v.get("name") or None,
            notes=v.get("notes"),
            symbol=v.get("symbol"),
            timeframe=v.get("timeframe"),
        )
        return Response(StrategyOutputSerializer(strategy).data)

    @extend_schema(request=StrategyInputSerializer, responses=StrategyOutputSerializer)
    def put(self, request, ref: str):
        strategy = get_strategy_or_404(request, ref)
        data = StrategyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        strategy = strategy_update(
            strategy=strategy,
            definition=v["strategy_json"],
            name=v.get("name") or None,
            notes=v.get("notes", ""),
            symbol=v.get("symbol"),
            timeframe=v.get("timeframe"),
        )
        return Response(StrategyOutputSerializer(strategy).data)

    @extend_schema(responses={204: None})
    def delete(self, request, ref: str):
        strategy_delete(strategy=get_strategy_or_404(request, ref))
        return Response(status=status.HTTP_204_NO_CONTENT)


class StrategyVersionListApi(ApiGenericView):
    ordering_fields = {"number": "number", "created_at": "created_at"}
    queryset = Strategy.objects.none()
    serializer_class = StrategyVersionOutputSerializer
    lookup_url_kwarg = "ref"

    @extend_schema(responses=StrategyVersionOutputSerializer(many=True))
    def get(self, request, ref: str):
        strategy = get_strategy_or_404(request, ref)
        page = self.paginate_queryset(strategy_versions(strategy=strategy))
        return self.get_paginated_response(StrategyVersionOutputSerializer(page, many=True).data)


class StrategyValidateApi(ApiGenericView):
    """Validate a strategy without saving: 200 with the normalised form, or 400 with field paths."""

    serializer_class = StrategyValidateInputSerializer

    @extend_schema(
        request=StrategyValidateInputSerializer, responses=StrategyValidateOutputSerializer
    )
    def post(self, request):
        data = StrategyValidateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        parsed = strategy_parse(
            v["strategy_json"], symbol=v.get("symbol"), timeframe=v.get("timeframe")
        )
        return Response(
            {
                "valid": True,
                "normalized": parsed.to_dict(),
                "indicators_used": parsed.indicators_used(),
            }
        )
