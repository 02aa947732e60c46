"""The model registry: one row per training, with its data window, features, estimator,
held-out metrics beside the majority baseline, importances and the artifact's sha256."""

from django.conf import settings
from django.db import models

from apps.core.jobs import Job, register_job_model
from engine.marketdata import INTERVALS

INTERVAL_CHOICES = [(i, i) for i in INTERVALS]


@register_job_model
class TrainedModel(Job):
    task_name = "ml.train"

    class Estimator(models.TextChoices):
        RANDOM_FOREST = "random_forest", "Random forest"
        GRADIENT_BOOSTING = "gradient_boosting", "Gradient boosting"
        LOGISTIC_REGRESSION = "logistic_regression", "Logistic regression (scaled)"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trained_models"
    )
    name = models.CharField(max_length=120, blank=True)
    symbol = models.CharField(max_length=30, db_index=True)
    interval = models.CharField(max_length=3, choices=INTERVAL_CHOICES)
    start = models.DateTimeField(
        null=True, blank=True, help_text="requested window start (empty: all data)"
    )
    end = models.DateTimeField(null=True, blank=True)
    estimator = models.CharField(
        max_length=30, choices=Estimator.choices, default=Estimator.RANDOM_FOREST
    )
    params = models.JSONField(default=dict, blank=True, help_text="estimator parameters as used")
    seed = models.IntegerField(default=42)
    test_fraction = models.FloatField(default=0.2)
    walk_forward_folds = models.PositiveSmallIntegerField(default=0)
    walk_forward_mode = models.CharField(max_length=10, default="expanding")

    features = models.JSONField(default=list, blank=True)
    metrics = models.JSONField(null=True, blank=True)
    baseline_accuracy = models.FloatField(null=True, blank=True)
    beats_baseline = models.BooleanField(null=True, blank=True)
    importances = models.JSONField(null=True, blank=True)
    folds = models.JSONField(default=list, blank=True)
    candles_count = models.PositiveIntegerField(default=0)
    data_first = models.DateTimeField(null=True, blank=True)
    data_last = models.DateTimeField(null=True, blank=True)
    train_window = models.JSONField(null=True, blank=True)
    test_window = models.JSONField(null=True, blank=True)
    train_rows = models.PositiveIntegerField(default=0)
    test_rows = models.PositiveIntegerField(default=0)
    fit_seconds = models.FloatField(null=True, blank=True)
    peak_memory_mb = models.FloatField(null=True, blank=True)

    artifact = models.CharField(
        max_length=300, blank=True, help_text="file name under ML_ARTIFACTS_DIR"
    )
    sha256 = models.CharField(max_length=64, blank=True)
    engine_version = models.CharField(max_length=20, blank=True)
    usable = models.BooleanField(default=True)
    unusable_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "symbol", "interval"])]

    def __str__(self) -> str:
        return f"model {self.pk} {self.symbol} {self.interval} {self.estimator} ({self.status})"

    @property
    def label(self) -> str:
        return (
            self.name or f"{self.symbol} {self.interval} {self.get_estimator_display()} #{self.pk}"
        )
