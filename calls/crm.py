"""CRM push: each finished call's result, POSTed as signed JSON to the bot's webhook (plain Python, no Django).

Body (UTF-8 JSON)::

    {"event": "call.ended" | "test", "call": id, "bot": slug, "started_at", "ended_at" (ISO 8601 with offset),
     "duration_s", "outcome", "grade", "grade_rule", "completed", "turns", "customer_turns",
     "slots": {name: value}, "url": the call's page}

Headers: ``X-SalesStudio-Timestamp`` (Unix seconds) and ``X-SalesStudio-Signature: sha256=<hex>``, the HMAC-SHA256
of ``"<timestamp>.<body>"`` with the webhook's secret; a receiver recomputes it, compares in constant time and
rejects timestamps older than a few minutes (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

SCHEMES = ("http", "https")


@dataclass
class Sent:
    ok: bool
    status_code: int | None
    error: str  # "" when delivered, else "timeout", "connection" (refused, DNS, TLS…), "status" (a non-2xx answer)


def sign(body: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def encode(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def post(url: str, payload: dict, secret: str, *, timeout: float) -> Sent:
    """POST `payload` signed with `secret`; any 2xx answer is a delivery. Never raises: a refused connection, a
    timeout or an error status is reported in `Sent`."""
    import requests

    body, timestamp = encode(payload), int(time.time())
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "SalesStudio-Webhook/1",
               "X-SalesStudio-Timestamp": str(timestamp), "X-SalesStudio-Signature": sign(body, secret, timestamp)}
    try:
        response = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.Timeout:
        return Sent(False, None, "timeout")
    except requests.RequestException:
        return Sent(False, None, "connection")
    if 200 <= response.status_code < 300:
        return Sent(True, response.status_code, "")
    return Sent(False, response.status_code, "status")
