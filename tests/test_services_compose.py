"""The README's full stack as far as this machine allows: no Docker here, so docker-compose.yml
and the Dockerfile are read and their commands run as written against the local PostgreSQL
and Redis (host names `postgres`/`redis` mapped to 127.0.0.1, the image's settings module and
environment kept): `migrate` then gunicorn (the web service), the README's `load_demo` step,
a Celery worker and Celery beat (the worker and beat services), the compose healthcheck of the
web service, and readiness once beat has ticked."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from bench.load import _reset_database

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[1]
PG = "postgres://postgres@127.0.0.1:5432/tradingsite_compose_ci"
REDIS = "redis://127.0.0.1:6379"


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _dockerfile_env() -> dict[str, str]:
    """The ENV lines of the Dockerfile (`ENV A=1 B=2`, continued with backslashes)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            for item in shlex.split(line[4:]):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def _local(value: str, tmp: Path) -> str:
    """A compose value pointed at this machine's services and a scratch directory."""
    value = re.sub(r"postgres://[^/]+@postgres:5432/\w+", PG, value)
    value = re.sub(r"redis://redis:6379/(\d+)", lambda m: f"{REDIS}/{int(m.group(1)) + 3}", value)
    return value.replace("/data/", f"{tmp}/data/")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def stack_env(tmp_path):
    compose = _compose()
    app_env = compose["x-app"]["environment"]
    env = {**os.environ, **_dockerfile_env()}
    env.update({k: _local(str(v), tmp_path) for k, v in app_env.items()})
    (tmp_path / "data").mkdir()
    env.update(
        {
            # What .env supplies in the README's steps (cp .env.example .env, set SECRET_KEY).
            "SECRET_KEY": secrets.token_urlsafe(50),
            "BINANCE_FERNET_KEYS": "785FSUpMeWCar0Sh9-kJtnvDlUJp2_K_vN6wPwjuQQo=",
            "STORAGE_DIR": str(tmp_path / "data"),
            "STATIC_ROOT": str(tmp_path / "static"),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "LOG_FILE": str(tmp_path / "app.log"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(ROOT),
        }
    )
    assert env["DJANGO_SETTINGS_MODULE"] == "tradingsite.settings.production"
    _reset_database(PG)
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "tradingsite", "purge", "-f"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=False,
    )
    # The image runs collectstatic at build time (production serves the manifest).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )
    return env


def _service_command(name: str, port: int, tmp: Path) -> str:
    command = _compose()["services"][name]["command"]
    command = command.replace("0.0.0.0:8000", f"127.0.0.1:{port}")
    return _local(command, tmp)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _wait(check, timeout: float, what: str, every: float = 0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except OSError:
            pass
        time.sleep(every)
    raise AssertionError(f"{what} not seen within {timeout:.0f} s (last: {last!r})")


def test_the_compose_services_run_against_the_local_services(stack_env, tmp_path):
    import json

    port = _free_port()
    procs: list[subprocess.Popen] = []

    def spawn(name: str) -> None:
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        procs.append(
            subprocess.Popen(
                ["sh", "-c", _service_command(name, port, tmp_path)],
                cwd=ROOT,
                env=stack_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    try:
        spawn("web")  # migrate, then gunicorn
        base = f"http://127.0.0.1:{port}"
        _wait(lambda: _get(f"{base}/api/health/")[0] == 200, 180, "the web service")
        # The web service's own healthcheck, as compose runs it.
        health = _compose()["services"]["web"]["healthcheck"]["test"][1]
        health = health.replace("localhost:8000", f"127.0.0.1:{port}")
        assert subprocess.run(["sh", "-c", health], capture_output=True).returncode == 0

        # The README's step: docker compose exec web python manage.py load_demo
        demo = subprocess.run(
            ["sh", "-c", "python manage.py load_demo"],
            cwd=ROOT,
            env=stack_env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert demo.returncode == 0, demo.stderr[-3000:]
        assert "Demo ready" in demo.stdout

        spawn("worker")
        spawn("beat")

        def ready():
            code, body = _get(f"{base}/api/health/ready/")
            if code != 200:
                return None
            data = json.loads(body)
            checks = data["checks"]
            ok = checks["workers"]["count"] >= 1 and checks["beat"]["status"] == "ok"
            return data if code == 200 and ok else None

        # Readiness is measured at most every HEALTH_CACHE_SECONDS and throttled: poll gently.
        data = _wait(ready, 120, "a worker and beat's tick in readiness", every=2.5)
        assert data["checks"]["database"]["vendor"] == "postgresql"
        # Signing in as the demo user works through the production stack.
        req = urllib.request.Request(
            f"{base}/api/auth/token/",
            data=json.dumps({"username": "demo", "password": "demo-pass-2024"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200 and json.loads(r.read())["token"]
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
