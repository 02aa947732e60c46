from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.core import formatting as fmt
from apps.core.export import export_links, page_query
from apps.core.forms import form_errors, query_clean
from apps.marketdata.selectors import price_precision

from .api.views import trade_log_download, trade_log_stem
from .forms import OrderForm, PortfolioChoiceForm
from .selectors import (
    order_list,
    portfolio_list,
    portfolio_performance,
    portfolio_state,
    snapshots,
    trade_log_list,
)
from .services import order_place, portfolio_reset, portfolio_resolve


def _portfolio(request):
    raw = request.GET.get("portfolio") or request.POST.get("portfolio")
    pk = query_clean(PortfolioChoiceForm, {"portfolio": raw})["portfolio"]
    portfolio = portfolio_resolve(owner=request.user, pk=pk)
    if portfolio is None:
        raise Http404("No such portfolio")
    return portfolio


@login_required
def portfolio_view(request):
    portfolio = _portfolio(request)
    form = OrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            order, _ = order_place(
                owner=request.user,
                portfolio=portfolio,
                symbol=d["symbol"],
                action=d["action"],
                price=d["price"],
                confidence=d["confidence"],
                strategy_name=d["strategy_name"] or "",
            )
            messages.success(
                request,
                f"Paper {order.action} of {fmt.qty(order.quantity)} {order.symbol} at "
                f"{fmt.price(order.price, price_precision(order.symbol))}.",
            )
            return redirect(f"{request.path}?portfolio={portfolio.pk}")
        except ValidationError as exc:
            form_errors(form, exc)
    # A refused order (the form's checks or the service's) answers 400 with the page and
    # the errors beside their fields, as the API does; a GET is a 200.
    refused = request.method == "POST"
    return render(
        request,
        "portfolio/index.html",
        {
            "portfolio": portfolio,
            "state": portfolio_state(portfolio),
            "portfolios": portfolio_list(owner=request.user),
            "orders": order_list(portfolio=portfolio)[:50],
            "trades": trade_log_list(owner=request.user, portfolio=portfolio)[:50],
            **portfolio_performance(owner=request.user, portfolio=portfolio),
            "history": snapshots(portfolio=portfolio),
            "form": form,
            "exports": export_links(
                (
                    "Trade log",
                    lambda fmt: (
                        f"{reverse('portfolio:export')}?portfolio={portfolio.pk}&format={fmt}"
                    ),
                )
            ),
        },
        status=400 if refused else 200,
    )


@login_required
@require_POST
def portfolio_reset_view(request):
    portfolio = _portfolio(request)
    portfolio_reset(portfolio=portfolio)
    messages.success(
        request,
        f"{portfolio.name} reset to {fmt.money(portfolio.initial_cash, portfolio.quote_currency)}.",
    )
    return redirect(f"/portfolio/?portfolio={portfolio.pk}")


@login_required
def portfolio_export_view(request):
    """The portfolio's whole trade log (`?portfolio=`, default yours) as a CSV or JSON
    download (`?format=`, default csv), each trade as the API lists it."""
    portfolio = _portfolio(request)
    file_format = page_query(request.GET)["format"]
    qs = trade_log_list(owner=request.user, portfolio=portfolio)
    return trade_log_download(qs, file_format, trade_log_stem(portfolio))
