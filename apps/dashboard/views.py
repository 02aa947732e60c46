from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from apps.agents.selectors import agent_list
from apps.agents.services import prediction_item
from apps.marketdata.selectors import symbol_coverage, symbol_list
from apps.motherai.selectors import decision_list
from apps.portfolio.selectors import portfolio_state, snapshots, trade_log_list
from apps.portfolio.services import portfolio_get_or_create_default
from apps.replay.selectors import replay_latest_live, session_live


@login_required
def home(request):
    """The dashboard: agents' signals as of now (each with its market time, and marked
    stale with its age when its candle is old), the last Mother AI decision, the paper
    portfolio's value over time and its recent trades, and the market data."""
    portfolio = portfolio_get_or_create_default(owner=request.user)
    predictions = [prediction_item(a) for a in agent_list(owner=request.user, enabled_only=True)]
    replay = replay_latest_live(owner=request.user)
    return render(
        request,
        "dashboard/home.html",
        {
            "predictions": predictions,
            "any_stale": any(p["fresh"] is False for p in predictions),
            "max_stale_bars": settings.DESK_MAX_STALE_BARS,
            "decision": decision_list(owner=request.user).first(),
            "state": portfolio_state(portfolio),
            "history": snapshots(portfolio=portfolio),
            "trades": trade_log_list(owner=request.user)[:10],
            "symbols": [{"symbol": s, "coverage": symbol_coverage(s)} for s in symbol_list()],
            "replay": replay,
            "replay_live": session_live(replay, since_seq=2**31, decisions=5) if replay else None,
        },
    )
