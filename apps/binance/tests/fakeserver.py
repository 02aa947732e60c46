"""A fake Binance REST server on 127.0.0.1 for tests: real klines from the shipped files,
HMAC-checked signed endpoints, and switches for 429/418 and dropped connections.
python-binance talks to it over HTTP exactly as it would to Binance."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
FILES = {
    "BTCUSDT": ROOT / "data" / "demo" / "BTCUSDT-1h-2020-08_2021-06.csv",
    "ETHUSDT": ROOT / "data" / "demo" / "ETHUSDT-1h-2020-08_2021-06.csv",
}


class FakeBinance:
    def __init__(self, keys: dict[str, str], withdraw_keys: set[str] = frozenset()):
        self.keys = dict(keys)
        self.withdraw_keys = set(withdraw_keys)
        self.rows = {
            s: [line.split(",") for line in p.read_text().splitlines()] for s, p in FILES.items()
        }
        self.times = {
            s: np.array([int(r[0]) for r in rows], dtype="int64") for s, rows in self.rows.items()
        }
        self.rate_limit_next = 0
        self.retry_after = 1
        self.ban = False
        self.drop = False
        self.requests: list[str] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                fake._handle(self)

            def do_POST(self):
                fake._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeBinance:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _send(self, h, status: int, body, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _signed_ok(self, h, query: str) -> bool:
        key = h.headers.get("X-MBX-APIKEY", "")
        secret = self.keys.get(key)
        params = dict(parse_qsl(query))
        signature = params.get("signature", "")
        unsigned = "&".join(p for p in query.split("&") if not p.startswith("signature="))
        expected = (
            hmac.new(secret.encode(), unsigned.encode(), hashlib.sha256).hexdigest()
            if secret
            else ""
        )
        return bool(secret) and hmac.compare_digest(expected, signature)

    def _handle(self, h) -> None:
        parts = urlsplit(h.path)
        path, query = parts.path, parts.query
        with self._lock:
            self.requests.append(path)
            if self.drop:
                h.close_connection = True
                h.connection.shutdown(2)
                return
            if self.ban:
                return self._send(
                    h,
                    418,
                    {"code": -1003, "msg": "IP banned"},
                    {"Retry-After": str(self.retry_after)},
                )
            if self.rate_limit_next > 0:
                self.rate_limit_next -= 1
                return self._send(
                    h,
                    429,
                    {"code": -1003, "msg": "Too many requests"},
                    {"Retry-After": str(self.retry_after)},
                )
        params = dict(parse_qsl(query))
        if path == "/api/v3/ping":
            return self._send(h, 200, {})
        if path == "/api/v3/time":
            return self._send(h, 200, {"serverTime": int(time.time() * 1000)})
        if path == "/api/v3/exchangeInfo":
            return self._send(
                h, 200, {"symbols": [{"symbol": s, "status": "TRADING"} for s in FILES]}
            )
        if path == "/api/v3/klines":
            symbol = params.get("symbol", "")
            if symbol not in self.rows:
                return self._send(h, 400, {"code": -1121, "msg": "Invalid symbol."})
            t = self.times[symbol]
            lo = int(np.searchsorted(t, int(params.get("startTime", 0)), side="left"))
            hi = int(np.searchsorted(t, int(params.get("endTime", 2**62)), side="right"))
            limit = min(int(params.get("limit", 500)), 1000)
            if "startTime" not in params:
                lo = max(lo, hi - limit)
            rows = self.rows[symbol][lo : min(hi, lo + limit)]
            out = [
                [
                    int(r[0]),
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    int(r[6]),
                    r[7],
                    int(r[8]),
                    r[9],
                    r[10],
                    r[11],
                ]
                for r in rows
            ]
            return self._send(h, 200, out)
        if path in ("/api/v3/account", "/sapi/v1/account/apiRestrictions"):
            if not self._signed_ok(h, query):
                return self._send(
                    h,
                    401,
                    {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
                )
            withdraw = h.headers.get("X-MBX-APIKEY") in self.withdraw_keys
            if path == "/api/v3/account":
                return self._send(
                    h,
                    200,
                    {"canTrade": True, "canWithdraw": withdraw, "canDeposit": True, "balances": []},
                )
            return self._send(
                h,
                200,
                {
                    "ipRestrict": False,
                    "enableReading": True,
                    "enableWithdrawals": withdraw,
                    "enableSpotAndMarginTrading": False,
                },
            )
        return self._send(h, 404, {"code": -1, "msg": "not found"})
