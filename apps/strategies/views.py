import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core.forms import form_errors

from .forms import StrategyForm
from .selectors import strategy_backtests, strategy_get, strategy_list, strategy_versions
from .services import strategy_create, strategy_delete, strategy_update

EXAMPLE = {
    "strategy_name": "RSI dip in uptrend",
    "symbol": "BTCUSDT",
    "timeframe": "1h",
    "entry_conditions": [
        {"indicator": "rsi", "params": {"period": 14}, "condition": "< 30"},
        {"indicator": "close", "condition": "> ema(200)"},
    ],
    "exit_conditions": [{"indicator": "rsi", "condition": "> 70"}],
    "entry_logic": "all",
    "exit_logic": "any",
    "risk": {"stop_loss_pct": 2.0, "take_profit_pct": 5.0, "position_size_pct": 100},
}


def _owned(request, ref):
    strategy = strategy_get(owner=request.user, ref=ref)
    if strategy is None:
        raise Http404("No such strategy")
    return strategy


# A service's errors about the symbol or the whole strategy belong to the JSON text area.
_ONTO_JSON = {"symbol": "strategy_json", "strategy": "strategy_json"}


@login_required
def strategy_list_view(request):
    symbol = request.GET.get("symbol", "")
    return render(
        request,
        "strategies/list.html",
        {"strategies": strategy_list(owner=request.user, symbol=symbol or None), "symbol": symbol},
    )


@login_required
def strategy_edit_view(request, ref=None):
    strategy = _owned(request, ref) if ref is not None else None
    if request.method == "POST":
        form = StrategyForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                if strategy is None:
                    strategy = strategy_create(
                        owner=request.user,
                        definition=d["strategy_json"],
                        name=d["name"] or None,
                        notes=d["notes"],
                        timeframe=d["timeframe"] or None,
                    )
                    messages.success(request, f"Saved {strategy.name} (version 1).")
                else:
                    before = (strategy.version, strategy.name, strategy.notes)
                    strategy = strategy_update(
                        strategy=strategy,
                        definition=d["strategy_json"],
                        name=d["name"] or None,
                        notes=d["notes"],
                        timeframe=d["timeframe"] or None,
                    )
                    if (strategy.version, strategy.name, strategy.notes) == before:
                        messages.info(request, "No changes to save.")
                    elif strategy.version == before[0]:
                        messages.success(
                            request, f"Saved {strategy.name} (still version {strategy.version})."
                        )
                    else:
                        messages.success(
                            request, f"Saved {strategy.name} as version {strategy.version}."
                        )
                return redirect("strategies:detail", ref=strategy.pk)
            except ValidationError as exc:
                form_errors(form, exc, onto=_ONTO_JSON)
    elif strategy is not None:
        form = StrategyForm(
            initial={
                "name": strategy.name,
                "strategy_json": json.dumps(strategy.definition, indent=2),
                "notes": strategy.notes,
                "timeframe": strategy.timeframe,
            }
        )
    else:
        form = StrategyForm(initial={"strategy_json": json.dumps(EXAMPLE, indent=2)})
    return render(request, "strategies/edit.html", {"form": form, "strategy": strategy})


@login_required
def strategy_detail_view(request, ref):
    strategy = _owned(request, ref)
    return render(
        request,
        "strategies/detail.html",
        {
            "strategy": strategy,
            "definition": json.dumps(strategy.definition, indent=2),
            "versions": strategy_versions(strategy=strategy),
            "backtests": strategy_backtests(strategy=strategy),
        },
    )


@login_required
@require_POST
def strategy_delete_view(request, ref):
    strategy = _owned(request, ref)
    name = strategy.name
    try:
        strategy_delete(strategy=strategy)
    except ValidationError as exc:
        for msg in exc.message_dict.get("strategy", exc.messages):
            messages.error(request, msg)
        return redirect("strategies:detail", ref=strategy.pk)
    messages.success(request, f"Deleted {name}.")
    return redirect("strategies:list")
