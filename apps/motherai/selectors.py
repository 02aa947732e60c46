from django.db.models import QuerySet

from apps.portfolio.models import TradeLog

from .models import Decision


def decision_list(*, owner) -> QuerySet[Decision]:
    return Decision.objects.filter(owner=owner)


def decision_get(*, owner, pk: int) -> Decision | None:
    return Decision.objects.filter(owner=owner, pk=pk).first()


def motherai_trades(*, owner) -> QuerySet[TradeLog]:
    """The original /mother-ai/trades: Mother AI's closed paper trades, newest first."""
    return TradeLog.objects.filter(portfolio__owner=owner, source="motherai").order_by(
        "-exit_time", "-id"
    )
