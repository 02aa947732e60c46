"""The market-data page: coverage, the chart, and the upload form (same limits and the same
per-user upload rate as the API)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from .forms import CandleUploadForm
from .models import CandleImport
from .permissions import IMPORT_PERMISSION
from .selectors import candle_import_list, symbol_coverage, symbol_get, symbol_list
from .services import candle_import_create, import_report
from .throttles import upload_rate_text, upload_throttle_wait
from .uploads import upload_too_large

# Multipart overhead allowed on top of the file itself (the API allows the same).
UPLOAD_OVERHEAD_BYTES = 64 * 1024


@login_required
def index(request):
    symbols = [{"symbol": s, "coverage": symbol_coverage(s)} for s in symbol_list()]
    chosen = symbol_get(request.GET.get("symbol", "")) or (
        symbols[0]["symbol"] if symbols else None
    )
    intervals = [c.interval for c in symbol_coverage(chosen)] if chosen else []
    interval = (
        request.GET.get("interval")
        if request.GET.get("interval") in intervals
        else (intervals[0] if intervals else None)
    )
    can_import = request.user.has_perm(IMPORT_PERMISSION)
    form = CandleUploadForm()
    report = pending = None
    response_status = 200
    if request.method == "POST":
        if not can_import:
            messages.error(
                request, "You need the 'import candles' permission to upload market data."
            )
            return redirect("marketdata:index")
        wait = upload_throttle_wait(request)
        cap = settings.MARKETDATA_UPLOAD_MAX_BYTES
        if wait is not None:
            messages.error(
                request,
                f"Too many uploads: the limit is {upload_rate_text()}, counting this page and "
                f"the API together. Try again in {wait} s.",
            )
            response_status = 429
        # Parsing the body (here, or earlier in the CSRF middleware) goes through
        # CappedUploadHandler, which stops a file at the cap; a body far over it is not parsed.
        elif _content_length(request) > cap + UPLOAD_OVERHEAD_BYTES or _file_over_cap(request):
            messages.error(
                request,
                f"The upload is over the limit of {cap} bytes ({_content_length(request)} sent).",
            )
            response_status = 413
        else:
            form = CandleUploadForm(request.POST, request.FILES)
        if response_status == 200 and form.is_valid():
            record = candle_import_create(
                upload=form.cleaned_data["file"],
                symbol=form.cleaned_data["symbol"],
                interval=form.cleaned_data["interval"] or None,
                user=request.user,
            )
            if record.is_active:  # a large file: this page shows its progress
                return redirect(reverse("marketdata:index") + f"?import={record.pk}")
            if record.status == CandleImport.Status.SUCCEEDED:
                return _imported(request, record)
            report = import_report(record)
    elif request.GET.get("import"):
        record = _import_get(request)
        if record is not None and record.is_active:
            pending = import_report(record)
        elif record is not None and record.status == CandleImport.Status.SUCCEEDED:
            return _imported(request, record)
        elif record is not None:
            report = import_report(record)
    response = render(
        request,
        "marketdata/index.html",
        {
            "symbols": symbols,
            "chosen": chosen,
            "interval": interval,
            "intervals": intervals,
            "form": form,
            "can_import": can_import,
            "report": report,
            "pending_import": pending,
            "imports": candle_import_list(user=request.user)[:10],
            "upload_max_bytes": settings.MARKETDATA_UPLOAD_MAX_BYTES,
        },
        status=response_status,
    )
    if response_status == 429:
        response["Retry-After"] = str(wait)
    return response


def _imported(request, record: CandleImport):
    messages.success(
        request,
        f"Imported {record.symbol_name} {record.interval}: {record.rows_inserted} new, "
        f"{record.rows_present} already present, {record.gap_count} gap(s).",
    )
    return redirect(
        reverse("marketdata:index") + f"?symbol={record.symbol_name}&interval={record.interval}"
    )


def _import_get(request) -> CandleImport | None:
    """The import named by ``?import=`` if it is the user's (staff: anyone's), else None."""
    try:
        pk = int(request.GET["import"])
    except ValueError:
        return None
    return candle_import_list(user=request.user).filter(pk=pk).first()


def _file_over_cap(request) -> bool:
    request.FILES  # noqa: B018 -- parse now, so the handler's verdict is known
    return upload_too_large(request)


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
