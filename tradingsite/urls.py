from django.contrib import admin
from django.urls import include, path

handler400 = "apps.core.exceptions.bad_request"
handler404 = "apps.core.exceptions.not_found"
handler500 = "apps.core.exceptions.server_error"

admin.site.site_header = "tradingsite administration"
admin.site.site_title = "tradingsite admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("tradingsite.api_urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("market-data/", include("apps.marketdata.urls")),
    path("strategies/", include("apps.strategies.urls")),
    path("backtests/", include("apps.backtests.urls")),
    path("ml/", include("apps.ml.urls")),
    path("portfolio/", include("apps.portfolio.urls")),
    path("agents/", include("apps.agents.urls")),
    path("mother-ai/backtests/", include("apps.deskbt.urls")),
    path("mother-ai/", include("apps.motherai.urls")),
    path("binance/", include("apps.binance.urls")),
    path("replay/", include("apps.replay.urls")),
    path("", include("apps.dashboard.urls")),
]
