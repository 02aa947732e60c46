from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from .models import BinanceCredential, KlineSync
from .services import credential_connect, credential_disconnect, kline_sync_start


def _errors(request, exc: ValidationError) -> None:
    for field, msgs in exc.message_dict.items():
        for msg in msgs:
            messages.error(request, f"{field}: {msg}")


@login_required
def settings_view(request):
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "connect":
                credential_connect(
                    owner=request.user,
                    api_key=request.POST.get("apiKey", ""),
                    secret=request.POST.get("secretKey", ""),
                )
                messages.success(request, "Connected to Binance.")
            elif action == "disconnect":
                credential_disconnect(owner=request.user)
                messages.success(request, "Disconnected; the key was deleted.")
            elif action == "sync":
                import pandas as pd

                try:
                    start = pd.Timestamp(request.POST.get("start", ""), tz="UTC").to_pydatetime()
                except ValueError:
                    raise ValidationError({"start": ["not a date"]}) from None
                job = kline_sync_start(
                    owner=request.user,
                    symbol=request.POST.get("symbol", ""),
                    interval=request.POST.get("interval", ""),
                    start=start,
                )
                messages.success(request, f"Sync #{job.pk} started.")
        except ValidationError as exc:
            _errors(request, exc)
        return redirect("binance:settings")
    return render(
        request,
        "binance/settings.html",
        {
            "credential": BinanceCredential.objects.filter(owner=request.user).first(),
            "syncs": KlineSync.objects.filter(owner=request.user)[:20],
        },
    )
