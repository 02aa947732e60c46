"""Training jobs as ``model_train_start`` stores them (queued), for job-protocol tests that
need the row, not a trained model."""

from __future__ import annotations

import factory

from apps.accounts.tests.factories import UserFactory
from apps.ml.models import TrainedModel


class TrainedModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainedModel

    owner = factory.SubFactory(UserFactory)
    symbol = "BTCUSDT"
    interval = "1h"
