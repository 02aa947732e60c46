from django.contrib import admin

from .models import Agent, Signal
from .services import AgentDataError, agent_evaluate


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "owner",
        "symbol",
        "interval",
        "strategy",
        "model",
        "enabled",
        "updated_at",
    )
    list_filter = ("enabled", "interval")
    search_fields = ("name", "symbol", "owner__username")
    list_select_related = ("owner", "strategy", "model")
    raw_id_fields = ("strategy", "strategy_version", "model")
    actions = ["enable", "disable", "evaluate_now"]

    @admin.action(description="Enable")
    def enable(self, request, queryset):
        self.message_user(request, f"{queryset.update(enabled=True)} agent(s) enabled")

    @admin.action(description="Disable")
    def disable(self, request, queryset):
        self.message_user(request, f"{queryset.update(enabled=False)} agent(s) disabled")

    @admin.action(description="Evaluate now and store the signal")
    def evaluate_now(self, request, queryset):
        for agent in queryset:
            try:
                ev = agent_evaluate(agent, store=True)
                self.message_user(
                    request,
                    f"{agent.name}: {ev.action} ({ev.confidence:.2f}, {ev.confidence_source})",
                )
            except AgentDataError as exc:
                self.message_user(request, f"{agent.name}: {exc}", level="warning")


@admin.register(Signal)
class SignalAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "agent",
        "symbol",
        "action",
        "confidence",
        "confidence_source",
        "candle_time",
    )
    list_filter = ("action", "confidence_source")
    search_fields = ("symbol", "agent__name", "agent__owner__username")
    readonly_fields = [f.name for f in Signal._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
