from django.contrib import admin

from .models import ReplayCandidate, ReplaySession, ReplayStep
from .services import replay_advance, replay_control


@admin.register(ReplaySession)
class ReplaySessionAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "name", "status", "clock", "steps_done", "times_total")
    list_filter = ("status",)
    search_fields = ("owner__username", "name")
    readonly_fields = ("clock", "steps_done", "times_total", "portfolio", "last_step_at", "note")
    actions = ["pause", "step"]

    @admin.action(description="Pause")
    def pause(self, request, queryset):
        for s in queryset.filter(status=ReplaySession.Status.RUNNING):
            replay_control(session=s, action="pause")

    @admin.action(description="Step once")
    def step(self, request, queryset):
        n = sum(replay_advance(session_id=s.pk) for s in queryset)
        self.message_user(request, f"{n} decision time(s) processed")


@admin.register(ReplayStep)
class ReplayStepAdmin(admin.ModelAdmin):
    list_display = ("session", "seq", "market_time", "cash", "equity")
    list_filter = ("session__status",)
    readonly_fields = [f.name for f in ReplayStep._meta.fields]


@admin.register(ReplayCandidate)
class ReplayCandidateAdmin(admin.ModelAdmin):
    list_display = ("session", "market_time", "agent", "action", "score", "rank", "status", "fill")
    list_filter = ("action", "fill")
    readonly_fields = [f.name for f in ReplayCandidate._meta.fields]
