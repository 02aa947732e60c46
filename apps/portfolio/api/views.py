import re

from django.db.models import QuerySet
from django.http import Http404, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.core.api.base import ApiGenericView
from apps.core.api.serializers import query_int, query_value_error
from apps.core.export import BATCH, CSV, ExportMixin, batches, download, serialized
from apps.core.schema import error
from apps.portfolio.models import Order, Portfolio, TradeLog
from apps.portfolio.selectors import (
    order_list,
    portfolio_get,
    portfolio_list,
    portfolio_performance,
    portfolio_state,
    snapshots,
    trade_log_list,
)
from apps.portfolio.services import (
    IdempotencyConflict,
    order_place,
    portfolio_create,
    portfolio_get_or_create_default,
    portfolio_reset,
    portfolio_resolve,
)

from .serializers import (
    OrderInputSerializer,
    OrderOutputSerializer,
    PerformanceOutputSerializer,
    PortfolioInputSerializer,
    PortfolioStateHistorySerializer,
    PortfolioStateSerializer,
    TradeLogOutputSerializer,
    TradeLogQuerySerializer,
)

PORTFOLIO_PARAM = OpenApiParameter(
    "portfolio",
    {"type": "integer", "minimum": 1},
    description="portfolio id (default: your default portfolio)",
)
NO_SUCH_PORTFOLIO = error("no such portfolio among yours")


def resolve_portfolio(request, pk=None) -> Portfolio:
    if pk is None and (error := query_value_error(request.query_params, "portfolio")):
        raise ValidationError({"portfolio": error})
    pk = pk if pk is not None else request.query_params.get("portfolio")
    if pk is not None and not re.fullmatch(r"-?[0-9]{1,18}", str(pk)):
        raise ValidationError({"portfolio": ["must be the id of one of your portfolios"]})
    portfolio = portfolio_resolve(owner=request.user, pk=None if pk is None else int(pk))
    if portfolio is None:
        raise Http404
    return portfolio


class PortfolioStateApi(ApiGenericView):
    """Your (default) portfolio: cash, positions valued at the latest close, total return."""

    serializer_class = PortfolioStateSerializer
    queryset = Portfolio.objects.none()

    @extend_schema(
        parameters=[PORTFOLIO_PARAM],
        responses={200: PortfolioStateHistorySerializer, 404: NO_SUCH_PORTFOLIO},
    )
    def get(self, request):
        portfolio = resolve_portfolio(request)
        state = portfolio_state(portfolio)
        state["history"] = snapshots(portfolio=portfolio)
        return Response(state)


class PortfolioListCreateApi(ApiGenericView):
    ordering_fields = {"name": "name", "created_at": "created_at"}
    serializer_class = PortfolioStateSerializer
    queryset = Portfolio.objects.none()

    @extend_schema(responses=PortfolioStateSerializer(many=True))
    def get(self, request):
        portfolio_get_or_create_default(owner=request.user)
        page = self.paginate_queryset(portfolio_list(owner=request.user))
        return self.get_paginated_response([portfolio_state(p) for p in page])

    @extend_schema(request=PortfolioInputSerializer, responses={201: PortfolioStateSerializer})
    def post(self, request):
        data = PortfolioInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        portfolio = portfolio_create(owner=request.user, **data.validated_data)
        return Response(portfolio_state(portfolio), status=status.HTTP_201_CREATED)


class PortfolioResetApi(ApiGenericView):
    """Back to the initial cash: clears positions, orders and the trade log (the original "clear log")."""

    serializer_class = PortfolioStateSerializer
    queryset = Portfolio.objects.none()

    @extend_schema(
        request=None,
        parameters=[PORTFOLIO_PARAM],
        responses={200: PortfolioStateSerializer, 404: NO_SUCH_PORTFOLIO},
    )
    def post(self, request):
        return Response(portfolio_state(portfolio_reset(portfolio=resolve_portfolio(request))))


class OrderListCreateApi(ApiGenericView):
    """POST executes a paper trade: a buy spends the portfolio's buy fraction of cash (10% by
    default), a sell closes the position; fees apply. Send an `Idempotency-Key` header to make
    a retry safe: the same key and body return the first fill, a different body is a 422."""

    ordering_fields = {"created_at": "created_at", "market_time": "market_time", "symbol": "symbol"}
    serializer_class = OrderOutputSerializer
    queryset = Order.objects.none()

    @extend_schema(parameters=[PORTFOLIO_PARAM], responses=OrderOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(order_list(portfolio=resolve_portfolio(request)))
        return self.get_paginated_response(OrderOutputSerializer(page, many=True).data)

    @extend_schema(
        request=OrderInputSerializer,
        parameters=[
            PORTFOLIO_PARAM,
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False),
        ],
        responses={
            404: NO_SUCH_PORTFOLIO,
            201: OrderOutputSerializer,
            200: OpenApiResponse(
                OrderOutputSerializer, description="a retry: the order first placed with this key"
            ),
            422: error("this Idempotency-Key was used with a different body"),
        },
    )
    def post(self, request):
        data = OrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        portfolio = None
        if v.get("portfolio") is not None:
            portfolio = portfolio_get(owner=request.user, pk=v["portfolio"])
            if portfolio is None:
                return Response(
                    {"portfolio": ["no such portfolio"]}, status=status.HTTP_400_BAD_REQUEST
                )
        elif "portfolio" in request.query_params:
            # `?portfolio=` names the portfolio as on GET (one of yours, else 404); it is
            # never ignored in favour of the default portfolio.
            portfolio = resolve_portfolio(request)
        key = request.headers.get("Idempotency-Key")
        try:
            order, created = order_place(
                owner=request.user,
                portfolio=portfolio,
                symbol=v["symbol"],
                action=v["action"],
                price=v.get("price"),
                market_time=v.get("market_time"),
                confidence=v.get("confidence"),
                source=v["source"],
                idempotency_key=key.strip() if key else None,
                strategy_name=v.get("strategy_name", ""),
                notes=v.get("notes", ""),
            )
        except IdempotencyConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        return Response(
            OrderOutputSerializer(order).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def trade_log_download(qs: QuerySet[TradeLog], fmt: str, stem: str) -> StreamingHttpResponse:
    """The trade log as a streamed CSV or JSON download, each trade as the API lists it."""
    rows = serialized(TradeLogOutputSerializer, batches(qs.iterator(chunk_size=BATCH)))
    header = list(TradeLogOutputSerializer().fields)
    return download(fmt=fmt, filename=stem, header=header, rows=rows)


def trade_log_stem(portfolio: Portfolio | None) -> str:
    return f"portfolio-{portfolio.pk}-trades" if portfolio else "paper-trades"


class TradeLogListApi(ExportMixin, ApiGenericView):
    """Closed round trips, newest first (`?portfolio=`, `?symbol=`, `?source=`); as CSV
    (`Accept: text/csv` or `?format=csv`) all of them in one streamed download, in the
    same order."""

    ordering_fields = {
        "exit_time": "exit_time",
        "entry_time": "entry_time",
        "symbol": "symbol",
        "roi": "roi",
        "pnl": "pnl",
    }
    serializer_class = TradeLogOutputSerializer
    queryset = TradeLog.objects.none()

    @extend_schema(
        parameters=[PORTFOLIO_PARAM, TradeLogQuerySerializer],
        responses={
            (200, "application/json"): TradeLogOutputSerializer(many=True),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="every trade, a row each (not paginated)"
            ),
        },
    )
    def get(self, request):
        portfolio = resolve_portfolio(request) if "portfolio" in request.query_params else None
        query = TradeLogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        qs = trade_log_list(
            owner=request.user,
            portfolio=portfolio,
            source=query.validated_data.get("source"),
            symbol=query.validated_data.get("symbol"),
        )
        if self.export_format(request) == CSV:
            return trade_log_download(self.ordered(qs), CSV, trade_log_stem(portfolio))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(TradeLogOutputSerializer(page, many=True).data)


class PerformanceApi(ApiGenericView):
    """Per symbol, strategy and source: win/loss rate, trades, average ROI, max drawdown, Sharpe;
    plus strategy health over the last `lookback` trades (default 20)."""

    queryset = TradeLog.objects.none()

    @extend_schema(
        parameters=[
            PORTFOLIO_PARAM,
            OpenApiParameter(
                "lookback",
                {"type": "integer", "minimum": 1, "maximum": 1000, "default": 20},
                description="the last trades each strategy's health looks at",
            ),
        ],
        responses={200: PerformanceOutputSerializer, 404: NO_SUCH_PORTFOLIO},
    )
    def get(self, request):
        portfolio = resolve_portfolio(request) if "portfolio" in request.query_params else None
        lookback = query_int(request.query_params, "lookback", 20, maximum=1000)
        return Response(
            portfolio_performance(owner=request.user, portfolio=portfolio, lookback=lookback)
        )
