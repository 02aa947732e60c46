from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.core.forms import error_lines, form_clean
from apps.core.pages import job_cancel_page

from .forms import ScheduleChoiceForm, ScheduleForm, SyncForm
from .models import BinanceCredential, KlineSync, SyncSchedule
from .services import (
    can_store_candles,
    credential_connect,
    credential_disconnect,
    kline_sync_start,
    schedule_save,
    schedule_update,
)


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
                d = form_clean(SyncForm, request.POST)
                job = kline_sync_start(owner=request.user, **d)
                messages.success(request, f"Sync #{job.pk} started.")
            elif action == "schedule":
                schedule = schedule_save(
                    owner=request.user, **form_clean(ScheduleForm, request.POST)
                )
                messages.success(request, f"{schedule} saved.")
            elif action in ("schedule_toggle", "schedule_delete"):
                pk = form_clean(ScheduleChoiceForm, request.POST)["schedule"]
                schedule = get_object_or_404(SyncSchedule, owner=request.user, pk=pk)
                if action == "schedule_delete":
                    schedule.delete()
                    messages.success(request, "Schedule deleted.")
                else:
                    schedule = schedule_update(schedule=schedule, enabled=not schedule.enabled)
                    messages.success(request, f"{schedule} saved.")
            else:
                raise ValidationError({"action": ["unknown action"]})
        except ValidationError as exc:
            # The page again, with each refused field named, as a 400 (not a redirect that
            # would read as success to a script).
            for line in error_lines(exc):
                messages.error(request, line)
            return _page(request, status=400)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return _page(request, status=403)
        return redirect("binance:settings")
    return _page(request)


def _page(request, status: int = 200):
    return render(
        request,
        "binance/settings.html",
        {
            "credential": BinanceCredential.objects.filter(owner=request.user).first(),
            "syncs": KlineSync.objects.filter(owner=request.user)[:20],
            "schedules": SyncSchedule.objects.filter(owner=request.user),
            "can_store_candles": can_store_candles(request.user),
        },
        status=status,
    )


@login_required
@require_POST
def sync_cancel_view(request, pk: int):
    job = KlineSync.objects.filter(owner=request.user, pk=pk).first()
    return job_cancel_page(request, job, label=f"sync #{pk}", to="binance:settings")
