from django.contrib import admin

from .models import Decision, Schedule
from .services import decision_execute, decision_make


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "owner",
        "created_at",
        "chosen",
        "top_n",
        "min_score",
        "trigger",
        "executed",
    )
    list_filter = ("executed", "trigger")
    search_fields = ("owner__username",)
    readonly_fields = [f.name for f in Decision._meta.fields]
    actions = ["execute"]

    @admin.action(description="Execute in the owner's paper portfolio")
    def execute(self, request, queryset):
        for d in queryset:
            decision_execute(decision=d)
        self.message_user(request, f"{queryset.count()} decision(s) executed")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = (
        "owner",
        "enabled",
        "every_minutes",
        "top_n",
        "min_score",
        "execute",
        "last_run_at",
    )
    list_filter = ("enabled", "execute")
    actions = ["run_now"]

    @admin.action(description="Run a decision now for these users")
    def run_now(self, request, queryset):
        for s in queryset:
            decision_make(owner=s.owner, top_n=s.top_n, min_score=s.min_score, trigger="admin")
        self.message_user(request, f"{queryset.count()} decision(s) made")
