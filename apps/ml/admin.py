from django.contrib import admin, messages

from apps.core.jobs import JobStatus, job_cancel

from .models import TrainedModel
from .services import model_load


@admin.register(TrainedModel)
class TrainedModelAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "owner",
        "symbol",
        "interval",
        "estimator",
        "status",
        "progress",
        "accuracy",
        "baseline_accuracy",
        "beats_baseline",
        "usable",
        "created_at",
    )
    list_filter = ("status", "estimator", "interval", "usable", "beats_baseline")
    search_fields = ("symbol", "name", "owner__username", "sha256")
    list_select_related = ("owner",)
    readonly_fields = [
        f.name
        for f in TrainedModel._meta.fields
        if f.name not in ("name", "usable", "unusable_reason")
    ]
    actions = ["verify_artifacts", "cancel_jobs"]
    date_hierarchy = "created_at"

    @admin.display(description="accuracy")
    def accuracy(self, obj: TrainedModel):
        return round(obj.metrics["accuracy"], 4) if obj.metrics else None

    @admin.action(description="Verify the artifacts' integrity")
    def verify_artifacts(self, request, queryset):
        ok = bad = 0
        for model in queryset.filter(status=JobStatus.SUCCEEDED):
            try:
                model_load(model)
                ok += 1
            except Exception as exc:  # noqa: BLE001 - reported to the operator
                bad += 1
                self.message_user(request, f"model {model.pk}: {exc}", messages.WARNING)
        self.message_user(request, f"{ok} artifact(s) verified, {bad} refused")

    @admin.action(description="Cancel queued or running trainings")
    def cancel_jobs(self, request, queryset):
        n = sum(job_cancel(m) for m in queryset)
        self.message_user(request, f"{n} training(s) cancelled")
