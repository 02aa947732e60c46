from django import forms


class DecisionForm(forms.Form):
    """The page's "Run Mother AI" form (the API's DecisionInputSerializer, minus weights)."""

    top_n = forms.IntegerField(min_value=1, max_value=50, initial=3)
    min_score = forms.FloatField(min_value=0.0, max_value=1.0, initial=0.75)
    execute = forms.BooleanField(required=False)
