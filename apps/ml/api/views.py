from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api.base import ApiGenericView
from apps.core.api.jobs import job_cancel_response
from apps.core.api.serializers import SymbolQuerySerializer
from apps.ml.models import TrainedModel
from apps.ml.selectors import model_get, model_list
from apps.ml.services import model_delete, model_predict, model_train_start
from engine.ml import ModelIntegrityError

from .serializers import (
    ModelOutputSerializer,
    ModelPredictInputSerializer,
    ModelPredictOutputSerializer,
    ModelTrainInputSerializer,
    ModelUnusableOutputSerializer,
)


def _get(request, pk) -> TrainedModel:
    model = model_get(owner=request.user, pk=pk)
    if model is None:
        raise Http404
    return model


class ModelListCreateApi(ApiGenericView):
    """Your trained models (`?symbol=`); POST starts a training job and answers 202 with its URL."""

    ordering_fields = {
        "created_at": "created_at",
        "finished_at": "finished_at",
        "symbol": "symbol",
        "status": "status",
    }
    queryset = TrainedModel.objects.none()
    serializer_class = ModelOutputSerializer

    @extend_schema(parameters=[SymbolQuerySerializer], responses=ModelOutputSerializer(many=True))
    def get(self, request):
        query = SymbolQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = self.paginate_queryset(
            model_list(owner=request.user, symbol=query.validated_data.get("symbol"))
        )
        return self.get_paginated_response(ModelOutputSerializer(page, many=True).data)

    @extend_schema(request=ModelTrainInputSerializer, responses={202: ModelOutputSerializer})
    def post(self, request):
        data = ModelTrainInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = model_train_start(owner=request.user, **data.validated_data)
        job.refresh_from_db()
        body = ModelOutputSerializer(job).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class ModelDetailApi(ApiGenericView):
    queryset = TrainedModel.objects.none()
    serializer_class = ModelOutputSerializer

    def get(self, request, pk: int):
        return Response(ModelOutputSerializer(_get(request, pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        model_delete(model=_get(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ModelPredictApi(ApiGenericView):
    """Probability that the next candle closes up, for the latest candle or a given time.
    A model whose artifact fails its integrity check answers 409 and is marked unusable."""

    queryset = TrainedModel.objects.none()
    serializer_class = ModelPredictInputSerializer

    @extend_schema(
        request=ModelPredictInputSerializer,
        responses={
            200: ModelPredictOutputSerializer,
            409: OpenApiResponse(
                ModelUnusableOutputSerializer, description="its artifact failed the integrity check"
            ),
        },
    )
    def post(self, request, pk: int):
        model = _get(request, pk)
        data = ModelPredictInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            return Response(model_predict(model=model, at=data.validated_data.get("at")))
        except ModelIntegrityError as exc:
            return Response({"detail": str(exc), "usable": False}, status=status.HTTP_409_CONFLICT)


class ModelCancelApi(ApiGenericView):
    """Cancel your queued or running training (it stops at its next progress step).
    409 when it has already finished."""

    queryset = TrainedModel.objects.none()
    serializer_class = ModelOutputSerializer

    @extend_schema(request=None, responses={200: ModelOutputSerializer, 409: ModelOutputSerializer})
    def post(self, request, pk: int):
        return job_cancel_response(_get(request, pk), ModelOutputSerializer)
