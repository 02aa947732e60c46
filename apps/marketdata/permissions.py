from rest_framework.permissions import BasePermission

IMPORT_PERMISSION = "marketdata.import_candles"


class CanImportCandles(BasePermission):
    message = "You need the 'import candles' permission to import market data."

    def has_permission(self, request, view) -> bool:
        return bool(
            request.user
            and request.user.is_authenticated
            and request.user.has_perm(IMPORT_PERMISSION)
        )
