from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from apps.motherai.models import Decision
from apps.motherai.selectors import decision_get, decision_list, motherai_trades
from apps.motherai.services import Weights, decision_execute, decision_make
from apps.portfolio.api.serializers import TradeLogOutputSerializer
from apps.portfolio.models import TradeLog

from .serializers import (
    DecisionInputSerializer,
    DecisionOutputSerializer,
    DecisionQuerySerializer,
)


class DecisionApi(GenericAPIView):
    """GET computes (and stores) a decision now with the defaults or query values; POST
    computes one with the body's values and, with execute=true, places its orders."""

    queryset = Decision.objects.none()
    serializer_class = DecisionOutputSerializer

    def _make(self, request, data) -> Decision:
        s = DecisionInputSerializer(data=data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        decision = decision_make(
            owner=request.user,
            top_n=v["top_n"],
            min_score=v["min_score"],
            weights=Weights(alpha=v["alpha"], beta=v["beta"]),
        )
        if v["execute"]:
            decision = decision_execute(decision=decision)
        return decision

    @extend_schema(parameters=[DecisionQuerySerializer], responses=DecisionOutputSerializer)
    def get(self, request):
        data = request.query_params.copy()
        data["execute"] = "false"
        return Response(DecisionOutputSerializer(self._make(request, data)).data)

    @extend_schema(request=DecisionInputSerializer, responses={201: DecisionOutputSerializer})
    def post(self, request):
        return Response(
            DecisionOutputSerializer(self._make(request, request.data)).data,
            status=status.HTTP_201_CREATED,
        )


class DecisionListApi(GenericAPIView):
    queryset = Decision.objects.none()
    serializer_class = DecisionOutputSerializer

    @extend_schema(responses=DecisionOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(decision_list(owner=request.user))
        return self.get_paginated_response(DecisionOutputSerializer(page, many=True).data)


class DecisionDetailApi(GenericAPIView):
    queryset = Decision.objects.none()
    serializer_class = DecisionOutputSerializer

    def get(self, request, pk: int):
        decision = decision_get(owner=request.user, pk=pk)
        if decision is None:
            raise Http404
        return Response(DecisionOutputSerializer(decision).data)


class DecisionExecuteApi(GenericAPIView):
    queryset = Decision.objects.none()
    serializer_class = DecisionOutputSerializer

    @extend_schema(request=None, responses=DecisionOutputSerializer)
    def post(self, request, pk: int):
        decision = decision_get(owner=request.user, pk=pk)
        if decision is None:
            raise Http404
        return Response(DecisionOutputSerializer(decision_execute(decision=decision)).data)


class MotherAITradesApi(GenericAPIView):
    """Mother AI's closed paper trades, newest first (the original /mother-ai/trades)."""

    queryset = TradeLog.objects.none()
    serializer_class = TradeLogOutputSerializer

    @extend_schema(responses=TradeLogOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(motherai_trades(owner=request.user))
        return self.get_paginated_response(TradeLogOutputSerializer(page, many=True).data)
