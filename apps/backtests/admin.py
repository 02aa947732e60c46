from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from apps.core.jobs import job_cancel

from .models import BacktestRun, Sweep, SweepResult
from .selectors import backtest_trades

TRADE_FIELDS = (
    "seq",
    "side",
    "entry_time",
    "exit_time",
    "entry_price",
    "exit_price",
    "pnl",
    "return_pct",
    "exit_reason",
)
TRADES_SHOWN = 100


@admin.register(BacktestRun)
class BacktestRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "owner",
        "strategy_name",
        "symbol",
        "interval",
        "status",
        "progress",
        "total_return",
        "trades",
        "created_at",
    )
    list_filter = ("status", "interval", "fill", "allow_short")
    search_fields = ("strategy_name", "symbol", "owner__username")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"
    readonly_fields = [*(f.name for f in BacktestRun._meta.fields), "trades_table"]
    actions = ["cancel"]

    @admin.display(description=f"trades (the first {TRADES_SHOWN})")
    def trades_table(self, obj):
        rows = backtest_trades(run=obj)[:TRADES_SHOWN]
        if not rows:
            return "-"
        head = format_html_join("", "<th>{}</th>", ((f,) for f in TRADE_FIELDS))
        body = format_html_join(
            "",
            "<tr>{}</tr>",
            (
                (format_html_join("", "<td>{}</td>", ((getattr(t, f),) for f in TRADE_FIELDS)),)
                for t in rows
            ),
        )
        return format_html("<table><tr>{}</tr>{}</table>", head, body)

    @admin.display(description="return %")
    def total_return(self, obj):
        return (obj.metrics or {}).get("total_return_pct")

    @admin.display(description="trades")
    def trades(self, obj):
        return (obj.metrics or {}).get("num_trades")

    @admin.action(description="Cancel queued or running runs")
    def cancel(self, request, queryset):
        n = sum(job_cancel(r) for r in queryset)
        self.message_user(request, f"{n} run(s) cancelled", messages.INFO)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Sweep)
class SweepAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "owner",
        "strategy_name",
        "symbol",
        "metric",
        "combinations",
        "completed",
        "status",
        "created_at",
    )
    list_filter = ("status", "metric")
    search_fields = ("strategy_name", "symbol", "owner__username")
    readonly_fields = [f.name for f in Sweep._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SweepResult)
class SweepResultAdmin(admin.ModelAdmin):
    list_display = ("sweep", "combo", "params", "error")
    readonly_fields = ("sweep", "combo", "params", "metrics", "error")

    def has_add_permission(self, request) -> bool:
        return False
