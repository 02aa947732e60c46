"""Everything under /api/: one include per app, plus the OpenAPI schema and docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.backtests.api.views import StrategyPerformanceApi

app_name = "api"
urlpatterns = [
    path("", include("apps.core.api.urls")),
    path("", include("apps.accounts.api.urls")),
    path("market-data/", include("apps.marketdata.api.urls")),
    # A strategy's performance is a backtests report (backtests build on strategies, not
    # the other way round), served under the strategy's URL.
    path(
        "strategies/<str:ref>/performance/",
        StrategyPerformanceApi.as_view(),
        name="strategy-performance",
    ),
    path("strategies/", include("apps.strategies.api.urls")),
    path("backtests/", include("apps.backtests.api.urls")),
    path("ml/", include("apps.ml.api.urls")),
    path("portfolio/", include("apps.portfolio.api.urls")),
    path("agents/", include("apps.agents.api.urls")),
    path("mother-ai/backtests/", include("apps.deskbt.api.urls")),
    path("mother-ai/", include("apps.motherai.api.urls")),
    path("binance/", include("apps.binance.api.urls")),
    path("replay/", include("apps.replay.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script as a file (?script=): no inline script,
    # and core/swagger_ui.html moves the page's inline style to static/css: the CSP holds.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="core/swagger_ui.html"
        ),
        name="docs",
    ),
]
