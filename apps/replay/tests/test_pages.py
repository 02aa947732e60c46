"""Replay pages: the list with its form (bad input re-shown with the field's error), the
session page with its controls and polling hooks, and isolation."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.replay.models import ReplaySession

from .test_replay import PARAMS, desk  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _form(agents, **kw):
    data = {
        "name": "page",
        "agents": [a.pk for a in agents],
        "start": "2021-01-04 00:00",
        "end": "2021-01-06 00:00",
        "bars_per_step": 10,
        "step_seconds": 2,
        "alpha": 0.6,
        "beta": 0.4,
        "prior_trades": 10,
        "fee_rate": 0.001,
        "initial_balance": 10000,
        **PARAMS,
    }
    data.update(kw)
    return data


def test_create_step_and_page(user, other_user, desk):  # noqa: F811
    c = _client(user)
    assert c.get(reverse("replay:list")).status_code == 200
    r = c.post(reverse("replay:list"), _form(desk))
    session = ReplaySession.objects.get()
    assert r.status_code == 302 and r.url == reverse("replay:detail", args=[session.pk])
    r = c.post(reverse("replay:control", args=[session.pk]), {"action": "step"})
    assert r.status_code == 302
    page = c.get(reverse("replay:detail", args=[session.pk])).content.decode()
    assert reverse("api:replay:live", args=[session.pk]) in page
    assert reverse("api:replay:pause", args=[session.pk]) in page
    assert 'id="equity-chart"' in page and "js/replay.js" in page
    session.refresh_from_db()
    assert session.steps_done == 10 and session.status == "paused"
    bob = _client(other_user)
    assert bob.get(reverse("replay:detail", args=[session.pk])).status_code == 404
    r = bob.post(reverse("replay:control", args=[session.pk]), {"action": "stop"})
    assert r.status_code == 404
    session.refresh_from_db()
    assert session.status == "paused"


def test_bad_form_shows_the_field(user, desk):  # noqa: F811
    r = _client(user).post(reverse("replay:list"), _form(desk, end="2021-01-01 00:00"))
    assert r.status_code == 400 and "must be after start" in r.content.decode()
    assert not ReplaySession.objects.exists()


def test_dashboard_links_the_running_session(user, desk):  # noqa: F811
    from apps.replay.services import replay_advance, replay_demo_start

    session = replay_demo_start(user)
    replay_advance(session_id=session.pk)
    page = _client(user).get(reverse("dashboard:home")).content.decode()
    assert 'id="replay-panel"' in page and reverse("replay:detail", args=[session.pk]) in page
    assert "running" in page and "1 / " in page
