from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from apps.backtests.models import BacktestRun, Sweep
from apps.backtests.selectors import (
    backtest_get,
    backtest_list,
    backtest_trades,
    recent_trades,
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
from apps.core.api.jobs import job_cancel_response
from apps.strategies.api.serializers import StrategyOutputSerializer
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


class BacktestListCreateApi(GenericAPIView):
    """Your runs (`?symbol=`, `?status=`). POST queues a backtest and answers 202 with its URL."""

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


class BacktestDetailApi(GenericAPIView):
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


class BacktestTradesApi(GenericAPIView):
    queryset = BacktestRun.objects.none()
    serializer_class = BacktestTradeOutputSerializer

    @extend_schema(responses=BacktestTradeOutputSerializer(many=True))
    def get(self, request, pk: int):
        page = self.paginate_queryset(backtest_trades(run=_run(request, pk)))
        return self.get_paginated_response(BacktestTradeOutputSerializer(page, many=True).data)


class BacktestEquityApi(GenericAPIView):
    """The downsampled equity curve with buy & hold beside it: [t (epoch ms), equity, buy & hold]."""

    queryset = BacktestRun.objects.none()
    serializer_class = EquityOutputSerializer

    def get(self, request, pk: int):
        run = _run(request, pk)
        return Response(
            {
                "run": run.pk,
                "columns": ["t", "equity", "buy_and_hold"],
                "points": run.equity_curve or [],
            }
        )


class BacktestCancelApi(GenericAPIView):
    """Cancel your queued or running backtest. 409 when it has already finished."""

    queryset = BacktestRun.objects.none()
    serializer_class = BacktestRunOutputSerializer

    @extend_schema(
        request=None, responses={200: BacktestRunOutputSerializer, 409: BacktestRunOutputSerializer}
    )
    def post(self, request, pk: int):
        return job_cancel_response(_run(request, pk), BacktestRunOutputSerializer)


class BacktestResultsApi(GenericAPIView):
    """The original /backtest/results: your 10 most recent backtest trades, newest first."""

    queryset = BacktestRun.objects.none()
    serializer_class = BacktestTradeOutputSerializer
    pagination_class = None

    @extend_schema(responses=BacktestTradeOutputSerializer(many=True))
    def get(self, request):
        return Response(
            BacktestTradeOutputSerializer(recent_trades(owner=request.user), many=True).data
        )


class SweepListCreateApi(GenericAPIView):
    """Parameter sweeps: one backtest per grid combination, fanned out over the workers;
    with walk_forward_windows, the best in-sample parameters are tested out of sample."""

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


class SweepDetailApi(GenericAPIView):
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


class SweepCancelApi(GenericAPIView):
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


class SweepRowBacktestApi(GenericAPIView):
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


class SweepRowSaveApi(GenericAPIView):
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


class StrategyPerformanceApi(GenericAPIView):
    """Its stored backtests, its paper trades (win rate, average ROI, health) and the drift
    between paper and a stored backtest of the same window. Read only: when the current
    version has no succeeded backtest (or none covers the paper window) `run_backtest` is
    the POST that creates one."""

    queryset = Strategy.objects.none()

    @extend_schema(responses=StrategyPerformanceOutputSerializer)
    def get(self, request, ref: str):
        return Response(strategy_performance(strategy=get_strategy_or_404(request, ref)))
