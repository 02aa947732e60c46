"""Rules every /api/ request follows, each found by the schema fuzz (test_api_fuzz.py) as a
request that was quietly misread or answered in the wrong shape; and the schema itself."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/agents/abc/", "/api/backtests/-1/", "/api/nowhere/"])
def test_an_api_path_no_route_matches_answers_json_404(user_client, path):
    r = user_client.get(path)
    assert r.status_code == 404
    assert r["Content-Type"] == "application/json" and r.json() == {"detail": "Not found."}


def test_a_page_path_no_route_matches_still_answers_the_html_404(client):
    r = client.get("/agents/abc/")
    assert r.status_code == 404 and r["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("page_size", ["abc", "0", "501", "", "-1"])
def test_a_bad_page_size_is_a_400_naming_it(user_client, page_size):
    r = user_client.get(f"/api/strategies/?page_size={page_size}")
    assert r.status_code == 400 and r.json() == {
        "page_size": ["must not be empty" if page_size == "" else "a whole number from 1 to 500"]
    }


@pytest.mark.parametrize("page", ["", "0", "last", "1.5"])
def test_a_bad_page_is_a_400_naming_it(user_client, page):
    r = user_client.get(f"/api/strategies/?page={page}")
    assert r.status_code == 400 and r.json() == {
        "page": ["must not be empty" if page == "" else "a whole number from 1"]
    }


def test_page_size_in_range_and_a_page_past_the_end(user_client):
    assert user_client.get("/api/strategies/?page_size=500&page=1").status_code == 200
    r = user_client.get("/api/strategies/?page=2")
    assert r.status_code == 404 and r.json() == {"detail": "Invalid page."}


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/portfolio/?portfolio=1&portfolio=2", "portfolio"),
        ("/api/strategies/?page=1&page=2", "page"),
        ("/api/backtests/?status=queued&status=failed", "status"),
    ],
)
def test_a_repeated_query_parameter_is_a_400_naming_it(user_client, url, name):
    r = user_client.get(url)
    assert r.status_code == 400
    assert r.json() == {name: ["given more than once; send it once"]}


def test_a_parameter_the_operation_does_not_take_is_a_400_naming_it(user_client):
    """It was silently ignored, so a misspelt filter (`?statu=failed`) returned everything."""
    r = user_client.get("/api/strategies/?x=1&x=2&symbol=BTCUSDT")
    takes = "unknown query parameter; this operation takes: ordering, page, page_size, symbol"
    assert r.status_code == 400 and r.json() == {"x": [takes]}


def test_the_api_reads_json_bodies_only(user_client):
    r = user_client.post("/api/strategies/validate/", {"strategy_json": "{}"}, format="multipart")
    assert r.status_code == 415 and "detail" in r.json()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"top_n": "3"}, "must be a whole number"),
        ({"top_n": 2.5}, "must be a whole number"),
        ({"min_score": "0.5"}, "must be a number"),
        ({"execute": 0}, "must be true or false"),
        ({"execute": "true"}, "must be true or false"),
    ],
)
def test_json_values_of_the_wrong_type_are_refused_not_converted(user_client, body, message):
    r = user_client.post("/api/mother-ai/decision/", body, format="json")
    assert r.status_code == 400
    (field,) = body
    assert r.json() == {field: [message]}


def test_the_openapi_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/strategies/{ref}/performance/" in out.read_text()


def test_the_schema_lists_403_only_where_one_can_come(tmp_path):
    import yaml

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out))
    paths = yaml.safe_load(out.read_text())["paths"]
    # Token-only, and only "signed in" asked: a 401 or a 204, never a 403.
    assert set(paths["/api/auth/token/"]["delete"]["responses"]) == {"204", "401"}
    # A session can fail its CSRF check: 403 stays documented.
    assert "403" in paths["/api/strategies/{ref}/"]["delete"]["responses"]


def test_scripts_hold_no_api_paths_the_pages_render_them_with_url():
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.BASE_DIR) / "static" / "js"
    scripts = {p: p.read_text() for p in root.rglob("*.js")}
    assert scripts and not [str(p) for p, text in scripts.items() if "/api/" in text]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("7", 7),
        ("9223372036854775807", 9223372036854775807),
        ("9223372036854775808", None),
        ("0", None),
        ("-3", None),
        ("+3", None),
        (" 3", None),
        ("3.0", None),
        ("²", None),
        ("9" * 5000, None),
    ],
)
def test_a_page_id_and_an_api_query_number_read_whole_numbers_by_one_rule(raw, value):
    from django import forms
    from django.http import QueryDict
    from rest_framework.exceptions import ValidationError

    from apps.core.api.serializers import query_int
    from apps.core.forms import MAX_ID, IdField

    class Form(forms.Form):
        pk = IdField()

    form = Form({"pk": raw})
    assert (form.cleaned_data["pk"] if form.is_valid() else None) == value
    query = QueryDict(mutable=True)
    query["pk"] = raw
    try:
        api = query_int(query, "pk", 1, maximum=MAX_ID)
    except ValidationError as exc:
        api = None
        assert exc.detail == {"pk": [f"a whole number from 1 to {MAX_ID}"]}
        assert form.errors == {"pk": [f"a whole number from 1 to {MAX_ID}"]}
    assert api == value
