from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from apps.core.api.base import ApiGenericView
from apps.core.api.jobs import job_cancel_response
from apps.deskbt.models import DeskBacktest
from apps.deskbt.selectors import (
    desk_audit_page,
    desk_backtest_get,
    desk_backtest_list,
    desk_trades,
)
from apps.deskbt.services import desk_backtest_create

from .serializers import (
    AuditPageSerializer,
    DeskAuditQuerySerializer,
    DeskBacktestCreateInputSerializer,
    DeskBacktestDetailOutputSerializer,
    DeskBacktestOutputSerializer,
    DeskSweepCreateInputSerializer,
    DeskTradeSerializer,
)


def _job(request, pk, *, arrays: bool = False) -> DeskBacktest:
    job = desk_backtest_get(owner=request.user, pk=pk, arrays=arrays)
    if job is None:
        raise Http404
    return job


def _accepted(job: DeskBacktest) -> Response:
    job.refresh_from_db(fields=["status", "progress", "error", "started_at", "finished_at"])
    body = DeskBacktestOutputSerializer(job).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class DeskBacktestListCreateApi(ApiGenericView):
    """Your desk backtests and sweeps, newest first. POST queues a desk backtest of your
    agents over a window (SPEC §7a) and answers 202 with its URL. An agent with a model
    runs only on candles after the model's training window."""

    ordering_fields = {
        "created_at": "created_at",
        "finished_at": "finished_at",
        "name": "name",
        "status": "status",
    }
    queryset = DeskBacktest.objects.none()
    serializer_class = DeskBacktestOutputSerializer

    @extend_schema(responses=DeskBacktestOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(desk_backtest_list(owner=request.user))
        return self.get_paginated_response(DeskBacktestOutputSerializer(page, many=True).data)

    @extend_schema(
        request=DeskBacktestCreateInputSerializer,
        responses={202: DeskBacktestOutputSerializer},
    )
    def post(self, request):
        data = DeskBacktestCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _accepted(desk_backtest_create(owner=request.user, **data.validated_data))


class DeskSweepCreateApi(ApiGenericView):
    """Queue a sweep: the desk over the same agents and window for every combination of a
    grid of alpha / top_n / min_score / prior_trades / buy_fraction (the agents' signals
    are computed once). The result (GET the URL) is one line per combination, best final
    equity first, with its percentile against the random-selection band."""

    queryset = DeskBacktest.objects.none()
    serializer_class = DeskBacktestOutputSerializer

    @extend_schema(
        request=DeskSweepCreateInputSerializer, responses={202: DeskBacktestOutputSerializer}
    )
    def post(self, request):
        data = DeskSweepCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _accepted(desk_backtest_create(owner=request.user, **data.validated_data))


class DeskBacktestDetailApi(ApiGenericView):
    """Status, progress, parameters, pinned agents, metrics (the desk, each agent alone,
    buy & hold, the random baseline and the verdict) and the downsampled curves; a
    sweep's table."""

    queryset = DeskBacktest.objects.none()
    serializer_class = DeskBacktestDetailOutputSerializer

    def get(self, request, pk: int):
        return Response(DeskBacktestDetailOutputSerializer(_job(request, pk)).data)


class DeskBacktestAuditApi(ApiGenericView):
    """The per-decision audit: every buy or sell signal at each decision time, with its
    confidence, shrunk win rate, score, rank, and taken or why not; paged, filtered by
    `taken=1`, `agent=<id>`, `start`/`end` (decision time). A page past the end is a 404."""

    queryset = DeskBacktest.objects.none()
    serializer_class = AuditPageSerializer
    pagination_class = None

    @extend_schema(parameters=[DeskAuditQuerySerializer], responses=AuditPageSerializer)
    def get(self, request, pk: int):
        query = DeskAuditQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        job = _job(request, pk, arrays=True)
        q = query.validated_data
        page = desk_audit_page(
            job,
            taken=q["taken"],
            agent_id=q.get("agent"),
            start=q.get("start"),
            end=q.get("end"),
            page=q["page"],
            page_size=q["page_size"],
        )
        if q["page"] > page.pages:
            raise Http404
        url = request.build_absolute_uri()
        prev_url = None
        if page.page > 1:
            prev_url = (
                replace_query_param(url, "page", page.page - 1)
                if page.page > 2
                else remove_query_param(url, "page")
            )
        return Response(
            {
                "count": page.count,
                "next": replace_query_param(url, "page", page.page + 1)
                if page.page < page.pages
                else None,
                "previous": prev_url,
                "results": page.rows,
            }
        )


class DeskBacktestTradesApi(ApiGenericView):
    """The desk's trades in entry order (paged): entry and exit with decision and fill
    market times; an open position at the end has no exit."""

    queryset = DeskBacktest.objects.none()
    serializer_class = DeskTradeSerializer

    @extend_schema(responses=DeskTradeSerializer(many=True))
    def get(self, request, pk: int):
        page = self.paginate_queryset(desk_trades(_job(request, pk, arrays=True)))
        return self.get_paginated_response(DeskTradeSerializer(page, many=True).data)


class DeskBacktestCancelApi(ApiGenericView):
    """Cancel your queued or running desk backtest. 409 when it has already finished."""

    queryset = DeskBacktest.objects.none()
    serializer_class = DeskBacktestOutputSerializer

    @extend_schema(
        request=None,
        responses={200: DeskBacktestOutputSerializer, 409: DeskBacktestOutputSerializer},
    )
    def post(self, request, pk: int):
        return job_cancel_response(
            desk_backtest_get(owner=request.user, pk=pk), DeskBacktestOutputSerializer
        )
