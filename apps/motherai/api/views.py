from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.core.api.base import ApiGenericView
from apps.motherai.models import Decision
from apps.motherai.selectors import decision_get, decision_list, motherai_trades
from apps.motherai.services import Weights, decision_execute, decision_make
from apps.portfolio.api.serializers import TradeLogOutputSerializer
from apps.portfolio.models import TradeLog
from apps.portfolio.selectors import portfolio_get

from .serializers import (
    DecisionInputSerializer,
    DecisionOutputSerializer,
    DecisionQuerySerializer,
)


class DecisionApi(ApiGenericView):
    """GET previews a decision as of now with the defaults or the query's values and stores
    nothing (`stored: false`, no id, no signals kept); POST decides with the body's values,
    stores the decision (201) and, with execute=true, places its orders. Stale signals and
    actions the portfolio cannot take are skipped, each candidate saying why."""

    queryset = Decision.objects.none()
    serializer_class = DecisionOutputSerializer

    def _decide(self, request, data, *, store: bool) -> Decision:
        s = DecisionInputSerializer(data=data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        portfolio = None
        if v.get("portfolio") is not None:
            portfolio = portfolio_get(owner=request.user, pk=v["portfolio"])
            if portfolio is None:
                raise ValidationError({"portfolio": ["no such portfolio"]})
        decision = decision_make(
            owner=request.user,
            top_n=v["top_n"],
            min_score=v["min_score"],
            weights=Weights(alpha=v["alpha"], beta=v["beta"]),
            portfolio=portfolio,
            store=store,
        )
        if store and v["execute"]:
            decision = decision_execute(decision=decision)
        return decision

    @extend_schema(
        parameters=[DecisionQuerySerializer],
        responses=OpenApiResponse(
            DecisionOutputSerializer, description="a preview: nothing is stored (stored: false)"
        ),
    )
    def get(self, request):
        data = request.query_params.copy()
        data["execute"] = "false"
        return Response(DecisionOutputSerializer(self._decide(request, data, store=False)).data)

    @extend_schema(
        request=DecisionInputSerializer,
        responses={
            201: OpenApiResponse(
                DecisionOutputSerializer, description="the decision, stored (and executed)"
            )
        },
    )
    def post(self, request):
        return Response(
            DecisionOutputSerializer(self._decide(request, request.data, store=True)).data,
            status=status.HTTP_201_CREATED,
        )


class DecisionListApi(ApiGenericView):
    ordering_fields = {"created_at": "created_at", "market_time": "market_time"}
    queryset = Decision.objects.none()
    serializer_class = DecisionOutputSerializer

    @extend_schema(responses=DecisionOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(decision_list(owner=request.user))
        return self.get_paginated_response(DecisionOutputSerializer(page, many=True).data)


class DecisionDetailApi(ApiGenericView):
    queryset = Decision.objects.none()
    serializer_class = DecisionOutputSerializer

    def get(self, request, pk: int):
        decision = decision_get(owner=request.user, pk=pk)
        if decision is None:
            raise Http404
        return Response(DecisionOutputSerializer(decision).data)


class DecisionExecuteApi(ApiGenericView):
    queryset = Decision.objects.none()
    serializer_class = DecisionOutputSerializer

    @extend_schema(request=None, responses=DecisionOutputSerializer)
    def post(self, request, pk: int):
        decision = decision_get(owner=request.user, pk=pk)
        if decision is None:
            raise Http404
        return Response(DecisionOutputSerializer(decision_execute(decision=decision)).data)


class MotherAITradesApi(ApiGenericView):
    """Mother AI's closed paper trades, newest first (the original /mother-ai/trades)."""

    ordering_fields = {
        "exit_time": "exit_time",
        "entry_time": "entry_time",
        "symbol": "symbol",
        "roi": "roi",
    }
    queryset = TradeLog.objects.none()
    serializer_class = TradeLogOutputSerializer

    @extend_schema(responses=TradeLogOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(motherai_trades(owner=request.user))
        return self.get_paginated_response(TradeLogOutputSerializer(page, many=True).data)
