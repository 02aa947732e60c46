"""The browser suite: Debian's Chromium driven by Playwright against pytest-django's live
server on 127.0.0.1, on PostgreSQL with a real Celery worker (tests/conftest.py).

Every page is watched: a console error, an uncaught page error, a failed request, an HTTP
response >= 400 or a Content-Security-Policy violation fails the test, unless the test
provoked it itself inside `watch.provoked(...)`, which then asserts it did happen.
Full-page screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

# pytest-django's live server binds to this address (its default is "localhost").
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

# Reports every CSP violation to the test (Chrome also logs them as console errors).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolation({directive: e.violatedDirective, blocked: e.blockedURI,
                         source: e.sourceFile, line: e.lineNumber, sample: e.sample});
});
"""


# The outermost elements that stick out of the window (not those inside a scroll box).
OVERFLOWING = """() => {
  const w = window.innerWidth, out = [];
  const clipped = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll("body *")) {
    if (el.getBoundingClientRect().right <= w + 0.5 || clipped(el)) continue;
    if (out.some((o) => o.contains(el))) continue;
    out.push(el);
  }
  return out.slice(0, 5).map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().replace(/ +/g, ".") : "") +
    " right=" + Math.round(el.getBoundingClientRect().right));
}"""


@dataclass(frozen=True)
class Problem:
    kind: str  # console | pageerror | requestfailed | http | csp
    text: str
    url: str = ""
    status: int | None = None

    def __str__(self) -> str:
        where = f" {self.url}" if self.url else ""
        status = f" [{self.status}]" if self.status else ""
        return f"{self.kind}{status}{where}: {self.text}"


@dataclass
class _Allowance:
    match: Callable[[Problem], bool]
    description: str
    seen: list[Problem]


class PageWatch:
    """Collects everything that went wrong on the pages of one browser context."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._allowances: list[_Allowance] = []

    def record(self, problem: Problem) -> None:
        for allowance in self._allowances:
            if allowance.match(problem):
                allowance.seen.append(problem)
                return
        self.problems.append(problem)

    def attach(self, context) -> None:
        context.expose_function("__cspViolation", self._csp)
        context.add_init_script(CSP_LISTENER)
        context.on("page", self._page)

    def _page(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.record(Problem("pageerror", str(exc), page.url)))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def _console(self, msg) -> None:
        if msg.type == "error":
            self.record(Problem("console", msg.text, (msg.location or {}).get("url", "")))

    def _request_failed(self, request) -> None:
        self.record(Problem("requestfailed", request.failure or "failed", request.url))

    def _response(self, response) -> None:
        if response.status >= 400:
            self.record(Problem("http", response.status_text, response.url, status=response.status))

    def _csp(self, v: dict) -> None:
        self.record(
            Problem(
                "csp",
                f"{v.get('directive')} blocked {v.get('blocked')!r} "
                f"(line {v.get('line')}: {v.get('sample')!r})",
                v.get("source") or "",
            )
        )

    @contextmanager
    def provoked(self, url_part: str, status: int) -> Iterator[list[Problem]]:
        """The block provokes `status` from a URL containing `url_part`: its response and the
        console line Chrome logs for it are expected, and must happen at least once."""

        def match(p: Problem) -> bool:
            if url_part not in p.url:
                return False
            if p.kind == "http":
                return p.status == status
            return p.kind == "console" and f"status of {status}" in p.text

        allowance = _Allowance(match, f"HTTP {status} from {url_part}", [])
        self._allowances.append(allowance)
        try:
            yield allowance.seen
        finally:
            self._allowances.remove(allowance)
        assert any(p.kind == "http" for p in allowance.seen), (
            f"expected {allowance.description}, saw none"
        )

    def assert_clean(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, "the pages reported problems:\n" + "\n".join(map(str, problems))


class Shots:
    """Numbered full-page screenshots, in the order the journey takes them. Each page must
    fit the window's width: wide content scrolls inside its card, never the whole page."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.n = 0

    def __call__(self, page, name: str) -> Path:
        self.n += 1
        path = self.folder / f"{self.n:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.png"
        page.screenshot(path=str(path), full_page=True)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            culprits = page.evaluate(OVERFLOWING)
            raise AssertionError(
                f"{name}: the page is {overflow}px wider than the window ({path}); "
                f"sticking out: {culprits}"
            )
        return path


@pytest.fixture
def browser(monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does it)")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django's ORM, used by the
    # test between page steps, would otherwise refuse to run "in an async context".
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            yield b
        finally:
            b.close()
            # ORM calls made while Playwright runs get connections of their own (Django's
            # connections follow the context, and Playwright's greenlets switch it): close
            # them, or PostgreSQL keeps the test database busy at teardown.
            connections.close_all()


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def page(browser, live_server, watch):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1366, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(20_000)
    watch.attach(context)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
    watch.assert_clean()


@pytest.fixture
def shots(request) -> Shots:
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Shots(folder)
