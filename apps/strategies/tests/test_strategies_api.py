"""Strategies through the API as two users: versions, validation with field paths, seed ids."""

import pytest

from apps.strategies.models import Strategy, StrategyVersion

from .factories import SHAPE_A

pytestmark = pytest.mark.django_db

SHAPE_B = {
    "strategy_name": "RSI dip in uptrend",
    "symbol": "BTCUSDT",
    "timeframe": "1h",
    "entry_conditions": [
        {"indicator": "rsi", "params": {"period": 14}, "condition": "< 30"},
        {"indicator": "close", "condition": "> ema(200)"},
    ],
    "exit_conditions": [{"indicator": "rsi", "condition": "> 70"}],
    "risk": {"stop_loss_pct": 2.0, "take_profit_pct": 5.0},
}


def test_create_list_filter_and_versions(user_client):
    a = user_client.post(
        "/api/strategies/", {"strategy_json": SHAPE_A, "name": "rsi+ema"}, format="json"
    )
    assert a.status_code == 201, a.json()
    b = user_client.post(
        "/api/strategies/", {"strategy_json": {**SHAPE_B, "symbol": "ETHUSDT"}}, format="json"
    )
    assert b.status_code == 201 and b.json()["name"] == "RSI dip in uptrend"
    body = a.json()
    assert body["version"] == 1 and body["seed_id"] == f"BTCUSDT_strategy_{body['id']}"
    assert body["normalized"]["entry_conditions"][0] == {
        "indicator": "rsi",
        "condition": "< 30",
        "params": {"period": 14},
    }
    assert user_client.get("/api/strategies/").json()["count"] == 2
    assert [
        s["symbol"] for s in user_client.get("/api/strategies/?symbol=btcusdt").json()["results"]
    ] == ["BTCUSDT"]
    upd = user_client.patch(
        f"/api/strategies/{body['id']}/",
        {"strategy_json": {**SHAPE_A, "combine": "all"}},
        format="json",
    )
    assert upd.status_code == 200 and upd.json()["version"] == 2
    same = user_client.patch(f"/api/strategies/{body['id']}/", {"notes": ""}, format="json")
    assert same.json()["version"] == 2  # nothing changed, no new version
    versions = user_client.get(f"/api/strategies/{body['id']}/versions/").json()["results"]
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[1]["strategy_json"] == SHAPE_A


def test_seed_style_ids_resolve(user_client):
    pk = user_client.post("/api/strategies/", {"strategy_json": SHAPE_A}, format="json").json()[
        "id"
    ]
    assert user_client.get(f"/api/strategies/BTCUSDT_strategy_{pk}/").json()["id"] == pk
    assert user_client.get(f"/api/strategies/ETHUSDT_strategy_{pk}/").status_code == 404
    assert user_client.delete(f"/api/strategies/BTCUSDT_strategy_{pk}/").status_code == 204
    assert not Strategy.objects.filter(pk=pk).exists()


def test_validate_returns_field_paths(user_client):
    bad = {
        **SHAPE_B,
        "entry_conditions": [
            SHAPE_B["entry_conditions"][0],
            {"indicator": "close", "condition": "> emma(200)"},
        ],
    }
    r = user_client.post("/api/strategies/validate/", {"strategy_json": bad}, format="json")
    assert r.status_code == 400
    assert r.json()["strategy_json"] == ["entry_conditions[1].condition: unknown indicator 'emma'"]
    ok = user_client.post(
        "/api/strategies/validate/", {"strategy_json": SHAPE_B}, format="json"
    ).json()
    assert ok["valid"] and ok["indicators_used"] == ["rsi(14)", "ema(200)"]
    assert Strategy.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"strategy_json": "not json"}, "strategy_json"),
        ({"strategy_json": [1, 2]}, "strategy_json"),
        ({"strategy_json": {"indicators": {"rsi": {}}}}, "symbol"),
        ({"strategy_json": SHAPE_A, "symbol": "ETHUSDT"}, "symbol"),
        ({"strategy_json": SHAPE_A, "timeframe": "9h"}, "timeframe"),
        ({"strategy_json": {**SHAPE_A, "indicators": {"rsi": {"period": "x"}}}}, "strategy_json"),
        ({}, "strategy_json"),
    ],
)
def test_bad_strategies_are_400_naming_the_field(user_client, payload, field):
    r = user_client.post("/api/strategies/", payload, format="json")
    assert r.status_code == 400 and field in r.json(), r.json()


def test_duplicate_name_is_400(user_client):
    user_client.post("/api/strategies/", {"strategy_json": SHAPE_A, "name": "x"}, format="json")
    r = user_client.post("/api/strategies/", {"strategy_json": SHAPE_A, "name": "x"}, format="json")
    assert r.status_code == 400 and "name" in r.json()


def test_other_users_cannot_see_or_touch_your_strategies(user_client, other_user, client_for):
    pk = user_client.post("/api/strategies/", {"strategy_json": SHAPE_A}, format="json").json()[
        "id"
    ]
    other = client_for(other_user)
    for method, url in [
        ("get", f"/api/strategies/{pk}/"),
        ("get", f"/api/strategies/BTCUSDT_strategy_{pk}/"),
        ("get", f"/api/strategies/{pk}/versions/"),
        ("patch", f"/api/strategies/{pk}/"),
        ("put", f"/api/strategies/{pk}/"),
        ("delete", f"/api/strategies/{pk}/"),
    ]:
        body = None if method == "get" else {"strategy_json": SHAPE_B}
        r = getattr(other, method)(url, body, format="json")
        assert r.status_code == 404, (method, url)
    assert other.get("/api/strategies/").json()["count"] == 0
    assert Strategy.objects.get(pk=pk).version == 1 and StrategyVersion.objects.count() == 1


def test_pages_list_edit_with_inline_errors_and_versions(client, user):
    client.force_login(user)
    r = client.post(
        "/strategies/new/", {"strategy_json": '{"symbol": "BTCUSDT", "indicators": {"emma": {}}}'}
    )
    assert r.status_code == 200 and "indicators.emma: unknown indicator" in r.content.decode()
    ok = client.post(
        "/strategies/new/",
        {"strategy_json": '{"symbol": "BTCUSDT", "indicators": {"rsi": {}}}', "name": "mine"},
    )
    assert ok.status_code == 302
    pk = Strategy.objects.get(name="mine").pk
    client.post(
        f"/strategies/{pk}/edit/",
        {
            "strategy_json": '{"symbol": "BTCUSDT", "indicators": {"rsi": {"period": 10}}}',
            "name": "mine",
        },
    )
    html = client.get(f"/strategies/{pk}/").content.decode()
    assert (
        'id="versions"' in html
        and "Backtest this" in html
        and Strategy.objects.get(pk=pk).version == 2
    )
    assert "mine" in client.get("/strategies/").content.decode()
    edit = client.get(f"/strategies/{pk}/edit/").content.decode()
    assert 'data-strategy-editor data-validate-url="/api/strategies/validate/"' in edit


def test_a_name_or_notes_edit_keeps_the_version_and_a_definition_edit_makes_one(user_client):
    pk = user_client.post(
        "/api/strategies/", {"strategy_json": SHAPE_A, "name": "first"}, format="json"
    ).json()["id"]
    r = user_client.patch(
        f"/api/strategies/{pk}/", {"name": "renamed", "notes": "why it works"}, format="json"
    )
    assert r.status_code == 200, r.json()
    assert (r.json()["name"], r.json()["notes"], r.json()["version"]) == (
        "renamed",
        "why it works",
        1,
    )
    strategy = Strategy.objects.get(pk=pk)
    assert (strategy.name, strategy.notes, strategy.version) == ("renamed", "why it works", 1)
    assert strategy.current_version.number == 1 and StrategyVersion.objects.count() == 1
    # The version is a snapshot of what ran: it keeps the name it was saved with.
    assert strategy.current_version.name == "first"

    # PUT with the same definition and a new name: still no version.
    r = user_client.put(
        f"/api/strategies/{pk}/", {"strategy_json": SHAPE_A, "name": "again"}, format="json"
    )
    assert r.status_code == 200 and r.json()["version"] == 1 and r.json()["name"] == "again"

    r = user_client.patch(
        f"/api/strategies/{pk}/",
        {"strategy_json": {**SHAPE_A, "combine": "all"}, "notes": "all of them"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["version"] == 2
    versions = user_client.get(f"/api/strategies/{pk}/versions/").json()["results"]
    assert [(v["number"], v["name"]) for v in versions] == [(2, "again"), (1, "first")]
    assert versions[0]["notes"] == "all of them"


def test_a_name_only_page_edit_says_saved_and_keeps_the_version(client, user):
    client.force_login(user)
    definition = '{"symbol": "BTCUSDT", "indicators": {"rsi": {}}}'
    client.post("/strategies/new/", {"strategy_json": definition, "name": "mine"})
    pk = Strategy.objects.get(name="mine").pk
    r = client.post(
        f"/strategies/{pk}/edit/",
        {"strategy_json": definition, "name": "ours"},
        follow=True,
    )
    assert "Saved ours (still version 1)." in r.content.decode()
    assert Strategy.objects.get(pk=pk).version == 1 and StrategyVersion.objects.count() == 1
