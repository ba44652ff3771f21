"""Conversation tests with the caller's recordings: a voice call saved as a test keeps each turn's audio, the run hears
it through the live call's ASR and lexicon correction (a tiny Whisper loaded the real way), a missing recording
fails its turn with a clear message, and the recordings are served by permission, kept or dropped in the editor and
deleted with the test or with a forgotten customer."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from calls import testing
from calls.call import program_corrector
from calls.calllog.conversation_tests import do_save_call_as_test, run_suite, shown_difference
from calls.calllog.customers import do_forget_customer
from calls.dialogue import Dialogue
from calls.models import ConversationTest, Customer, Turn
from flows.models import FlowVersion
from nlu.services import slot_definitions
from tests.calls.test_conversation_tests import logged_call
from tests.voice.conftest import espeak, tiny_whisper  # noqa: F401 — fixtures
from voice.asr import WhisperEngine
from voice.audio import float_to_pcm16, parse_wav, pcm16_to_float, resample, wav_bytes
from voice.endpointing import words_of

pytestmark = pytest.mark.django_db
WORDS = ["是的", "扬程五十米"]


def spoken(espeak, text: str) -> np.ndarray:
    pcm, rate = espeak.synthesize_sentence(text, voice=None, rate=None, pitch=None)
    return resample(pcm16_to_float(pcm), rate, 16_000)


@pytest.fixture
def voice_call(demo_bot, espeak):
    return make_voice_call(demo_bot, espeak)


def make_voice_call(demo_bot, espeak):
    """A logged call of the demo bot whose caller track holds each turn's words (espeak-ng) at the turn's offsets,
    as a voice call stores them; (the call, each turn's audio)."""
    call = logged_call(demo_bot, WORDS)
    clips, track, start = [spoken(espeak, text) for text in WORDS], [], 0.0
    for turn, clip in zip(call.turns.filter(event=Turn.Event.USER).order_by("index"), clips, strict=True):
        gap = np.zeros(8_000, np.float32)  # half a second of silence before each turn
        track += [gap, clip]
        start += len(gap) / 16_000
        Turn.objects.filter(pk=turn.pk).update(user_audio_start=round(start, 3),
                                               user_audio_end=round(start + len(clip) / 16_000, 3))
        start += len(clip) / 16_000
    call.user_audio.save("user.wav", ContentFile(wav_bytes(float_to_pcm16(np.concatenate(track)), 16_000)))
    return call, clips


def test_a_voice_call_saved_as_a_test_keeps_each_turns_recording(voice_call):
    call, clips = voice_call
    test = do_save_call_as_test(call)
    assert [t["text"] for t in test.turns] == WORDS and test.audio_turns == 2
    for turn, clip in zip(test.turns, clips, strict=True):
        pcm, rate = parse_wav(default_storage.open(turn["audio"]).read())
        assert rate == 16_000 and abs(len(pcm) // 2 - len(clip)) <= 16  # the turn's words, cut at its offsets
    assert do_save_call_as_test(logged_call(call.bot, ["是的"])).audio_turns == 0  # a typed call: text turns


def test_a_run_hears_audio_turns_through_the_live_calls_asr_and_correction(voice_call, settings, tiny_whisper):
    settings.ASR_MODEL = str(tiny_whisper)
    call, clips = voice_call
    do_save_call_as_test(call)
    run = run_suite(call.bot)
    version = call.flow_version
    slots = slot_definitions(call.bot)
    dialogue = Dialogue(version.program, slots, None, 0)
    dialogue.start()
    transcript = WhisperEngine(tiny_whisper).transcribe_utterance(clips[0], hot_words=dialogue.hot_words(),
                                                                  dialect=call.bot.dialect)
    heard = run.results[0]["turns"][0]
    assert heard["audio"] is True
    assert heard["text"] == words_of(transcript, program_corrector(slots, version.program))[0]


def test_a_missing_recording_fails_its_turn_with_a_clear_message(voice_call, client, team, settings, tiny_whisper):
    settings.ASR_MODEL = str(tiny_whisper)
    test = do_save_call_as_test(voice_call[0])
    default_storage.delete(test.turns[1]["audio"])
    result = run_suite(test.bot).results[0]
    assert result["differences"][-1] == {"turn": 2, "field": "audio", "expected": "heard", "got": "missing"}
    assert len(result["turns"]) == 1  # the case stops at the turn it cannot hear
    shown = shown_difference(result["differences"][-1], {}, zh=True)
    assert (shown["label"], shown["got"]) == ("客户录音", "录音文件已不存在")
    client.force_login(team["viewer"])
    page = client.get(reverse("calls:tests", kwargs={"ws": team["workspace"].slug, "bot": test.bot.slug}),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "录音文件已不存在" in page


def test_without_a_speech_recogniser_an_audio_turn_fails_as_such(demo_bot):
    case = {"name": "x", "turns": [{"text": "是的", "audio": "conversation_tests/none.wav"}]}
    program = FlowVersion.objects.get(flow__bot=demo_bot).program
    result = testing.run_case(case, program, slots=slot_definitions(demo_bot), nlu=None, intents=[])
    assert [(d.turn, d.field, d.got) for d in result.differences] == [(1, "audio", "no-asr")]


def test_a_tests_recordings_are_served_to_its_workspace_only(voice_call, client, team):
    test = do_save_call_as_test(voice_call[0])
    url = lambda turn: reverse("calls:test_audio", kwargs={  # noqa: E731
        "ws": team["workspace"].slug, "bot": test.bot.slug, "test": test.pk, "turn": turn})
    client.force_login(team["viewer"])
    response = client.get(url(1))
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    ranged = client.get(url(1), HTTP_RANGE="bytes=0-11")
    assert ranged.status_code == 206 and b"".join(ranged.streaming_content)[:4] == b"RIFF"
    assert client.get(url(3)).status_code == 404 and client.get(url(0)).status_code == 404
    client.force_login(team["outsider"])
    assert client.get(url(1)).status_code in (403, 404)


def test_the_editor_keeps_a_ticked_recording_and_deletes_an_unticked_one(voice_call, client, team,
                                                                         django_capture_on_commit_callbacks):
    test = do_save_call_as_test(voice_call[0])
    first, second = (t["audio"] for t in test.turns)
    client.force_login(team["editor"])
    edit = reverse("calls:test_edit", kwargs={"ws": team["workspace"].slug, "bot": test.bot.slug, "test": test.pk})
    page = client.get(edit).content.decode()
    assert page.count('data-testid="turn-audio"') == 2
    form = {"name": test.name, "outcome": "", "grade": "", "audio-0": "1", "audio-1": "",
            **{f"{k}-{i}": "" for i in range(4) for k in ("text", "intent", "node", "slots", "says")},
            "text-0": "是的", "text-1": "扬程五十米"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(edit, form).status_code == 302
    test.refresh_from_db()
    assert [t.get("audio") for t in test.turns] == [first, None]
    assert default_storage.exists(first) and not default_storage.exists(second)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("calls:test_delete", kwargs={"ws": team["workspace"].slug, "bot": test.bot.slug,
                                                         "test": test.pk}))
    assert not ConversationTest.objects.exists() and not default_storage.exists(first)


def test_forgetting_a_customer_deletes_the_recordings_tests_kept_of_them(voice_call, team,
                                                                         django_capture_on_commit_callbacks):
    call = voice_call[0]
    customer = Customer.objects.create(workspace=team["workspace"], name="李经理", phone="13812345678")
    call.customer = customer
    call.save(update_fields=["customer"])
    test = do_save_call_as_test(call)
    names = [t["audio"] for t in test.turns]
    with django_capture_on_commit_callbacks(execute=True):
        do_forget_customer(customer)
    test.refresh_from_db()
    assert test.audio_turns == 0 and not any(default_storage.exists(name) for name in names)
