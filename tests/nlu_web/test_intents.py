"""Intents, slots and examples through the pages: CRUD, validation and who may do what."""

from __future__ import annotations

import json

from django.urls import reverse

from nlu.models import Intent, Slot, TrainingExample


def url(bot, name, **kwargs):
    return reverse(f"nlu:{name}", kwargs={"ws": bot.workspace.slug, "bot": bot.slug, **kwargs})


def test_editor_creates_an_intent(client, team, bot):
    client.force_login(team["editor"])
    response = client.post(url(bot, "intents"), {"intent-name": "询价", "intent-description": "问价格"})
    assert response.status_code == 302
    assert bot.intents.get().description == "问价格"


def test_intent_names_are_unique_in_a_bot(client, team, bot):
    Intent.objects.create(bot=bot, name="询价")
    client.force_login(team["editor"])
    response = client.post(url(bot, "intents"), {"intent-name": " 询价 "})
    assert response.status_code == 200
    assert bot.intents.count() == 1
    assert "already used" in response.content.decode() or "已被使用" in response.content.decode()


def test_annotator_cannot_create_intents(client, team, bot):
    client.force_login(team["annotator"])
    response = client.post(url(bot, "intents"), {"intent-name": "询价"})
    assert response.status_code == 403
    assert not bot.intents.exists()


def test_enum_slot_keeps_values_synonyms_and_prompts(client, team, bot):
    client.force_login(team["editor"])
    client.post(url(bot, "slot_create"), {"slot-name": "产品型号", "slot-type": "enum",
                                          "slot-values_text": "离心泵: 离心式水泵，离心式\n潜水泵",
                                          "slot-prompts_text": "您要什么泵？\n\n哪种型号？"})
    slot = bot.slots.get()
    assert slot.values == [{"value": "离心泵", "synonyms": ["离心式水泵", "离心式"]}, {"value": "潜水泵", "synonyms": []}]
    assert slot.prompts == ["您要什么泵？", "哪种型号？"]


def test_enum_slot_needs_a_value(client, team, bot):
    client.force_login(team["editor"])
    response = client.post(url(bot, "slot_create"), {"slot-name": "产品型号", "slot-type": "enum"})
    assert response.status_code == 200 and not bot.slots.exists()


def test_renaming_a_slot_renames_its_spans(client, team, bot):
    intent = Intent.objects.create(bot=bot, name="询价")
    slot = Slot.objects.create(bot=bot, name="扬程", type="number", unit="米")
    example = TrainingExample.objects.create(bot=bot, intent=intent, text="五十米多少钱",
                                             spans=[{"slot": "扬程", "start": 0, "end": 3, "value": "五十米"}])
    client.force_login(team["editor"])
    client.post(url(bot, "slot_edit", slot=slot.pk), {"name": "高度", "type": "number", "unit": "米"})
    example.refresh_from_db()
    assert example.spans[0]["slot"] == "高度"


def test_deleting_a_slot_removes_its_spans(client, team, bot):
    intent = Intent.objects.create(bot=bot, name="询价")
    slot = Slot.objects.create(bot=bot, name="扬程")
    example = TrainingExample.objects.create(bot=bot, intent=intent, text="五十米多少钱",
                                             spans=[{"slot": "扬程", "start": 0, "end": 3, "value": "五十米"}])
    client.force_login(team["editor"])
    client.post(url(bot, "slot_delete", slot=slot.pk))
    example.refresh_from_db()
    assert example.spans == [] and not bot.slots.exists()


def test_annotator_adds_an_example_with_a_span(client, team, bot):
    intent = Intent.objects.create(bot=bot, name="询价")
    Slot.objects.create(bot=bot, name="扬程")
    client.force_login(team["annotator"])
    spans = [{"slot": "扬程", "start": 0, "end": 3}]
    client.post(url(bot, "example_create"), {"text": "五十米扬程多少钱", "intent": intent.pk, "spans": json.dumps(spans)})
    example = bot.examples.get()
    assert example.spans == [{"slot": "扬程", "start": 0, "end": 3, "value": "五十米"}]
    assert example.created_by == team["annotator"]


def test_viewer_cannot_add_examples(client, team, bot):
    intent = Intent.objects.create(bot=bot, name="询价")
    client.force_login(team["viewer"])
    response = client.post(url(bot, "example_create"), {"text": "多少钱", "intent": intent.pk})
    assert response.status_code == 403 and not bot.examples.exists()


def test_a_span_of_an_unknown_slot_is_refused(client, team, bot):
    intent = Intent.objects.create(bot=bot, name="询价")
    client.force_login(team["annotator"])
    spans = [{"slot": "颜色", "start": 0, "end": 1}]
    response = client.post(url(bot, "example_create"), {"text": "红色的", "intent": intent.pk,
                                                        "spans": json.dumps(spans)}, follow=True)
    assert not bot.examples.exists()
    assert "颜色" in response.content.decode()


def test_the_same_utterance_twice_is_refused(client, team, bot):
    intent = Intent.objects.create(bot=bot, name="询价")
    TrainingExample.objects.create(bot=bot, intent=intent, text="多少钱")
    client.force_login(team["annotator"])
    client.post(url(bot, "example_create"), {"text": "\u200b多少钱 ", "intent": intent.pk})
    assert bot.examples.count() == 1


def test_intents_page_highlights_spans(client, team, bot):
    intent = Intent.objects.create(bot=bot, name="询价")
    Slot.objects.create(bot=bot, name="扬程")
    TrainingExample.objects.create(bot=bot, intent=intent, text="五十米多少钱",
                                   spans=[{"slot": "扬程", "start": 0, "end": 3, "value": "五十米"}])
    client.force_login(team["viewer"])
    html = client.get(url(bot, "intents")).content.decode()
    assert 'data-slot="扬程"' in html and "五十米" in html


def test_annotator_edits_an_example(client, team, bot):
    ask, haggle = Intent.objects.create(bot=bot, name="询价"), Intent.objects.create(bot=bot, name="砍价")
    Slot.objects.create(bot=bot, name="扬程")
    example = TrainingExample.objects.create(bot=bot, intent=ask, text="多少钱")
    client.force_login(team["annotator"])
    page = client.get(url(bot, "example_edit", example=example.pk))
    assert page.status_code == 200 and 'data-span-editor' in page.content.decode()
    client.post(url(bot, "example_edit", example=example.pk),
                {"text": "八十米能便宜点吗", "intent": haggle.pk, "spans": json.dumps([{"slot": "扬程", "start": 0, "end": 3}])})
    example.refresh_from_db()
    assert (example.text, example.intent, example.spans[0]["value"]) == ("八十米能便宜点吗", haggle, "八十米")


def test_a_new_example_on_the_all_examples_view_has_no_intent_chosen(client, team, bot):
    for name in ("否定", "询价"):
        Intent.objects.create(bot=bot, name=name)
    client.force_login(team["editor"])
    form = client.get(url(bot, "intents")).context["example_form"]
    assert form["intent"].value() is None
    response = client.post(url(bot, "example_create"), {"text": "多少钱", "intent": "", "spans": "[]"})
    assert response.status_code == 302 and not TrainingExample.objects.filter(bot=bot, text="多少钱").exists()


def test_common_intents_are_switched_on_with_their_reply_and_counted(client, team, bot):
    client.force_login(team["editor"])
    page = client.get(url(bot, "intents")).content.decode()
    assert 'data-testid="common-intents"' in page and 'value="问候"' in page
    response = client.post(url(bot, "common_intents_enable"), {"name": ["问候", "稍等", "没有这个", "问候"]})
    assert response.status_code == 302
    greeting = bot.intents.get(name="问候")
    assert greeting.is_global and greeting.reply == "您好您好！" and greeting.description
    assert set(bot.intents.values_list("name", flat=True)) >= {"问候", "稍等"}
    assert not bot.intents.filter(name="没有这个").exists()
    page = client.get(url(bot, "intents")).content.decode()
    assert 'value="问候"' not in page and "common +41" in page
    assert client.post(url(bot, "common_intents_enable"), {}).status_code == 302  # nothing chosen: a message
    client.force_login(team["annotator"])
    assert client.post(url(bot, "common_intents_enable"), {"name": ["在忙"]}).status_code == 403
    assert not bot.intents.filter(name="在忙").exists()
