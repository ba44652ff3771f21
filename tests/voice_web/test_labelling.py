"""The transcript page: play the audio, edit a segment's text, label it into a training example, suggest labels."""

from __future__ import annotations

import json

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from nlu.models import TrainingExample
from voice import services
from voice.audio import wav_bytes
from voice.models import Recording


@pytest.fixture
def recording(bot):
    rec = Recording.objects.create(
        bot=bot, file=ContentFile(wav_bytes(b"\x01\x00" * 16_000, 16_000), name="call.wav"), original_name="call.wav",
        sha256="a" * 64, size=32_044, format="wav", duration=1.0, channels=2, status="done", progress=1.0)
    rec.segments.create(index=0, start=0.0, end=0.4, text="请问您要什么型号", speaker="agent", confidence=0.9)
    rec.segments.create(index=1, start=0.5, end=1.0, text="离心泵扬程五十米好多钱", speaker="customer", confidence=0.7)
    return rec


def url(name: str, bot, **kwargs) -> str:
    return reverse(f"voice:{name}", kwargs={"ws": bot.workspace.slug, "bot": bot.slug, **kwargs})


def label(client, bot, segment, intent, spans, **extra):
    return client.post(url("segment_label", bot, segment=segment.pk),
                       {"intent": intent.pk, "spans": json.dumps(spans, ensure_ascii=False)}, **extra)


def test_transcript_page_has_player_and_segments(client, team, bot, recording):
    client.force_login(team["viewer"])
    html = client.get(url("transcript", bot, recording=recording.pk)).content.decode()
    assert url("recording_audio", bot, recording=recording.pk) in html
    assert html.count('data-testid="segment"') == 2 and 'data-start="0.50"' in html
    assert 'data-testid="edit-text"' not in html  # viewers only read


def test_annotator_labels_a_segment_into_a_recording_example(client, team, bot, recording):
    segment = recording.segments.get(index=1)
    client.force_login(team["annotator"])
    response = label(client, bot, segment, bot.intents.get(name="询价"),
                     [{"slot": "产品型号", "start": 0, "end": 3}, {"slot": "扬程", "start": 5, "end": 8}],
                     HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'data-testid="label-saved"' in response.content.decode()
    assert 'hx-swap-oob="true"' in response.content.decode()  # the segment's row shows its new label
    example = TrainingExample.objects.get()
    assert (example.text, example.intent.name, example.source) == ("离心泵扬程五十米好多钱", "询价", "recording")
    assert [(s["slot"], s["value"]) for s in example.spans] == [("产品型号", "离心泵"), ("扬程", "五十米")]
    assert example.context == "请问您要什么型号"  # what the agent said before
    assert example.created_by == team["annotator"]
    segment.refresh_from_db()
    assert segment.example == example


def test_labelling_again_updates_the_same_example(client, team, bot, recording):
    segment = recording.segments.get(index=1)
    client.force_login(team["annotator"])
    label(client, bot, segment, bot.intents.get(name="询价"), [])
    label(client, bot, segment, bot.intents.get(name="需求确认"), [{"slot": "产品型号", "start": 0, "end": 3}])
    example = TrainingExample.objects.get()
    assert example.intent.name == "需求确认" and len(example.spans) == 1


def test_same_text_reuses_the_existing_example(client, team, bot, recording):
    typed = TrainingExample.objects.create(bot=bot, text="请问您要什么型号", intent=bot.intents.get(name="挂断"))
    client.force_login(team["annotator"])
    label(client, bot, recording.segments.get(index=0), bot.intents.get(name="需求确认"), [])
    typed.refresh_from_db()
    assert TrainingExample.objects.count() == 1
    assert (typed.intent.name, typed.source) == ("需求确认", "typed")


def test_bad_span_is_refused_with_a_message(client, team, bot, recording):
    client.force_login(team["annotator"])
    response = label(client, bot, recording.segments.get(index=1), bot.intents.get(name="询价"),
                     [{"slot": "产品型号", "start": 5, "end": 99}], HTTP_HX_REQUEST="true")
    assert 'data-testid="label-error"' in response.content.decode()
    assert not TrainingExample.objects.exists()


def test_intent_of_another_bot_is_refused(client, team, bot, recording):
    from tests import factories

    other = factories.make_bot(team["workspace"], "别的")
    foreign = other.intents.create(name="询价")
    client.force_login(team["annotator"])
    response = label(client, bot, recording.segments.get(index=1), foreign, [])
    assert response.status_code == 200 and not TrainingExample.objects.exists()


def test_viewer_cannot_label_or_edit(client, team, bot, recording):
    segment = recording.segments.get(index=1)
    client.force_login(team["viewer"])
    assert label(client, bot, segment, bot.intents.first(), []).status_code == 403
    assert client.post(url("segment_text", bot, segment=segment.pk), {"text": "改了"}).status_code == 403
    assert not TrainingExample.objects.exists()


def test_annotator_edits_segment_text(client, team, bot, recording):
    segment = recording.segments.get(index=1)
    client.force_login(team["annotator"])
    editor = client.get(url("segment_text", bot, segment=segment.pk), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="segment-editor"' in editor
    response = client.post(url("segment_text", bot, segment=segment.pk), {"text": " 离心泵  扬程五十米多少钱 "},
                           HTTP_HX_REQUEST="true")
    assert 'data-testid="segment"' in response.content.decode()
    segment.refresh_from_db()
    assert (segment.text, segment.edited) == ("离心泵 扬程五十米多少钱", True)


def test_empty_text_is_refused(client, team, bot, recording):
    segment = recording.segments.get(index=1)
    client.force_login(team["annotator"])
    response = client.post(url("segment_text", bot, segment=segment.pk), {"text": "   "}, HTTP_HX_REQUEST="true")
    assert 'data-testid="segment-editor"' in response.content.decode()
    segment.refresh_from_db()
    assert segment.text == "离心泵扬程五十米好多钱"


def test_label_link_without_javascript_opens_the_panel_on_the_page(client, team, bot, recording):
    segment = recording.segments.get(index=1)
    client.force_login(team["viewer"])
    response = client.get(url("segment_label", bot, segment=segment.pk), follow=True)
    assert 'data-testid="label-form"' in response.content.decode()


def teach(bot, phrases: dict[str, list[str]]) -> None:
    for intent, texts in phrases.items():
        for text in texts:
            TrainingExample.objects.create(bot=bot, intent=bot.intents.get(name=intent), text=text)


PRICE_AND_GOODBYE = {"询价": ["离心泵好多钱", "潜水泵多少钱一台", "扬程三十米的泵什么价", "报个价嘛", "好多钱哦"],
                     "挂断": ["再见", "不聊了", "我挂了", "先这样吧", "拜拜"]}


def test_suggest_prefills_from_the_bots_understanding(client, team, bot, recording):
    teach(bot, PRICE_AND_GOODBYE)  # no model trained: the examples and the lexicon answer
    segment = recording.segments.get(index=1)
    client.force_login(team["annotator"])
    panel = client.get(url("segment_label", bot, segment=segment.pk), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="suggest"' in panel
    html = client.get(url("segment_label", bot, segment=segment.pk) + "?suggest=1",
                      HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="suggestion"' in html
    assert f'<option value="{bot.intents.get(name="询价").pk}" selected>' in html
    assert "&quot;slot&quot;: &quot;产品型号&quot;" in html and "&quot;slot&quot;: &quot;扬程&quot;" in html


def test_an_unsure_suggestion_is_a_hint_and_selects_nothing(client, team, bot, recording):
    teach(bot, {"询价": ["离心泵好多钱"], "需求确认": ["离心泵好多钱嘛"]})  # one question taught under two intents
    client.force_login(team["annotator"])
    html = client.get(url("segment_label", bot, segment=recording.segments.get(index=1).pk) + "?suggest=1",
                      HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="suggestion-hint"' in html and 'data-testid="suggestion"' not in html
    assert '<option value="" selected>' in html


def test_a_segment_marked_irrelevant_is_never_an_example(client, team, bot, recording):
    segment = recording.segments.get(index=0)
    client.force_login(team["annotator"])
    response = client.post(url("segment_skip", bot, segment=segment.pk), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="segment-skipped"' in html  # the row shows it (oob)
    segment.refresh_from_db()
    assert segment.skipped and segment.example is None and not TrainingExample.objects.exists()
    client.force_login(team["viewer"])
    assert client.post(url("segment_skip", bot, segment=segment.pk)).status_code == 403


def test_no_suggest_button_before_the_bot_knows_two_intents(client, team, bot, recording):
    teach(bot, {"询价": ["离心泵好多钱"]})
    client.force_login(team["annotator"])
    panel = client.get(url("segment_label", bot, segment=recording.segments.first().pk),
                       HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="suggest"' not in panel and not services.can_suggest(bot)


def test_audio_is_served_with_ranges(client, team, bot, recording):
    client.force_login(team["viewer"])
    whole = client.get(url("recording_audio", bot, recording=recording.pk))
    assert whole.status_code == 200 and whole["Content-Type"] == "audio/wav" and whole["Accept-Ranges"] == "bytes"
    part = client.get(url("recording_audio", bot, recording=recording.pk), HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{recording.file.size}"
    assert b"".join(part.streaming_content) == b"".join(whole.streaming_content)[100:200]
    tail = client.get(url("recording_audio", bot, recording=recording.pk), HTTP_RANGE="bytes=-10")
    assert len(b"".join(tail.streaming_content)) == 10
    beyond = client.get(url("recording_audio", bot, recording=recording.pk), HTTP_RANGE="bytes=999999-")
    assert beyond.status_code == 416


def test_recordings_of_another_bot_are_not_found(client, team, bot, recording):
    from tests import factories

    other = factories.make_bot(team["workspace"], "别的")
    client.force_login(team["owner"])
    assert client.get(url("transcript", other, recording=recording.pk)).status_code == 404
    assert client.get(url("segment_label", other, segment=recording.segments.first().pk)).status_code == 404
