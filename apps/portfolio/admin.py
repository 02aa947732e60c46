from django.contrib import admin

from .models import Order, Portfolio, Position, Snapshot, TradeLog
from .services import portfolio_reset


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0
    readonly_fields = (
        "symbol",
        "quantity",
        "avg_price",
        "cost",
        "fees",
        "opened_at",
        "strategy_name",
        "source",
    )
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "owner",
        "cash",
        "initial_cash",
        "buy_fraction",
        "fee_rate",
        "is_default",
        "updated_at",
    )
    search_fields = ("name", "owner__username")
    list_filter = ("is_default", "quote_currency")
    readonly_fields = ("cash", "created_at", "updated_at")
    inlines = [PositionInline]
    actions = ["reset"]

    @admin.action(description="Reset to the initial cash (clears positions, orders and trade log)")
    def reset(self, request, queryset):
        for p in queryset:
            portfolio_reset(portfolio=p)
        self.message_user(request, f"{queryset.count()} portfolio(s) reset")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "portfolio",
        "symbol",
        "action",
        "quantity",
        "price",
        "fee",
        "source",
        "confidence",
    )
    list_filter = ("action", "source")
    search_fields = ("symbol", "portfolio__owner__username", "idempotency_key", "strategy_name")
    date_hierarchy = "created_at"


@admin.register(TradeLog)
class TradeLogAdmin(ReadOnlyAdmin):
    list_display = (
        "exit_time",
        "portfolio",
        "symbol",
        "result",
        "roi",
        "pnl",
        "drawdown",
        "strategy_name",
        "source",
    )
    list_filter = ("result", "source", "position_type")
    search_fields = ("symbol", "strategy_name", "portfolio__owner__username")
    date_hierarchy = "exit_time"


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    list_display = ("portfolio", "symbol", "quantity", "avg_price", "cost", "opened_at", "source")
    search_fields = ("symbol", "portfolio__owner__username")


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ("portfolio", "time", "cash", "positions_value", "total")
