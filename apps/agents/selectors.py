from django.db.models import QuerySet

from .models import Agent, Signal


def agent_list(*, owner, enabled_only: bool = False) -> QuerySet[Agent]:
    qs = Agent.objects.filter(owner=owner).select_related("strategy", "strategy_version", "model")
    return qs.filter(enabled=True) if enabled_only else qs


def agent_get(*, owner, pk: int | None = None, symbol: str | None = None) -> Agent | None:
    qs = agent_list(owner=owner)
    if pk is not None:
        return qs.filter(pk=pk).first()
    return qs.filter(symbol__iexact=(symbol or "").strip()).first()


def signal_list(*, agent: Agent) -> QuerySet[Signal]:
    return agent.signals.all()
