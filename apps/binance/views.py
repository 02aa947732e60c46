from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.core.jobs import job_cancel

from .models import BinanceCredential, KlineSync, SyncSchedule
from .services import (
    credential_connect,
    credential_disconnect,
    kline_sync_start,
    schedule_save,
    schedule_update,
)


def _errors(request, exc: ValidationError) -> None:
    for field, msgs in exc.message_dict.items():
        for msg in msgs:
            messages.error(request, f"{field}: {msg}")


def _date(text: str):
    import pandas as pd

    try:
        return pd.Timestamp(text, tz="UTC").to_pydatetime()
    except ValueError:
        raise ValidationError({"start": ["not a date (YYYY-MM-DD)"]}) from None


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
                job = kline_sync_start(
                    owner=request.user,
                    symbol=request.POST.get("symbol", ""),
                    interval=request.POST.get("interval", ""),
                    start=_date(request.POST.get("start", "")),
                )
                messages.success(request, f"Sync #{job.pk} started.")
            elif action == "schedule":
                try:
                    every = int(request.POST.get("every_minutes", "60"))
                except ValueError:
                    raise ValidationError({"every_minutes": ["not a whole number"]}) from None
                schedule = schedule_save(
                    owner=request.user,
                    symbol=request.POST.get("symbol", ""),
                    interval=request.POST.get("interval", ""),
                    start=_date(request.POST.get("start", "")),
                    every_minutes=every,
                )
                messages.success(request, f"{schedule} saved.")
            elif action in ("schedule_toggle", "schedule_delete"):
                schedule = get_object_or_404(
                    SyncSchedule, owner=request.user, pk=request.POST.get("schedule") or 0
                )
                if action == "schedule_delete":
                    schedule.delete()
                    messages.success(request, "Schedule deleted.")
                else:
                    schedule = schedule_update(schedule=schedule, enabled=not schedule.enabled)
                    messages.success(request, f"{schedule} saved.")
        except ValidationError as exc:
            _errors(request, exc)
        return redirect("binance:settings")
    return render(
        request,
        "binance/settings.html",
        {
            "credential": BinanceCredential.objects.filter(owner=request.user).first(),
            "syncs": KlineSync.objects.filter(owner=request.user)[:20],
            "schedules": SyncSchedule.objects.filter(owner=request.user),
        },
    )


@login_required
@require_POST
def sync_cancel_view(request, pk: int):
    job = get_object_or_404(KlineSync, owner=request.user, pk=pk)
    if job_cancel(job):
        messages.info(request, f"Sync #{pk} cancelled.")
    else:
        messages.error(request, f"Sync #{pk} has already finished.")
    return redirect("binance:settings")
