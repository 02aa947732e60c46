"""Replay pages: the sessions with a "New replay" form, and a session's page, which polls
the live endpoint (static/js/replay.js) and draws the equity curve as the clock moves."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.core.forms import error_lines, form_errors
from apps.marketdata.selectors import price_precision

from .forms import ReplayForm
from .selectors import replay_get, replay_list, session_live
from .services import CONTROLS, DESK_FIELDS, replay_control, replay_create


@login_required
def session_list(request):
    status = 200
    if request.method == "POST":
        form = ReplayForm(request.POST, owner=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                session = replay_create(
                    owner=request.user,
                    name=d["name"],
                    agent_ids=[a.pk for a in d["agents"]],
                    start=d["start"],
                    end=d["end"],
                    bars_per_step=d["bars_per_step"],
                    step_seconds=d["step_seconds"],
                    params={k: d[k] for k in DESK_FIELDS},
                )
                if d["start_now"]:
                    replay_control(session=session, action="start")
                messages.success(request, f"Replay #{session.pk} created.")
                return redirect("replay:detail", pk=session.pk)
            except ValidationError as exc:
                form_errors(form, exc)
        status = 400
    else:
        form = ReplayForm(owner=request.user)
    return render(
        request,
        "replay/list.html",
        {"sessions": replay_list(owner=request.user)[:50], "form": form},
        status=status,
    )


@login_required
def session_detail(request, pk: int):
    session = replay_get(owner=request.user, pk=pk)
    if session is None:
        raise Http404("No such replay session")
    return render(
        request,
        "replay/detail.html",
        {
            "session": session,
            "live": session_live(session),
            # Each traded symbol's price decimals, for the tables the page's script fills.
            "precisions": {a.symbol: price_precision(a.symbol) for a in session.agents.all()},
            "controls": [(a, reverse(f"api:replay:{a}", args=[session.pk])) for a in CONTROLS],
        },
    )


@login_required
@require_POST
def session_control(request, pk: int):
    session = replay_get(owner=request.user, pk=pk)
    if session is None:
        raise Http404("No such replay session")
    try:
        replay_control(session=session, action=request.POST.get("action", ""))
    except ValidationError as exc:
        for line in error_lines(exc):
            messages.error(request, line)
    return redirect("replay:detail", pk=pk)
