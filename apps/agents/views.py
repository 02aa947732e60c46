from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core.forms import error_lines
from apps.ml.selectors import model_get, model_list
from apps.strategies.selectors import strategy_get, strategy_list

from .selectors import agent_get, agent_list, signal_list
from .services import (
    AgentDataError,
    agent_create,
    agent_evaluate,
    agent_set_enabled,
    prediction_item,
)


@login_required
def agent_list_view(request):
    errors = []
    if request.method == "POST":
        strategy = strategy_get(owner=request.user, ref=request.POST.get("strategy", ""))
        model_id = request.POST.get("model", "").strip()
        # An id that is not one of your models is refused, never dropped silently.
        model = (
            model_get(owner=request.user, pk=int(model_id))
            if model_id.isdecimal() and len(model_id) <= 18
            else None
        )
        if strategy is None:
            errors.append("strategy: choose one of your strategies")
        if model_id and model is None:
            errors.append("model: choose one of your trained models")
        if not errors:
            try:
                agent = agent_create(
                    owner=request.user,
                    symbol=request.POST.get("symbol", ""),
                    strategy=strategy,
                    model=model,
                )
                messages.success(request, f"{agent.name} created.")
                return redirect("agents:list")
            except ValidationError as exc:
                errors += error_lines(exc)
    items = [(a, prediction_item(a)) for a in agent_list(owner=request.user)]
    # The new-agent form starts from what a result or model page sent (GET) or what was
    # just refused (POST): "make an agent" and "use in an agent" land here filled in.
    source = request.POST if request.method == "POST" else request.GET
    prefill = {key: source.get(key, "").strip() for key in ("symbol", "strategy", "model")}
    return render(
        request,
        "agents/list.html",
        {
            "items": items,
            "any_stale": any(p["fresh"] is False for _, p in items),
            "max_stale_bars": settings.DESK_MAX_STALE_BARS,
            "strategies": strategy_list(owner=request.user),
            "models": model_list(owner=request.user, usable_only=True),
            "errors": errors,
            "prefill": prefill,
        },
    )


@login_required
def agent_detail_view(request, pk: int):
    agent = agent_get(owner=request.user, pk=pk)
    if agent is None:
        raise Http404("No such agent")
    evaluation, error = None, None
    try:
        evaluation = agent_evaluate(agent, store=request.method == "POST")
        if request.method == "POST":
            messages.success(request, "Evaluation stored as a signal.")
    except AgentDataError as exc:
        error = str(exc)
    return render(
        request,
        "agents/detail.html",
        {
            "agent": agent,
            "ev": evaluation,
            "error": error,
            "signals": signal_list(agent=agent)[:50],
            "max_stale_bars": settings.DESK_MAX_STALE_BARS,
        },
    )


@login_required
@require_POST
def agent_toggle_view(request, pk: int):
    agent = agent_get(owner=request.user, pk=pk)
    if agent is None:
        raise Http404("No such agent")
    agent_set_enabled(agent=agent, enabled=not agent.enabled)
    return redirect("agents:list")
