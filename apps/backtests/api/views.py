import gzip

from django.http import Http404
from django.middleware.gzip import re_accepts_gzip
from django.utils.cache import patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.backtests.export import run_download, sweep_download
from apps.backtests.models import BacktestRun, Sweep
from apps.backtests.selectors import (
    RecentTrades,
    backtest_chart_data,
    backtest_compare,
    backtest_get,
    backtest_list,
    backtest_trades,
    metric_names,
    sweep_get,
    sweep_list,
    sweep_row_get,
)
from apps.backtests.services import (
    backtest_create,
    backtest_delete,
    sweep_create,
    sweep_delete,
    sweep_row_backtest,
    sweep_row_save,
)
from apps.core.api.base import ApiGenericView
from apps.core.api.jobs import job_cancel_response
from apps.core.export import CSV, ExportMixin
from apps.strategies.api.serializers import StrategyOutputSerializer
from apps.strategies.api.views import get_strategy_or_404
from apps.strategies.models import Strategy

from ..report import strategy_performance
from .serializers import (
    BacktestChartOutputSerializer,
    BacktestCreateInputSerializer,
    BacktestListQuerySerializer,
    BacktestRunOutputSerializer,
    BacktestTradeOutputSerializer,
    CompareOutputSerializer,
    CompareQuerySerializer,
    EquityOutputSerializer,
    StrategyPerformanceOutputSerializer,
    SweepCreateInputSerializer,
    SweepOutputSerializer,
)


def _run(request, pk) -> BacktestRun:
    run = backtest_get(owner=request.user, pk=pk)
    if run is None:
        raise Http404
    return run


def csv_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(OpenApiTypes.STR, description=description)


class BacktestListCreateApi(ApiGenericView):
    """Your runs, filtered (symbol, strategy, status, submission days, return, Sharpe,
    drawdown) and sorted (`ordering`, its enum from the query serializer, metrics included).
    POST queues a backtest and answers 202 with its URL."""

    queryset = BacktestRun.objects.none()
    serializer_class = BacktestRunOutputSerializer

    @extend_schema(
        parameters=[BacktestListQuerySerializer], responses=BacktestRunOutputSerializer(many=True)
    )
    def get(self, request):
        query = BacktestListQuerySerializer(
            data=request.query_params, context={"owner": request.user}
        )
        query.is_valid(raise_exception=True)
        qs = backtest_list(owner=request.user, **query.validated_data)
        page = self.paginate_queryset(qs.select_related("strategy", "strategy_version"))
        return self.get_paginated_response(BacktestRunOutputSerializer(page, many=True).data)

    @extend_schema(
        request=BacktestCreateInputSerializer, responses={202: BacktestRunOutputSerializer}
    )
    def post(self, request):
        data = BacktestCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = backtest_create(owner=request.user, **data.validated_data)
        run.refresh_from_db()
        body = BacktestRunOutputSerializer(run).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class BacktestDetailApi(ExportMixin, ApiGenericView):
    """Status, progress, metrics and the assumptions of a run; as CSV (`Accept: text/csv`
    or `?format=csv`) its metrics, one `metric,value` row each, as a download. DELETE
    removes the run with its trades (204); a queued or running run is cancelled first,
    then deleted."""

    queryset = BacktestRun.objects.none()
    serializer_class = BacktestRunOutputSerializer

    @extend_schema(
        responses={
            (200, "application/json"): BacktestRunOutputSerializer,
            (200, "text/csv"): csv_response("the run's metrics: metric,value"),
        }
    )
    def get(self, request, pk: int):
        run = _run(request, pk)
        if self.export_format(request) == CSV:
            return run_download(run, "metrics", CSV)
        return Response(BacktestRunOutputSerializer(run).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        backtest_delete(run=_run(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BacktestTradesApi(ExportMixin, ApiGenericView):
    """A run's trades in order, a page at a time; as CSV (`Accept: text/csv` or
    `?format=csv`) all of them in one streamed download, the same fields and values."""

    queryset = BacktestRun.objects.none()
    serializer_class = BacktestTradeOutputSerializer

    @extend_schema(
        responses={
            (200, "application/json"): BacktestTradeOutputSerializer(many=True),
            (200, "text/csv"): csv_response("every trade, a row each (not paginated)"),
        }
    )
    def get(self, request, pk: int):
        run = _run(request, pk)
        if self.export_format(request) == CSV:
            return run_download(run, "trades", CSV)
        page = self.paginate_queryset(backtest_trades(run=run))
        return self.get_paginated_response(BacktestTradeOutputSerializer(page, many=True).data)


class BacktestEquityApi(ExportMixin, ApiGenericView):
    """The downsampled equity curve with buy & hold beside it, as chart data: [time (epoch
    seconds), equity, buy & hold]; as CSV (`Accept: text/csv` or `?format=csv`) a download of time (ISO 8601 UTC),
    equity, buy_and_hold rows."""

    queryset = BacktestRun.objects.none()
    serializer_class = EquityOutputSerializer

    @extend_schema(
        responses={
            (200, "application/json"): EquityOutputSerializer,
            (200, "text/csv"): csv_response("time,equity,buy_and_hold rows"),
        }
    )
    def get(self, request, pk: int):
        run = _run(request, pk)
        if self.export_format(request) == CSV:
            return run_download(run, "equity", CSV)
        return Response(EquityOutputSerializer(run).data)


class BacktestChartApi(ApiGenericView):
    """What the result page draws, as columns: the whole window's candles (epoch seconds), the
    strategy's indicators as the backtest computed them, the trades, equity with buy & hold
    and drawdown, and the symbol's price precision."""

    queryset = BacktestRun.objects.none()
    serializer_class = BacktestChartOutputSerializer

    def get(self, request, pk: int):
        return Response(backtest_chart_data(run=_run(request, pk)))

    def finalize_response(self, request, response, *args, **kwargs):
        """Compressed for clients that accept gzip, at level 1: a 100,000-candle run's
        chart is 16 MB of digits, which level 1 packs to 6.0 MB in 0.4 s and Django's
        level 6 to 5.2 MB in 1.7 s. (No secret and nothing from the request is in it, so
        compression leaks nothing.)"""
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ("Accept-Encoding",))
        accepts = re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
        if response.status_code != 200 or not accepts:
            return response
        response.render()
        response.content = gzip.compress(response.content, compresslevel=1, mtime=0)
        response["Content-Encoding"] = "gzip"
        response["Content-Length"] = str(len(response.content))
        return response


class BacktestCancelApi(ApiGenericView):
    """Cancel your queued or running backtest. 409 when it has already finished."""

    queryset = BacktestRun.objects.none()
    serializer_class = BacktestRunOutputSerializer

    @extend_schema(
        request=None, responses={200: BacktestRunOutputSerializer, 409: BacktestRunOutputSerializer}
    )
    def post(self, request, pk: int):
        return job_cancel_response(_run(request, pk), BacktestRunOutputSerializer)


class BacktestResultsApi(ApiGenericView):
    """The original /backtest/results: your backtest trades across runs, newest first (by
    exit time), paginated."""

    queryset = BacktestRun.objects.none()
    serializer_class = BacktestTradeOutputSerializer

    @extend_schema(responses=BacktestTradeOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(RecentTrades(owner=request.user))
        return self.get_paginated_response(BacktestTradeOutputSerializer(page, many=True).data)


class SweepListCreateApi(ApiGenericView):
    """Parameter sweeps: one backtest per grid combination, fanned out over the workers;
    with walk_forward_windows, the best in-sample parameters are tested out of sample."""

    ordering_fields = {
        "created_at": "created_at",
        "finished_at": "finished_at",
        "symbol": "symbol",
        "status": "status",
    }
    queryset = Sweep.objects.none()
    serializer_class = SweepOutputSerializer

    @extend_schema(responses=SweepOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(sweep_list(owner=request.user))
        return self.get_paginated_response(SweepOutputSerializer(page, many=True).data)

    @extend_schema(request=SweepCreateInputSerializer, responses={202: SweepOutputSerializer})
    def post(self, request):
        data = SweepCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sweep = sweep_create(owner=request.user, **data.validated_data)
        sweep.refresh_from_db()
        body = SweepOutputSerializer(sweep).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


def _sweep(request, pk) -> Sweep:
    sweep = sweep_get(owner=request.user, pk=pk)
    if sweep is None:
        raise Http404
    return sweep


class SweepDetailApi(ExportMixin, ApiGenericView):
    """A sweep with its results; as CSV (`Accept: text/csv` or `?format=csv`) its table as
    a download: combo, each grid path, each metric, error. DELETE removes the sweep with
    its results (204); a queued or running sweep is cancelled first, then deleted."""

    queryset = Sweep.objects.none()
    serializer_class = SweepOutputSerializer

    @extend_schema(
        responses={
            (200, "application/json"): SweepOutputSerializer,
            (200, "text/csv"): csv_response("the results table, best first"),
        }
    )
    def get(self, request, pk: int):
        sweep = _sweep(request, pk)
        if self.export_format(request) == CSV:
            return sweep_download(sweep, CSV)
        return Response(SweepOutputSerializer(sweep, context={"with_results": True}).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        sweep_delete(sweep=_sweep(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SweepCancelApi(ApiGenericView):
    """Cancel your queued or running sweep: its remaining chunks stop at their next
    combination. 409 when it has already finished."""

    queryset = Sweep.objects.none()
    serializer_class = SweepOutputSerializer

    @extend_schema(request=None, responses={200: SweepOutputSerializer, 409: SweepOutputSerializer})
    def post(self, request, pk: int):
        return job_cancel_response(sweep_get(owner=request.user, pk=pk), SweepOutputSerializer)


_COMBO = OpenApiParameter(
    "combo",
    int,
    OpenApiParameter.PATH,
    description="the row's combination number (`combo` in the sweep's `results`; 0 is the "
    "first combination of the grid)",
)


def _sweep_row(request, pk: int, combo: int):
    found = sweep_row_get(owner=request.user, pk=pk, combo=combo)
    if found is None:
        raise Http404
    return found


class SweepRowBacktestApi(ApiGenericView):
    """The full result of one sweep row (``combo``: the row's combination number, as in the
    sweep's ``results``): a backtest of exactly that combination over the sweep's market,
    window and parameters. 202 with its URL when a new run is queued; 200 with the run when
    an identical one of yours is queued, running or succeeded. 404: not your sweep, or no
    such row (yet); 400 naming ``row`` when that combination did not run."""

    queryset = Sweep.objects.none()
    serializer_class = BacktestRunOutputSerializer

    @extend_schema(
        request=None,
        parameters=[_COMBO],
        responses={200: BacktestRunOutputSerializer, 202: BacktestRunOutputSerializer},
    )
    def post(self, request, pk: int, combo: int):
        sweep, row = _sweep_row(request, pk, combo)
        run, created = sweep_row_backtest(sweep=sweep, row=row)
        body = BacktestRunOutputSerializer(run).data
        if not created:
            return Response(body)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class SweepRowSaveApi(ApiGenericView):
    """Save one sweep row's values as a new version of the swept strategy (the definition
    the sweep ran, with the row's values in place: a named parameter's default changed and
    its references kept, a path's value set). 201 with the strategy when a version was
    added; 200 when its current version already is exactly that. 404: not your sweep, or
    no such row; 400 naming ``strategy`` when the sweep ran an inline strategy or its
    strategy was deleted, ``row`` when that combination did not run."""

    queryset = Sweep.objects.none()
    serializer_class = StrategyOutputSerializer

    @extend_schema(
        request=None,
        parameters=[_COMBO],
        responses={200: StrategyOutputSerializer, 201: StrategyOutputSerializer},
    )
    def post(self, request, pk: int, combo: int):
        sweep, row = _sweep_row(request, pk, combo)
        strategy, created = sweep_row_save(sweep=sweep, row=row)
        return Response(
            StrategyOutputSerializer(strategy).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class BacktestCompareApi(ApiGenericView):
    """2 to 6 of your succeeded runs side by side (`?runs=1,2,3`): their metrics and their
    equity curves in % from each run's start, so runs of any capital compare. A run that is
    not yours, or has no result yet, is a 400 naming it."""

    queryset = BacktestRun.objects.none()
    serializer_class = CompareOutputSerializer
    pagination_class = None

    @extend_schema(parameters=[CompareQuerySerializer], responses=CompareOutputSerializer)
    def get(self, request):
        query = CompareQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        comparison = backtest_compare(owner=request.user, ids=query.validated_data["runs"])
        if comparison.errors:
            raise ValidationError({"runs": comparison.errors})
        runs = comparison.runs
        return Response(
            CompareOutputSerializer(
                {"metrics": metric_names(r.metrics for r in runs), "runs": runs}
            ).data
        )


class StrategyPerformanceApi(ApiGenericView):
    """Its stored backtests, its paper trades (win rate, average ROI, health) and the drift
    between paper and a stored backtest of the same window. Read only: when the current
    version has no succeeded backtest (or none covers the paper window) `run_backtest` is
    the POST that creates one."""

    queryset = Strategy.objects.none()

    @extend_schema(responses=StrategyPerformanceOutputSerializer)
    def get(self, request, ref: str):
        return Response(strategy_performance(strategy=get_strategy_or_404(request, ref)))
