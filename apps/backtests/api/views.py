from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.backtests.models import BacktestRun, Sweep
from apps.backtests.selectors import (
    RecentTrades,
    backtest_get,
    backtest_list,
    backtest_trades,
    sweep_get,
    sweep_list,
)
from apps.backtests.services import backtest_create, backtest_delete, sweep_create, sweep_delete
from apps.core.api.base import ApiGenericView
from apps.core.api.jobs import job_cancel_response
from apps.strategies.api.views import get_strategy_or_404
from apps.strategies.models import Strategy

from ..report import strategy_performance
from .serializers import (
    BacktestCreateInputSerializer,
    BacktestListQuerySerializer,
    BacktestRunOutputSerializer,
    BacktestTradeOutputSerializer,
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


class BacktestListCreateApi(ApiGenericView):
    """Your runs (`?symbol=`, `?status=`). POST queues a backtest and answers 202 with its URL."""

    ordering_fields = {
        "created_at": "created_at",
        "finished_at": "finished_at",
        "symbol": "symbol",
        "status": "status",
    }
    queryset = BacktestRun.objects.none()
    serializer_class = BacktestRunOutputSerializer

    @extend_schema(
        parameters=[BacktestListQuerySerializer], responses=BacktestRunOutputSerializer(many=True)
    )
    def get(self, request):
        query = BacktestListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        qs = backtest_list(
            owner=request.user,
            symbol=query.validated_data.get("symbol"),
            status=query.validated_data.get("status"),
        )
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


class BacktestDetailApi(ApiGenericView):
    """Status, progress, metrics and the assumptions of a run. DELETE removes the run with
    its trades (204); a queued or running run is cancelled first, then deleted."""

    queryset = BacktestRun.objects.none()
    serializer_class = BacktestRunOutputSerializer

    def get(self, request, pk: int):
        return Response(BacktestRunOutputSerializer(_run(request, pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        backtest_delete(run=_run(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BacktestTradesApi(ApiGenericView):
    queryset = BacktestRun.objects.none()
    serializer_class = BacktestTradeOutputSerializer

    @extend_schema(responses=BacktestTradeOutputSerializer(many=True))
    def get(self, request, pk: int):
        page = self.paginate_queryset(backtest_trades(run=_run(request, pk)))
        return self.get_paginated_response(BacktestTradeOutputSerializer(page, many=True).data)


class BacktestEquityApi(ApiGenericView):
    """The downsampled equity curve with buy & hold beside it, as chart data:
    [time (epoch seconds), equity, buy & hold]."""

    queryset = BacktestRun.objects.none()
    serializer_class = EquityOutputSerializer

    def get(self, request, pk: int):
        return Response(EquityOutputSerializer(_run(request, pk)).data)


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


class SweepDetailApi(ApiGenericView):
    """A sweep with its results. DELETE removes the sweep with its results (204); a queued
    or running sweep is cancelled first, then deleted."""

    queryset = Sweep.objects.none()
    serializer_class = SweepOutputSerializer

    def get(self, request, pk: int):
        return Response(
            SweepOutputSerializer(_sweep(request, pk), context={"with_results": True}).data
        )

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


class StrategyPerformanceApi(ApiGenericView):
    """Its stored backtests, its paper trades (win rate, average ROI, health) and the drift
    between paper and a stored backtest of the same window. Read only: when the current
    version has no succeeded backtest (or none covers the paper window) `run_backtest` is
    the POST that creates one."""

    queryset = Strategy.objects.none()

    @extend_schema(responses=StrategyPerformanceOutputSerializer)
    def get(self, request, ref: str):
        return Response(strategy_performance(strategy=get_strategy_or_404(request, ref)))
