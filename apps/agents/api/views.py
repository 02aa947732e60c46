from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.agents.models import Agent
from apps.agents.selectors import agent_get, agent_list, signal_list
from apps.agents.services import (
    AgentDataError,
    agent_create,
    agent_evaluate,
    agent_set_enabled,
    prediction_item,
)
from apps.core.api.base import ApiGenericView
from apps.ml.selectors import model_get
from apps.strategies.selectors import strategy_get

from .serializers import (
    AgentDataErrorSerializer,
    AgentInputSerializer,
    AgentOutputSerializer,
    AgentPredictQuerySerializer,
    AgentUpdateInputSerializer,
    EvaluationOutputSerializer,
    PredictionItemSerializer,
    SignalOutputSerializer,
)


class AgentListCreateApi(ApiGenericView):
    """Your agents; POST configures one (symbol + saved strategy, optionally a model)."""

    ordering_fields = {
        "symbol": "symbol",
        "name": "name",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }
    queryset = Agent.objects.none()
    serializer_class = AgentOutputSerializer

    @extend_schema(responses=AgentOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(agent_list(owner=request.user))
        return self.get_paginated_response(AgentOutputSerializer(page, many=True).data)

    @extend_schema(request=AgentInputSerializer, responses={201: AgentOutputSerializer})
    def post(self, request):
        data = AgentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        strategy = strategy_get(owner=request.user, ref=v["strategy"])
        model = None
        errors = {} if strategy is not None else {"strategy": ["no such strategy"]}
        if v.get("model") is not None:
            model = model_get(owner=request.user, pk=v["model"])
            if model is None:
                errors["model"] = ["no such model"]
        if errors:
            return Response(errors, status=400)
        agent = agent_create(
            owner=request.user,
            symbol=v["symbol"],
            strategy=strategy,
            model=model,
            name=v.get("name") or "",
            interval=v.get("interval"),
            enabled=v["enabled"],
        )
        return Response(AgentOutputSerializer(agent).data, status=status.HTTP_201_CREATED)


class AgentDetailApi(ApiGenericView):
    queryset = Agent.objects.none()
    serializer_class = AgentOutputSerializer

    def _get(self, request, pk):
        agent = agent_get(owner=request.user, pk=pk)
        if agent is None:
            raise Http404
        return agent

    def get(self, request, pk: int):
        return Response(AgentOutputSerializer(self._get(request, pk)).data)

    @extend_schema(request=AgentUpdateInputSerializer, responses=AgentOutputSerializer)
    def patch(self, request, pk: int):
        agent = self._get(request, pk)
        # A partial update, as PATCH means: a field left out is left as it is.
        data = AgentUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        if "enabled" in data.validated_data:
            agent = agent_set_enabled(agent=agent, enabled=data.validated_data["enabled"])
        return Response(AgentOutputSerializer(agent).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        self._get(request, pk).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class AgentSignalsApi(ApiGenericView):
    ordering_fields = {
        "created_at": "created_at",
        "market_time": "market_time",
        "confidence": "confidence",
    }
    queryset = Agent.objects.none()
    serializer_class = SignalOutputSerializer

    @extend_schema(responses=SignalOutputSerializer(many=True))
    def get(self, request, pk: int):
        agent = agent_get(owner=request.user, pk=pk)
        if agent is None:
            raise Http404
        page = self.paginate_queryset(signal_list(agent=agent))
        return self.get_paginated_response(SignalOutputSerializer(page, many=True).data)


class AgentPredictApi(ApiGenericView):
    """The agent for a symbol evaluates as of now, on the candles closed by now (the original
    /agent/{symbol}/predict): with its market time (the last candle's close) and whether that
    is fresh (within DESK_MAX_STALE_BARS intervals) or stale, with its age. `?store=true`
    keeps the evaluation as a Signal. 409 when its data or model is unusable."""

    queryset = Agent.objects.none()
    serializer_class = EvaluationOutputSerializer

    @extend_schema(
        parameters=[AgentPredictQuerySerializer],
        responses={
            200: EvaluationOutputSerializer,
            409: OpenApiResponse(
                AgentDataErrorSerializer, description="its candles or model cannot be used"
            ),
        },
    )
    def get(self, request, symbol: str):
        query = AgentPredictQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        agent = agent_get(owner=request.user, symbol=symbol)
        if agent is None:
            raise Http404
        try:
            ev = agent_evaluate(agent, store=query.validated_data["store"])
        except AgentDataError as exc:
            return Response(
                {"detail": str(exc), "symbol": agent.symbol}, status=status.HTTP_409_CONFLICT
            )
        return Response(EvaluationOutputSerializer(ev.to_dict()).data)


class AgentPredictionsApi(ApiGenericView):
    """One item per agent, with the original frontend fields (agentName, prediction,
    confidence 0-100, entryPrice, targetPrice, stopLoss; prices as decimal strings like the
    rest of the API) plus agent_id, market_time, fresh, age and age_bars; an agent that
    cannot evaluate is an explicit error item. `/api/agents/{symbol}/predict/` has the
    whole evaluation."""

    ordering_fields = {"symbol": "symbol", "name": "name", "created_at": "created_at"}
    queryset = Agent.objects.none()
    serializer_class = PredictionItemSerializer

    @extend_schema(responses=PredictionItemSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(agent_list(owner=request.user))
        items = [prediction_item(a) for a in page]
        return self.get_paginated_response(PredictionItemSerializer(items, many=True).data)
