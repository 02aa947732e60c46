from django import forms
from django.contrib import admin

from apps.core.validators import validate_name

from .models import Candle, CandleImport, Symbol
from .selectors import symbol_coverage


class SymbolAdminForm(forms.ModelForm):
    # Shown to every user beside the symbol: plain text only (apps.core.validators).
    description = forms.CharField(max_length=200, required=False, validators=[validate_name])

    class Meta:
        model = Symbol
        exclude: tuple[str, ...] = ()


@admin.register(Symbol)
class SymbolAdmin(admin.ModelAdmin):
    form = SymbolAdminForm
    list_display = (
        "name",
        "base_asset",
        "quote_asset",
        "asset_class",
        "exchange",
        "coverage",
        "created_at",
    )
    list_filter = ("asset_class", "exchange")
    search_fields = ("name", "base_asset", "quote_asset", "description")

    @admin.display(description="coverage")
    def coverage(self, obj: Symbol) -> str:
        return ", ".join(f"{c.interval}: {c.count}" for c in symbol_coverage(obj)) or "-"


@admin.register(Candle)
class CandleAdmin(admin.ModelAdmin):
    list_display = ("symbol", "interval", "open_time", "open", "high", "low", "close", "volume")
    list_filter = ("interval", "symbol")
    search_fields = ("symbol__name",)
    date_hierarchy = "open_time"
    list_select_related = ("symbol",)
    show_full_result_count = False  # counting millions of rows on every page is slow
    raw_id_fields = ("symbol",)


@admin.register(CandleImport)
class CandleImportAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "symbol_name",
        "interval",
        "source",
        "filename",
        "status",
        "rows_inserted",
        "rows_present",
        "rows_rejected",
        "gap_count",
        "user",
    )
    list_filter = ("status", "source", "interval")
    search_fields = ("symbol_name", "filename", "sha256", "user__username")
    readonly_fields = [f.name for f in CandleImport._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False  # imports happen through the upload page, the API or the command
