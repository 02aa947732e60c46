from django import forms

from apps.core.forms import IdField
from apps.core.validators import validate_name

from .money import MONEY, PRICE_MAX, PRICE_MIN, fmt


class PortfolioChoiceForm(forms.Form):
    """`?portfolio=<id>` on the portfolio pages (absent: the default portfolio)."""

    portfolio = IdField(required=False)


class OrderForm(forms.Form):
    symbol = forms.CharField(max_length=30)
    action = forms.ChoiceField(
        choices=[
            ("buy", "buy (spend the buy fraction of cash)"),
            ("sell", "sell (close the position)"),
        ]
    )
    price = forms.DecimalField(
        required=False,
        **MONEY,
        min_value=PRICE_MIN,
        max_value=PRICE_MAX,
        help_text=f"at least {fmt(PRICE_MIN)}, up to {MONEY['decimal_places']} decimals; empty: "
        "the latest close, if it is recent (a stale close is refused)",
    )
    confidence = forms.FloatField(
        required=False, min_value=0, max_value=1, help_text="0 to 1: 0.512 reads 51.2%"
    )
    strategy_name = forms.CharField(max_length=120, required=False, validators=[validate_name])
