import json
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.core.export import export_links, page_query
from apps.core.forms import error_lines, form_errors
from apps.core.jobs import JobStatus
from apps.core.jsonsafe import JSONLimitError, json_loads
from apps.core.pages import job_cancel_page
from apps.strategies.selectors import strategy_list
from apps.strategies.services import strategy_copy
from engine.backtest.sweep import LOWER_IS_BETTER

from .api.serializers import BacktestListQuerySerializer, CompareQuerySerializer
from .export import RUN_PARTS, run_download, sweep_download
from .forms import BacktestForm, RunExportForm, SweepForm
from .selectors import (
    DEFAULT_ORDERING,
    ORDER_FIELDS,
    ORDER_METRICS,
    backtest_compare,
    backtest_get,
    backtest_list,
    backtest_trades,
    equity_pct,
    metric_names,
    sweep_get,
    sweep_heatmap,
    sweep_list,
    sweep_offer,
    sweep_row_get,
    sweep_table,
)
from .services import (
    backtest_create,
    backtest_delete,
    backtest_rerun,
    sweep_create,
    sweep_row_backtest,
    sweep_row_save,
)

LIST_LIMIT = 100


def _filled(query: QueryDict) -> QueryDict:
    """The query without the empty fields a GET form sends."""
    filled = query.copy()
    for name in list(filled):
        if all(v == "" for v in filled.getlist(name)):
            del filled[name]
    return filled


@login_required
def backtest_list_view(request):
    query = BacktestListQuerySerializer(data=_filled(request.GET), context={"owner": request.user})
    valid = query.is_valid()
    filters = query.validated_data if valid else {}
    runs = backtest_list(owner=request.user, **filters) if valid else []
    ordering = filters.get("ordering", DEFAULT_ORDERING)
    return render(
        request,
        "backtests/list.html",
        {
            "runs": runs[:LIST_LIMIT],
            "limit": LIST_LIMIT,
            "filters": request.GET,
            "filtered": any(k != "ordering" for k in _filled(request.GET)),
            "filter_errors": {k: v for k, v in query.errors.items()} if not valid else {},
            "ordering": ordering,
            "sort_links": _sort_links(request.GET, ordering),
            "strategies": strategy_list(owner=request.user),
            "statuses": JobStatus.choices,
            "sweeps": sweep_list(owner=request.user)[:20],
        },
        status=200 if valid else 400,
    )


def _sort_links(query: QueryDict, ordering: str) -> dict[str, dict]:
    """Each sortable column's link (the same filters; a second click reverses it) and
    whether it is the current sort (arrow)."""
    links = {}
    for key in ORDER_FIELDS + ORDER_METRICS:
        current = ordering.lstrip("-") == key
        descending = ordering.startswith("-")
        nxt = (key if descending else f"-{key}") if current else f"-{key}"
        q = query.copy()
        q["ordering"] = nxt
        links[key] = {
            "url": f"?{q.urlencode()}",
            "arrow": ("▼" if descending else "▲") if current else "",
        }
    return links


@login_required
def backtest_compare_view(request):
    raw = ",".join(request.GET.getlist("runs"))
    query = CompareQuerySerializer(data={"runs": raw})
    runs, errors = [], []
    if query.is_valid():
        comparison = backtest_compare(owner=request.user, ids=query.validated_data["runs"])
        errors = comparison.errors
        runs = [] if errors else comparison.runs
    else:
        errors = query.errors["runs"]
    rows = [
        {"key": key, "values": [(r.metrics or {}).get(key) for r in runs]}
        for key in metric_names(r.metrics for r in runs)
    ]
    chart = [
        {
            "id": r.pk,
            "points": [[int(p["time"].timestamp()), p["pct"]] for p in equity_pct(r)],
        }
        for r in runs
    ]
    return render(
        request,
        "backtests/compare.html",
        {"runs": runs, "rows": rows, "chart": chart, "errors": errors},
        status=400 if errors else 200,
    )


@login_required
def backtest_export_view(request, pk: int):
    """A run's trades, equity or metrics (`?part=`, default trades) as a CSV or JSON
    download (`?format=`, default csv)."""
    run = backtest_get(owner=request.user, pk=pk)
    if run is None:
        raise Http404("No such backtest")
    query = page_query(request.GET, RunExportForm)
    return run_download(run, query["part"] or "trades", query["format"])


@login_required
def sweep_export_view(request, pk: int):
    """A sweep's results table as a CSV or JSON download (`?format=`, default csv)."""
    sweep = sweep_get(owner=request.user, pk=pk)
    if sweep is None:
        raise Http404("No such sweep")
    return sweep_download(sweep, page_query(request.GET)["format"])


@login_required
def backtest_new_view(request):
    strategies = list(strategy_list(owner=request.user))
    initial = {"strategy": request.GET.get("strategy")} if request.GET.get("strategy") else {}
    form = BacktestForm(request.POST or None, strategies=strategies, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            run = backtest_create(
                owner=request.user,
                strategy=d["strategy"],
                symbol=d["symbol"] or None,
                interval=d["interval"] or None,
                start=d["start"],
                end=d["end"],
                config=d["config"],
            )
            return redirect("backtests:detail", pk=run.pk)
        except ValidationError as exc:
            form_errors(form, exc)
    return render(request, "backtests/new.html", {"form": form, "has_strategies": bool(strategies)})


@login_required
def backtest_detail_view(request, pk: int):
    run = _owned_run(request, pk)
    return render(
        request,
        "backtests/detail.html",
        {
            "run": run,
            "exports": export_links(
                *((part.capitalize(), partial(_run_export_url, run.pk, part)) for part in RUN_PARTS)
            )
            if run.status == JobStatus.SUCCEEDED
            else [],
            "m": run.metrics or {},
            "trades": backtest_trades(run=run)[:500],
        },
    )


def _owned_run(request, pk: int):
    run = backtest_get(owner=request.user, pk=pk)
    if run is None:
        raise Http404("No such backtest")
    return run


@login_required
@require_POST
def backtest_rerun_view(request, pk: int):
    run = _owned_run(request, pk)
    try:
        again = backtest_rerun(run=run)
    except ValidationError as exc:
        messages.error(request, "Cannot re-run: " + "; ".join(error_lines(exc)))
        return redirect("backtests:detail", pk=pk)
    messages.success(request, f"Backtest #{pk} re-run as #{again.pk}.")
    return redirect("backtests:detail", pk=again.pk)


@login_required
@require_POST
def backtest_clone_view(request, pk: int):
    """The strategy this run ran, exactly, as a new strategy to edit."""
    run = _owned_run(request, pk)
    version = run.strategy_version
    try:
        strategy = strategy_copy(
            owner=request.user,
            definition=version.definition if version else run.strategy_definition,
            name=run.strategy_name,
            notes=f"Copied from the strategy of backtest #{run.pk}.",
        )
    except ValidationError as exc:
        messages.error(request, "Cannot clone: " + "; ".join(error_lines(exc)))
        return redirect("backtests:detail", pk=pk)
    messages.success(request, f"Created “{strategy.name}” from backtest #{pk}: edit it below.")
    return redirect("strategies:edit", ref=strategy.pk)


@login_required
@require_POST
def backtest_delete_view(request, pk: int):
    backtest_delete(run=_owned_run(request, pk))
    messages.success(request, f"Deleted backtest #{pk} and its trades.")
    return redirect("backtests:list")


@login_required
@require_POST
def backtest_cancel_view(request, pk: int):
    run = backtest_get(owner=request.user, pk=pk)
    return job_cancel_page(request, run, label="backtest", to="backtests:detail", pk=pk)


@login_required
@require_POST
def sweep_cancel_view(request, pk: int):
    sweep = sweep_get(owner=request.user, pk=pk)
    return job_cancel_page(request, sweep, label="sweep", to="backtests:sweep", pk=pk)


# How many strategies' parameter suggestions the sweep form carries (the newest first).
SWEEP_OFFERS = 100


@login_required
def sweep_new_view(request):
    # Every strategy is a choice (an older one's "Sweep its parameters" link must be valid);
    # only the suggestions are limited: the most recent ones and the one asked for.
    strategies = list(strategy_list(owner=request.user))
    chosen = request.GET.get("strategy") or (str(strategies[0].pk) if strategies else "")
    wanted = {chosen, str(request.POST.get("strategy", ""))}
    offers = {
        str(s.pk): sweep_offer(definition=s.definition)
        for i, s in enumerate(strategies)
        if i < SWEEP_OFFERS or str(s.pk) in wanted
    }
    initial = {"strategy": chosen} if chosen else {}
    if chosen in offers and offers[chosen]["grid"]:
        initial["grid"] = json.dumps(offers[chosen]["grid"])
    form = SweepForm(request.POST or None, strategies=strategies, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            grid = json_loads(d["grid"])
        except JSONLimitError as exc:
            form.add_error("grid", str(exc))
        except json.JSONDecodeError as exc:
            form.add_error("grid", f"not valid JSON: {exc.msg}")
        else:
            try:
                sweep = sweep_create(
                    owner=request.user,
                    strategy=d["strategy"],
                    grid=grid,
                    metric=d["metric"],
                    symbol=d["symbol"] or None,
                    interval=d["interval"] or None,
                    start=d["start"],
                    end=d["end"],
                    walk_forward_windows=d["walk_forward_windows"],
                    config=d["config"],
                )
                return redirect("backtests:sweep", pk=sweep.pk)
            except ValidationError as exc:
                form_errors(form, exc)
    return render(
        request,
        "backtests/sweep_new.html",
        {"form": form, "has_strategies": bool(strategies), "offers": offers},
    )


# The metrics of the sweep table beside the one it is ranked by (never that one twice).
SWEEP_COLUMNS = ("total_return_pct", "max_drawdown_pct", "sharpe", "num_trades")


@login_required
def sweep_detail_view(request, pk: int):
    sweep = sweep_get(owner=request.user, pk=pk)
    if sweep is None:
        raise Http404("No such sweep")
    rows = sweep_table(sweep) if sweep.status == JobStatus.SUCCEEDED else []
    keys = list(sweep.grid)
    heat = sweep_heatmap(sweep, rows)
    if heat:  # each cell beside the combination it opens
        for hr in heat["rows"]:
            hr["pairs"] = [
                {"value": v, "combo": c} for v, c in zip(hr["cells"], hr["combos"], strict=True)
            ]
    # The fixed columns beside the ranking metric's own (never the same metric twice).
    columns = [c for c in SWEEP_COLUMNS if c != sweep.metric]
    for row in rows[:200]:
        row["cells"] = [((row["metrics"] or {}).get(key), key) for key in columns]
        row["value"] = (row["metrics"] or {}).get(sweep.metric)
    wf = sweep.walk_forward or {}
    exports = export_links(
        (
            "Results table",
            lambda fmt: f"{reverse('backtests:sweep_export', args=[sweep.pk])}?format={fmt}",
        )
    )
    return render(
        request,
        "backtests/sweep.html",
        {
            "sweep": sweep,
            "rows": rows[:200],
            "keys": keys,
            "heat": heat,
            # The heatmap colours its best cell green: the lowest for a lower-is-better metric.
            "lower_better": sweep.metric in LOWER_IS_BETTER,
            "columns": columns,
            "can_save": sweep.strategy_id is not None,
            "wf_equity": {
                "points": wf.get("equity") or [],
                "windows": wf.get("windows_report") or [],
            },
            "exports": exports if rows else [],
        },
    )


def _sweep_row_action(request, pk: int, combo: int, service, done):
    """Run ``service(sweep=, row=)`` on the user's sweep row (404 if it is not theirs or
    does not exist); a refusal is flashed back on the sweep page, else ``done(result)``."""
    found = sweep_row_get(owner=request.user, pk=pk, combo=combo)
    if found is None:
        raise Http404("No such sweep row")
    sweep, row = found
    try:
        result = service(sweep=sweep, row=row)
    except ValidationError as exc:
        for msg in exc.messages:
            messages.error(request, msg)
        return redirect("backtests:sweep", pk=pk)
    return done(result)


@login_required
@require_POST
def sweep_row_open_view(request, pk: int, combo: int):
    """That combination's full result: a run of exactly it (reused when one exists)."""
    return _sweep_row_action(
        request, pk, combo, sweep_row_backtest, lambda r: redirect("backtests:detail", pk=r[0].pk)
    )


@login_required
@require_POST
def sweep_row_save_view(request, pk: int, combo: int):
    """The row's values as a new version of the strategy; then the strategy's page."""

    def done(result):
        strategy, created = result
        if created:
            messages.success(request, f"Saved as version {strategy.version} of {strategy.name}.")
        else:
            messages.info(request, f"Version {strategy.version} already has these values.")
        return redirect("strategies:detail", ref=strategy.pk)

    return _sweep_row_action(request, pk, combo, sweep_row_save, done)


def _run_export_url(pk: int, part: str, fmt: str) -> str:
    return f"{reverse('backtests:export', args=[pk])}?part={part}&format={fmt}"
