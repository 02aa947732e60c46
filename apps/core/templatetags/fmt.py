"""``{% load fmt %}``: the page filters, each one of ``apps.core.formatting``'s functions.

{{ run.final_balance|money:"USDT" }}   12,345.68 USDT
{{ candle.close|price:precision }}     0.08912
{{ position.quantity|qty:8 }}          1.23916322
{{ metrics.total_return_pct|pct }}     12.35%
{{ signal.confidence|ratio_pct }}      51.2%
{{ run.created_at|when }}              2025-08-15 07:00 UTC
{{ seconds|duration }}                 16 days, 16 hours
{{ value|plain }}                      — / yes / no / a: 1, b: 2
{{ key|metric_label }} {{ key|metric_help }} {{ value|metric_value:key }}
{% metric_value value key "USDT" %}    (with a currency)
"""

from django import template

from apps.core import formatting as f

register = template.Library()

register.filter("num", lambda x, places=2: f.num(x, places))
register.filter("signed_num", lambda x, places=2: f.num(x, places, signed=True))
register.filter("integer", f.integer)
register.filter("money", lambda x, currency="": f.money(x, currency))
register.filter("price", lambda x, precision=2: f.price(x, precision))
register.filter("qty", lambda x, precision=8: f.qty(x, precision))
register.filter("pct", lambda x, places=2: f.pct(x, places))
register.filter("signed_pct", lambda x, places=2: f.pct(x, places, signed=True))
register.filter("ratio_pct", lambda x, places=1: f.ratio_pct(x, places))
register.filter("when", f.when)
register.filter("day", f.day)
register.filter("duration", f.duration)
register.filter("plain", f.plain)
register.filter("auto_number", f.auto_number)
register.filter("label", f.label)
register.filter("metric_label", f.metric_label)
register.filter("metric_help", f.metric_help)
register.filter("metric_value", lambda value, key: f.metric_value(value, key))


@register.simple_tag(name="metric_value")
def metric_value_tag(value, key, currency=""):
    return f.metric_value(value, key, currency)


@register.filter
def metric_rows(metrics, currency=""):
    return f.metric_rows(metrics, currency)
