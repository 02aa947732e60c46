"""``{% load market %}``: prices in tables that mix symbols, each to its own precision,
and a symbol's quote currency (a page of one symbol passes its precision to ``fmt``'s
``price`` instead).

{% symbol_price t.entry_price t.symbol %}   0.08912345 (ETHBTC) · 64,123.45 (BTCUSDT)
{{ t.symbol|quote_of }}                     BTC

A symbol's precision is read once per template render (memoised in the render context:
each ``{% include %}``d template, or a fragment rendered alone, starts its own memo; an
``{% extends %}`` chain shares one), so a long table costs one look-up per symbol, not per
cell.
"""

from django import template

from apps.core import formatting as f
from apps.marketdata.selectors import price_precision, symbol_get

register = template.Library()

_MEMO = "market:symbols"


def _precision(context, symbol) -> int:
    """The price decimals of ``symbol``, once per template render."""
    memo = context.render_context.get(_MEMO) if context is not None else None
    if memo is None:
        memo = {}
        if context is not None:
            context.render_context[_MEMO] = memo
    name = str(symbol or "").upper()
    if name not in memo:
        found = symbol_get(name) if name else None
        memo[name] = price_precision(found)
    return memo[name]


@register.simple_tag(takes_context=True)
def symbol_price(context, value, symbol):
    return f.price(value, _precision(context, symbol))


@register.simple_tag(takes_context=True)
def symbol_precision(context, symbol):
    return _precision(context, symbol)


@register.filter
def quote_of(symbol):
    found = symbol_get(str(symbol or ""))
    return found.quote_asset if found else ""
