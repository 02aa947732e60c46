"""Training tasks: ids in, the registry row out (apps/core/jobs.py semantics)."""

from celery import shared_task

from .services import model_train_execute


@shared_task(name="ml.train", acks_late=True, reject_on_worker_lost=True)
def model_train(model_id: int) -> str:
    return model_train_execute(model_id)
