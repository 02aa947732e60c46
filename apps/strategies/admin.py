from django.contrib import admin

from .models import Strategy, StrategyVersion


class StrategyVersionInline(admin.TabularInline):
    model = StrategyVersion
    extra = 0
    can_delete = False
    fields = ("number", "name", "symbol", "timeframe", "created_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "symbol", "timeframe", "version", "updated_at")
    list_filter = ("timeframe", "symbol")
    search_fields = ("name", "symbol", "owner__username", "notes")
    readonly_fields = ("normalized", "version", "created_at", "updated_at")
    list_select_related = ("owner",)
    inlines = [StrategyVersionInline]


@admin.register(StrategyVersion)
class StrategyVersionAdmin(admin.ModelAdmin):
    list_display = ("strategy", "number", "symbol", "timeframe", "created_at")
    list_filter = ("timeframe",)
    search_fields = ("strategy__name", "symbol", "strategy__owner__username")
    readonly_fields = [f.name for f in StrategyVersion._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # versions are history
