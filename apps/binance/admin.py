from django.contrib import admin

from .models import BinanceCredential, KlineSync, SyncSchedule


@admin.register(BinanceCredential)
class BinanceCredentialAdmin(admin.ModelAdmin):
    # The encrypted fields are never shown, not even encrypted.
    list_display = ("owner", "key_hint", "status", "validated_at")
    fields = ("owner", "key_hint", "status", "permissions", "validated_at", "created_at")
    readonly_fields = fields
    search_fields = ("owner__username", "key_hint")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(KlineSync)
class KlineSyncAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "owner",
        "symbol",
        "interval",
        "status",
        "progress",
        "pages",
        "candles_inserted",
        "created_at",
    )
    list_filter = ("status", "interval")
    search_fields = ("symbol", "owner__username")
    readonly_fields = [f.name for f in KlineSync._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SyncSchedule)
class SyncScheduleAdmin(admin.ModelAdmin):
    list_display = ("owner", "symbol", "interval", "every_minutes", "enabled", "last_run_at")
    list_filter = ("enabled", "interval")
    search_fields = ("symbol", "owner__username")
    readonly_fields = ("last_run_at", "last_sync", "created_at")
