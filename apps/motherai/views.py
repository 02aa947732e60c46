from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core.forms import error_lines, form_clean

from .forms import DecisionForm
from .selectors import decision_get, decision_list
from .services import decision_execute, decision_make


@login_required
def decision_list_view(request):
    status = 200
    if request.method == "POST":
        try:
            d = form_clean(DecisionForm, request.POST)
            decision = decision_make(
                owner=request.user, top_n=d["top_n"], min_score=d["min_score"], trigger="page"
            )
            if d["execute"]:
                decision = decision_execute(decision=decision)
            messages.success(
                request, f"Decision #{decision.pk}: {decision.chosen} signal(s) chosen."
            )
            return redirect("motherai:detail", pk=decision.pk)
        except ValidationError as exc:
            status = 400
            for line in error_lines(exc):
                messages.error(request, line)
    return render(
        request,
        "motherai/list.html",
        {"decisions": decision_list(owner=request.user)[:50]},
        status=status,
    )


@login_required
def decision_detail_view(request, pk: int):
    decision = decision_get(owner=request.user, pk=pk)
    if decision is None:
        raise Http404("No such decision")
    return render(request, "motherai/detail.html", {"decision": decision})


@login_required
@require_POST
def decision_execute_view(request, pk: int):
    decision = decision_get(owner=request.user, pk=pk)
    if decision is None:
        raise Http404("No such decision")
    decision = decision_execute(decision=decision)
    placed = [c for c in decision.candidates if c.get("order")]
    messages.success(request, f"Executed: {len(placed)} paper order(s) placed.")
    return redirect("motherai:detail", pk=pk)
