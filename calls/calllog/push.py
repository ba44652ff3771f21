"""Pushing finished calls to the team's CRM: a delivery row per push, sent by a worker with retries (calls.crm)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from calls import crm
from calls.models import Call, Channel, CrmWebhook, WebhookDelivery


def webhook_for(bot) -> CrmWebhook | None:  # noqa: ANN001
    """The bot's webhook when pushing is switched on."""
    return CrmWebhook.objects.filter(bot=bot, enabled=True).exclude(url="").first()


def do_queue_push(call: Call) -> WebhookDelivery | None:
    """Queue the push of an ended call (not simulated ones) when the bot's webhook is on; sent after commit."""
    if call.channel == Channel.SIMULATED or webhook_for(call.bot) is None:
        return None
    delivery = WebhookDelivery.objects.create(bot=call.bot, call=call)
    _send_on_commit(delivery)
    return delivery


def do_queue_test(bot) -> WebhookDelivery:  # noqa: ANN001
    delivery = WebhookDelivery.objects.create(bot=bot, test=True)
    _send_on_commit(delivery)
    return delivery


def _send_on_commit(delivery: WebhookDelivery) -> None:
    from calls.tasks import push_delivery_task

    transaction.on_commit(lambda: push_delivery_task.delay(delivery.pk))


def payload(call: Call | None, bot) -> dict:  # noqa: ANN001
    """What the CRM receives (documented in calls.crm); a test push describes no call."""
    if call is None:
        return {"event": "test", "bot": bot.slug, "sent_at": timezone.now().isoformat()}
    last = call.turns.order_by("-index").values_list("slots", flat=True).first() or {}
    path = reverse("calls:call", kwargs={"ws": bot.workspace.slug, "bot": bot.slug, "call": call.pk})
    duration = (call.ended_at - call.started_at).total_seconds() if call.ended_at else None
    return {"event": "call.ended", "call": call.pk, "bot": bot.slug, "started_at": call.started_at.isoformat(),
            "ended_at": call.ended_at.isoformat() if call.ended_at else None, "duration_s": duration,
            "outcome": call.outcome, "grade": call.grade, "grade_rule": call.grade_rule, "completed": call.completed,
            "turns": call.turn_count, "customer_turns": call.user_turn_count, "slots": last,
            "remembered": call.remembered, "customer": _customer(call.customer),
            "url": settings.SITE_URL.rstrip("/") + path}


def _customer(customer) -> dict | None:  # noqa: ANN001
    if customer is None:
        return None
    return {"name": customer.name, "phone": customer.phone, "company": customer.company,
            "variables": customer.variables}


def run_delivery(delivery_id: int) -> int | None:
    """One attempt (the worker's side): send, record it, and return the seconds to wait before the next attempt,
    or None when delivered, given up, or the webhook was switched off meanwhile."""
    delivery = WebhookDelivery.objects.select_related("bot__workspace", "call__customer").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return None
    hook = CrmWebhook.objects.filter(bot=delivery.bot).exclude(url="").first()
    if hook is None or not (hook.enabled or delivery.test):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED,
                                                              error="switched_off",
                                                              finished_at=timezone.now())
        return None
    sent = crm.post(hook.url, payload(delivery.call, delivery.bot), hook.secret, timeout=settings.CRM_TIMEOUT_S)
    attempts, delays = delivery.attempts + 1, settings.CRM_RETRY_DELAYS_S
    done = sent.ok or attempts > len(delays) or delivery.test
    status = (WebhookDelivery.Status.DELIVERED if sent.ok else
              WebhookDelivery.Status.FAILED if done else WebhookDelivery.Status.PENDING)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=attempts, status=status, status_code=sent.status_code, error=sent.error,
        finished_at=timezone.now() if done else None)
    return None if done else delays[attempts - 1]
