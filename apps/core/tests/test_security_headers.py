"""The Content-Security-Policy: on every response, strict, and the pages need nothing it
forbids (no inline script, style or event handler). The browser suite (tests/browser)
proves the same in Chromium; this checks the HTML on the embedded default."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

EXPECTED = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)
PAGES = [
    "/",
    "/market-data/",
    "/strategies/",
    "/strategies/new/",
    "/backtests/",
    "/backtests/new/",
    "/backtests/sweeps/new/",
    "/ml/",
    "/agents/",
    "/mother-ai/",
    "/portfolio/",
    "/binance/",
    "/api/docs/",
]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_every_kind_of_response_carries_the_policy(client, signed_in):
    from django.test import Client

    anonymous = Client()
    responses = {
        "login page": anonymous.get("/accounts/login/"),
        "redirect to login": anonymous.get("/portfolio/"),
        "dashboard": signed_in.get("/"),
        "API": signed_in.get("/api/health/"),
        "API 404": signed_in.get("/api/backtests/999999/"),
        "page 404": signed_in.get("/no-such-page/"),
        "admin login": anonymous.get("/admin/login/"),
        "docs script": anonymous.get("/api/docs/?script="),
    }
    for name, response in responses.items():
        assert response["Content-Security-Policy"] == EXPECTED, name
        assert response["X-Frame-Options"] == "DENY", name
        assert response["X-Content-Type-Options"] == "nosniff", name


@pytest.mark.parametrize("url", PAGES)
def test_pages_need_nothing_the_policy_forbids(signed_in, url):
    response = signed_in.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    for pattern in (INLINE_SCRIPT, INLINE_STYLE, INLINE_HANDLER, JS_URL):
        found = pattern.search(html)
        assert found is None, f"{url}: {found.group(0)!r} needs 'unsafe-inline'"


def test_api_docs_load_their_init_script_as_a_file(client):
    page = client.get("/api/docs/").content.decode()
    assert '<script src="/api/docs/?script="></script>' in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    body = script.content.decode()
    assert "SwaggerUIBundle(" in body and '"validatorUrl": null' in body


@override_settings(CONTENT_SECURITY_POLICY={"default-src": ["'self'"], "img-src": []})
def test_the_policy_comes_from_settings_and_empty_directives_are_left_out(client):
    assert client.get("/accounts/login/")["Content-Security-Policy"] == "default-src 'self'"
