"""CRM push: a finished call's result is POSTed, signed, to a real local HTTP server by a real worker; a webhook that
hangs is retried and logged without holding up the call; only HTTP(S) URLs are accepted."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time

import pytest
from django.urls import reverse

from calls.calllog import close_call, open_call, record_turn
from calls.models import CrmWebhook, WebhookDelivery
from calls.turns import TurnRecord
from tests.conftest import wait_until

SECRET = "s3cret-for-tests"


class Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[dict, bytes]] = []
    delay = 0.0

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(type(self).delay)
        type(self).received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


@pytest.fixture
def receiver():
    Receiver.received, Receiver.delay = [], 0.0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}/hooks/calls"
    server.shutdown()


def finished_call(bot):
    call = open_call(bot=bot, flow_version=bot.flow.versions.first(), channel="test")
    record_turn(call, TurnRecord(index=0, event="start", node="need"))
    record_turn(call, TurnRecord(index=1, event="user", intent="询价", user_text="多少钱", slots={"扬程": 50}))
    record_turn(call, TurnRecord(index=2, event="user", intent="需求确认", user_text="要两台", slots={"扬程": 50}))
    began = time.perf_counter()
    close_call(call, outcome="意向", end_node="end_intent", completed=True)
    return call, time.perf_counter() - began


@pytest.mark.worker
def test_a_finished_call_is_pushed_signed_and_a_hanging_crm_is_retried(team, demo_bot, receiver, transactional_db,
                                                                      celery_worker_process):
    server, url = receiver
    CrmWebhook.objects.create(bot=demo_bot, url=url, secret=SECRET, enabled=True)
    call, closing = finished_call(demo_bot)
    assert closing < 1.0  # the call does not wait for the CRM
    wait_until(lambda: WebhookDelivery.objects.get(call=call).status == "delivered", timeout=30)
    headers, body = Receiver.received[-1]
    expected = hmac.new(SECRET.encode(), f"{headers['x-salesstudio-timestamp']}.".encode() + body,
                        hashlib.sha256).hexdigest()
    assert headers["x-salesstudio-signature"] == f"sha256={expected}"
    sent = json.loads(body)
    assert (sent["event"], sent["call"], sent["outcome"], sent["grade"], sent["slots"]) == (
        "call.ended", call.pk, "意向", "A", {"扬程": 50})
    assert sent["url"].endswith(f"/calls/{call.pk}/")

    Receiver.delay = 3.0  # longer than the test settings' 1 s timeout: every attempt times out
    slow, _ = finished_call(demo_bot)
    wait_until(lambda: WebhookDelivery.objects.get(call=slow).status == "failed", timeout=60)
    delivery = WebhookDelivery.objects.get(call=slow)
    assert (delivery.attempts, delivery.error) == (3, "timeout")  # first try + the two retries of the test settings


def test_the_page_saves_an_http_webhook_refuses_other_schemes_and_logs(client, team, demo_bot):
    client.force_login(team["editor"])
    url = reverse("calls:crm", kwargs={"ws": team["workspace"].slug, "bot": demo_bot.slug})
    page = client.get(url).content.decode()
    assert 'name="secret"' in page and 'data-testid="deliveries"' in page
    for bad in ("file:///etc/passwd", "ftp://crm.example.com/x", "gopher://x"):
        response = client.post(url, {"url": bad, "secret": "x", "enabled": "on"}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200 and not CrmWebhook.objects.filter(bot=demo_bot).exists()
    assert client.post(url, {"url": "https://crm.example.com/hook", "secret": "x", "enabled": "on"}).status_code == 302
    assert CrmWebhook.objects.get(bot=demo_bot).enabled
    client.post(url, {"url": "https://crm.example.com/hook", "secret": "x", "enabled": "on", "test": "1"})
    assert WebhookDelivery.objects.filter(bot=demo_bot, test=True).count() == 1
    client.force_login(team["viewer"])
    assert client.post(url, {"url": "https://evil.example.com/", "secret": "x"}).status_code == 403


def test_only_those_who_may_change_the_webhook_see_its_secret(client, team, demo_bot):
    CrmWebhook.objects.create(bot=demo_bot, url="https://crm.example.com/hook", secret="s3cret-signing-key")
    url = reverse("calls:crm", kwargs={"ws": demo_bot.workspace.slug, "bot": demo_bot.slug})
    client.force_login(team["viewer"])
    page = client.get(url).content.decode()
    assert "s3cret-signing-key" not in page and 'data-testid="crm-secret-hidden"' in page
    client.force_login(team["editor"])
    assert "s3cret-signing-key" in client.get(url).content.decode()


def test_simulated_calls_are_not_pushed(demo_bot):
    from calls.calllog.bulk import simulate_calls

    CrmWebhook.objects.create(bot=demo_bot, url="https://crm.example.com/hook", secret=SECRET, enabled=True)
    simulate_calls(demo_bot, 5, seed=1)
    assert not WebhookDelivery.objects.exists()
