"""Replay API: sessions (list, create, detail), their controls, steps and the live view."""

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api.base import ApiGenericView
from apps.core.api.serializers import query_value_error
from apps.replay.models import ReplayCandidate, ReplaySession, ReplayStep
from apps.replay.selectors import candidate_dict, replay_get, replay_list, session_live
from apps.replay.services import DESK_FIELDS, replay_control, replay_create

from .serializers import (
    ReplayCreateInputSerializer,
    ReplayLiveOutputSerializer,
    ReplaySessionOutputSerializer,
    ReplayStepOutputSerializer,
)


def _session(request, pk: int) -> ReplaySession:
    session = replay_get(owner=request.user, pk=pk)
    if session is None:
        raise Http404
    return session


class ReplayListCreateApi(ApiGenericView):
    """Your replay sessions; POST creates one (ready, or running with start_now)."""

    ordering_fields = {"created_at": "created_at", "name": "name", "status": "status"}
    queryset = ReplaySession.objects.none()
    serializer_class = ReplaySessionOutputSerializer

    @extend_schema(responses=ReplaySessionOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(replay_list(owner=request.user))
        return self.get_paginated_response(ReplaySessionOutputSerializer(page, many=True).data)

    @extend_schema(
        request=ReplayCreateInputSerializer, responses={201: ReplaySessionOutputSerializer}
    )
    def post(self, request):
        s = ReplayCreateInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        session = replay_create(
            owner=request.user,
            name=v["name"],
            agent_ids=v["agents"],
            start=v["start"],
            end=v["end"],
            bars_per_step=v["bars_per_step"],
            step_seconds=v["step_seconds"],
            params={k: v[k] for k in DESK_FIELDS},
        )
        if v["start_now"]:
            session = replay_control(session=session, action="start")
        return Response(ReplaySessionOutputSerializer(session).data, status=status.HTTP_201_CREATED)


class ReplayDetailApi(ApiGenericView):
    queryset = ReplaySession.objects.none()
    serializer_class = ReplaySessionOutputSerializer

    def get(self, request, pk: int):
        return Response(ReplaySessionOutputSerializer(_session(request, pk)).data)


class ReplayControlApi(ApiGenericView):
    """POST start, resume, pause, step (one step now) or stop."""

    queryset = ReplaySession.objects.none()
    serializer_class = ReplaySessionOutputSerializer

    @extend_schema(request=None, responses=ReplaySessionOutputSerializer)
    def post(self, request, pk: int, action: str):
        session = _session(request, pk)
        return Response(
            ReplaySessionOutputSerializer(replay_control(session=session, action=action)).data
        )


class ReplayLiveApi(ApiGenericView):
    """The session page's poll: clock, status, the equity points after ``since`` (a step
    number), the latest decisions with reasons, fills and positions as of the clock."""

    queryset = ReplaySession.objects.none()
    serializer_class = ReplayLiveOutputSerializer

    @extend_schema(
        parameters=[OpenApiParameter("since", int, description="last step number already drawn")],
        responses=ReplayLiveOutputSerializer,
    )
    def get(self, request, pk: int):
        session = _session(request, pk)
        since = -1
        if "since" in request.query_params:
            raw = request.query_params.get("since")
            error = query_value_error(request.query_params, "since")
            if error is None and not (raw.lstrip("-").isdigit() and len(raw) <= 12):
                error = ["must be a whole number"]
            if error:
                return Response({"since": error}, status=status.HTTP_400_BAD_REQUEST)
            since = int(raw)
        return Response(ReplayLiveOutputSerializer(session_live(session, since_seq=since)).data)


class ReplayStepsApi(ApiGenericView):
    """The session's decision times, each with its candidates (paginated, oldest first)."""

    queryset = ReplayStep.objects.none()
    serializer_class = ReplayStepOutputSerializer

    @extend_schema(responses=ReplayStepOutputSerializer(many=True))
    def get(self, request, pk: int):
        session = _session(request, pk)
        qs = (
            ReplayStep.objects.filter(session=session)
            .order_by("seq")
            .prefetch_related(
                Prefetch(
                    "candidates",
                    queryset=ReplayCandidate.objects.select_related("agent").order_by("agent_id"),
                )
            )
        )
        page = self.paginate_queryset(qs)
        data = [
            {
                "seq": s.seq,
                "market_time": s.market_time,
                "cash": s.cash,
                "equity": s.equity,
                "candidates": [candidate_dict(c) for c in s.candidates.all()],
            }
            for s in page
        ]
        return self.get_paginated_response(ReplayStepOutputSerializer(data, many=True).data)
