from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core.forms import form_errors
from apps.core.pages import job_cancel_page
from apps.marketdata.selectors import symbol_list

from .forms import TrainForm
from .selectors import model_get, model_list
from .services import model_delete, model_train_start


@login_required
def model_list_view(request):
    form = TrainForm(request.POST or None, initial={"symbol": request.GET.get("symbol", "BTCUSDT")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        params = (
            {"n_estimators": d["n_estimators"]}
            if d["n_estimators"] and d["estimator"] != "logistic_regression"
            else {}
        )
        try:
            job = model_train_start(
                owner=request.user,
                symbol=d["symbol"],
                interval=d["interval"],
                start=d["start"],
                end=d["end"],
                estimator=d["estimator"],
                params=params,
                seed=d["seed"],
                walk_forward_folds=d["walk_forward_folds"],
                name=d["name"],
            )
            messages.success(request, f"Training model #{job.pk} started.")
            return redirect("ml:detail", pk=job.pk)
        except ValidationError as exc:
            form_errors(form, exc)
    return render(
        request,
        "ml/list.html",
        {"form": form, "models": model_list(owner=request.user)[:100], "symbols": symbol_list()},
    )


@login_required
def model_detail_view(request, pk: int):
    model = model_get(owner=request.user, pk=pk)
    if model is None:
        raise Http404("No such model")
    importances = sorted((model.importances or {}).items(), key=lambda kv: -kv[1])
    top = importances[0][1] if importances else 1.0
    bars = [
        {"name": k, "value": v, "width": round(100 * v / top, 1) if top else 0}
        for k, v in importances
    ]
    return render(
        request, "ml/detail.html", {"model": model, "m": model.metrics or {}, "bars": bars}
    )


@login_required
@require_POST
def model_delete_view(request, pk: int):
    model = model_get(owner=request.user, pk=pk)
    if model is None:
        raise Http404("No such model")
    model_delete(model=model)
    messages.success(request, f"Deleted model #{pk} and its artifact.")
    return redirect("ml:list")


@login_required
@require_POST
def model_cancel_view(request, pk: int):
    model = model_get(owner=request.user, pk=pk)
    return job_cancel_page(request, model, label=f"training of model #{pk}", to="ml:detail", pk=pk)
