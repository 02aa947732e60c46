from django import forms

from apps.core.forms import IdField
from apps.core.validators import validate_name


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
        required=False, max_digits=28, decimal_places=8, help_text="empty: the latest close"
    )
    confidence = forms.FloatField(required=False, min_value=0, max_value=1)
    strategy_name = forms.CharField(max_length=120, required=False, validators=[validate_name])
