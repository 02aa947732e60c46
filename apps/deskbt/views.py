import json
from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.agents.selectors import agent_list
from apps.core.forms import form_errors
from apps.core.jobs import JobStatus
from apps.core.jsonsafe import JSONLimitError, json_loads
from apps.core.pages import job_cancel_page
from engine.desk import DEFAULTS

from .forms import AuditFilterForm, DeskBacktestForm
from .selectors import desk_audit_page, desk_backtest_get, desk_backtest_list, desk_trades
from .services import desk_backtest_create

TRADES_ON_PAGE = 500
TRADE_TIMES = ("entry_decided_at", "entry_filled_at", "exit_decided_at", "exit_filled_at")
AUDIT_TIMES = ("decided_at", "candle_time")


def _dated(rows: list[dict], keys: tuple[str, ...]) -> list[dict]:
    """The rows with their ISO market times as datetimes, for the page to print as
    "2021-01-01 00:00" like every other page (the API keeps the ISO strings)."""
    return [{**r, **{k: datetime.fromisoformat(r[k]) for k in keys if r.get(k)}} for r in rows]


@login_required
def desk_backtest_list_view(request):
    return render(
        request, "deskbt/list.html", {"jobs": desk_backtest_list(owner=request.user)[:100]}
    )


def _grid(form: DeskBacktestForm) -> dict | None:
    """The sweep's grid from its JSON text (None: a single run); a form error if unreadable."""
    text = form.cleaned_data["grid"].strip()
    if not text:
        return None
    try:
        return json_loads(text)
    except JSONLimitError as exc:
        form.add_error("grid", str(exc))
    except json.JSONDecodeError as exc:
        form.add_error("grid", f"not valid JSON: {exc.msg}")
    return None


@login_required
def desk_backtest_new_view(request):
    agents = list(agent_list(owner=request.user))
    form = DeskBacktestForm(request.POST or None, agents=agents)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        grid = _grid(form)
        if not form.errors:
            try:
                job = desk_backtest_create(
                    owner=request.user,
                    agent_ids=d["agents"],
                    start=d["start"],
                    end=d["end"],
                    name=d["name"],
                    grid=grid,
                    **{name: d[name] for name in DEFAULTS},
                )
                return redirect("deskbt:detail", pk=job.pk)
            except ValidationError as exc:
                form_errors(form, exc)
    return render(request, "deskbt/new.html", {"form": form, "has_agents": bool(agents)})


@login_required
def desk_backtest_detail_view(request, pk: int):
    job = desk_backtest_get(owner=request.user, pk=pk, arrays=True)
    if job is None:
        raise Http404("No such desk backtest")
    context = {"job": job, "m": job.metrics or {}}
    if job.status == JobStatus.SUCCEEDED and not job.is_sweep:
        filters = AuditFilterForm(request.GET or None, agents=job.agents)
        q = filters.cleaned_data if filters.is_valid() else {}
        page = desk_audit_page(
            job,
            taken=bool(q.get("taken")),
            agent_id=q.get("agent"),
            start=q.get("start"),
            end=q.get("end"),
            page=q.get("page") or 1,
        )
        query = request.GET.copy()
        query.pop("page", None)
        trades = desk_trades(job)
        context.update(
            filters=filters,
            audit=page,
            audit_rows=_dated(page.rows, AUDIT_TIMES),
            audit_query=query.urlencode(),
            trades=_dated(trades[:TRADES_ON_PAGE], TRADE_TIMES),
            trades_total=len(trades),
            alone=zip(job.agents, job.metrics["agents_alone"], strict=True),
        )
    return render(request, "deskbt/detail.html", context)


@login_required
@require_POST
def desk_backtest_cancel_view(request, pk: int):
    job = desk_backtest_get(owner=request.user, pk=pk)
    return job_cancel_page(request, job, label="desk backtest", to="deskbt:detail", pk=pk)
