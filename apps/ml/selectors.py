"""Model registry reads, scoped to the owner."""

from django.db.models import QuerySet

from apps.core.jobs import JobStatus, job_reap_stale

from .models import TrainedModel


def model_list(
    *, owner, symbol: str | None = None, usable_only: bool = False
) -> QuerySet[TrainedModel]:
    qs = TrainedModel.objects.filter(owner=owner)
    if symbol:
        qs = qs.filter(symbol__iexact=symbol)
    if usable_only:
        qs = qs.filter(status=JobStatus.SUCCEEDED, usable=True)
    return qs


def model_get(*, owner, pk: int) -> TrainedModel | None:
    model = TrainedModel.objects.filter(owner=owner, pk=pk).first()
    if model is not None and model.status == JobStatus.RUNNING:
        # Someone is watching: if its worker died, requeue it now rather than at the next beat.
        job_reap_stale(TrainedModel, pk=pk)
        model.refresh_from_db()
    return model
