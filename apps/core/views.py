from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from apps.marketdata.selectors import symbol_coverage, symbol_list


@login_required
def home(request):
    symbols = [{"symbol": s, "coverage": symbol_coverage(s)} for s in symbol_list()]
    return render(request, "core/home.html", {"symbols": symbols})
