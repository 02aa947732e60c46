from django.contrib import admin, messages

from apps.core.jobs import job_cancel

from .models import DeskBacktest


@admin.register(DeskBacktest)
class DeskBacktestAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "label", "start", "end", "status", "progress", "created_at")
    list_filter = ("status",)
    search_fields = ("owner__username", "name")
    exclude = ("audit_npz", "trades_npz")
    readonly_fields = ("metrics", "curves", "sweep_results", "timings", "agents")
    actions = ["cancel"]

    @admin.action(description="Cancel the selected queued or running desk backtests")
    def cancel(self, request, queryset):
        n = sum(job_cancel(job) for job in queryset.defer("audit_npz", "trades_npz"))
        self.message_user(request, f"{n} cancelled", messages.INFO)
