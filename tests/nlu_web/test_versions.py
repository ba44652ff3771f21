"""Model versions: activation (one per bot), rollback, the report page, comparing, relabelling in place."""

from __future__ import annotations

import pytest
from django.urls import reverse

from nlu import services
from nlu.models import Intent, ModelVersion, TrainingExample

METRICS = {"intent": {"accuracy": 0.9, "macro_f1": 0.8, "weighted_f1": 0.85, "count": 10,
                      "per_intent": {"询价": {"precision": 1.0, "recall": 0.8, "f1": 0.89, "support": 5},
                                     "在忙": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}},
                      "confusion": {"labels": ["询价", "砍价"], "matrix": [[4, 1], [0, 5]]},
                      "misclassified": [{"text": "能便宜点吗", "gold": "询价", "predicted": "砍价"}]},
           "slots": {"precision": 0.7, "recall": 0.6, "f1": 0.65, "per_slot": {}}}


def url(bot, name, **kwargs):
    return reverse(f"nlu:{name}", kwargs={"ws": bot.workspace.slug, "bot": bot.slug, **kwargs})


@pytest.fixture
def versions(bot, monkeypatch):
    monkeypatch.setattr("nlu.runtime.get_runtime", lambda path: object())  # folders are not real models here
    return [ModelVersion.objects.create(bot=bot, number=n, path=f"/models/v{n}", metrics=METRICS) for n in (1, 2, 3)]


def active_numbers(bot):
    return list(bot.model_versions.filter(is_active=True).values_list("number", flat=True))


def test_activating_a_version_deactivates_the_others(client, team, bot, versions):
    client.force_login(team["editor"])
    client.post(url(bot, "version_activate", version=versions[0].pk))
    client.post(url(bot, "version_activate", version=versions[2].pk))
    assert active_numbers(bot) == [3]


def test_rollback_returns_to_the_previously_active_version(client, team, bot, versions):
    services.do_activate_version(versions[1])
    services.do_activate_version(versions[2])
    client.force_login(team["editor"])
    client.post(url(bot, "version_rollback"))
    assert active_numbers(bot) == [2]


def test_rollback_without_history_says_so(client, team, bot, versions):
    client.force_login(team["editor"])
    response = client.post(url(bot, "version_rollback"), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert not active_numbers(bot)
    assert "no earlier version" in response.content.decode()


def test_a_broken_version_cannot_be_activated(client, team, bot):
    version = ModelVersion.objects.create(bot=bot, number=1, path="/nonexistent")
    client.force_login(team["editor"])
    client.post(url(bot, "version_activate", version=version.pk))
    assert not active_numbers(bot)


def test_the_report_shows_metrics_confusion_and_errors(client, team, bot, versions):
    client.force_login(team["viewer"])
    html = client.get(url(bot, "version_report", version=versions[0].pk)).content.decode()
    assert "0.900" in html and "能便宜点吗" in html and 'id="confusion"' in html
    [busy] = [row for row in html.split("<tr") if "<td>在忙</td>" in row]  # no held-out example: no recall, no F1
    assert "<td>—</td><td>—</td><td>0</td>" in busy


def test_compare_puts_versions_side_by_side(client, team, bot, versions):
    client.force_login(team["viewer"])
    response = client.get(url(bot, "versions_compare") + f"?v={versions[0].pk}&v={versions[1].pk}")
    assert [row["values"] for row in response.context["rows"]][0] == [0.9, 0.9]


def test_a_misclassified_example_is_relabelled_in_place(client, team, bot, versions):
    gold = Intent.objects.create(bot=bot, name="询价")
    right = Intent.objects.create(bot=bot, name="砍价")
    TrainingExample.objects.create(bot=bot, text="能便宜点吗", intent=gold)
    client.force_login(team["annotator"])
    response = client.post(url(bot, "version_relabel", version=versions[0].pk),
                           {"text": "能便宜点吗", "intent": right.pk}, HTTP_HX_REQUEST="true")
    assert 'data-testid="fixed-row"' in response.content.decode()
    assert bot.examples.get().intent == right


def test_viewers_cannot_relabel(client, team, bot, versions):
    client.force_login(team["viewer"])
    response = client.post(url(bot, "version_relabel", version=versions[0].pk), {"text": "x", "intent": 1})
    assert response.status_code == 403


def test_fixing_a_label_starts_from_the_current_label_not_the_models_guess(client, team, bot, versions):
    Intent.objects.create(bot=bot, name="询价")
    Intent.objects.create(bot=bot, name="砍价")
    client.force_login(team["editor"])
    response = client.get(url(bot, "version_report", version=versions[0].pk))
    row = response.content.decode().split('data-testid="misclassified"')[1]
    selected = row.split("selected>")[1].split("</option>")[0]
    assert selected.strip() == "询价"  # one click of "relabel" keeps the correct label
    assert "砍价 (the model&#x27;s guess)" in row or "砍价 (the model's guess)" in row
