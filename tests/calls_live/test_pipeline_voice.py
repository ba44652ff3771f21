"""The call pipeline in voice mode: espeak-ng speech through Silero VAD, a tiny random Whisper loaded the real way,
espeak-ng for the bot; barge-in, silence timeouts, malformed frames."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from calls.call import CallError, CallSetup
from calls.pipeline import CallPipeline
from flows.compiler import compile_flow
from voice.asr import WhisperEngine
from voice.audio import float_to_pcm16, pcm16_to_float, resample
from voice.correction import LexiconCorrector, vocabulary
from voice.vad import FRAME_BYTES

pytestmark = pytest.mark.slow


def frames(audio: np.ndarray, silence_s: float = 0.0) -> list[bytes]:
    pcm = float_to_pcm16(np.concatenate([audio, np.zeros(int(silence_s * 16_000), np.float32)]))
    pcm += b"\0" * (-len(pcm) % FRAME_BYTES)
    return [pcm[i:i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES)]


@pytest.fixture(scope="module")
def speech(espeak) -> np.ndarray:
    pcm, rate = espeak.synthesize_sentence("我们需要五十米扬程的水泵", voice=None, rate=None, pitch=None)
    return resample(pcm16_to_float(pcm), rate, 16_000)


@pytest.fixture
def short_program(demo_program) -> dict:
    """The demo flow with a one-word greeting and question, so that speaking takes about a second."""
    program = json.loads(json.dumps(demo_program))
    program["nodes"]["greet"]["texts"] = ["您好。"]
    program["nodes"]["need"]["prompts"] = ["要泵吗？"]
    return program


def voice_call(program, slots, recorder, whisper, espeak, **options) -> CallPipeline:
    setup = CallSetup(program=program, slots=slots, asr=WhisperEngine(whisper), tts=espeak, seed=1,
                      corrector=LexiconCorrector(vocabulary(slots.values())))
    return CallPipeline(setup, recorder, voice=True, **options)


async def test_a_spoken_answer_is_endpointed_recognised_and_answered_with_audio(
        short_program, demo_slots, recorder, tiny_whisper, espeak, speech):
    call = voice_call(short_program, demo_slots, recorder, tiny_whisper, espeak, lead_s=60)
    await call.start()
    await call.settle()
    greeting = b"".join(recorder.sound)
    assert len(greeting) > 16_000  # more than half a second of bot audio at 16 kHz
    for frame in frames(speech, silence_s=1.0):
        await call.audio_frame(frame)
    await call.settle()
    await call.stop()
    assert [e["speech"] for e in recorder.of("vad")] == ["start", "end"]
    transcript = recorder.of("transcript")[0]
    assert transcript["source"] == "asr" and isinstance(transcript["text"], str)
    assert transcript["text"] == LexiconCorrector(vocabulary(demo_slots.values())).correct(transcript["heard"])
    record, offsets = recorder.turns[1]
    assert record.event == "user" and record.user_text == transcript["text"]
    assert {"vad", "asr", "nlu", "flow", "tts", "total"} <= set(record.latency_ms)
    assert 400 <= record.latency_ms["vad"] <= 2000  # the endpoint waits for 500 ms of silence
    duration = len(speech) / 16_000
    assert 0 <= offsets["user_audio_start"] < offsets["user_audio_end"] <= duration + 1.0
    assert offsets["user_audio_end"] - offsets["user_audio_start"] >= duration * 0.6
    assert offsets["bot_audio_start"] == pytest.approx(len(greeting) / 32_000, abs=0.01)
    user, bot = call.audio_tracks()
    assert len(user) == len(frames(speech, 1.0)) * FRAME_BYTES and len(bot) == len(b"".join(recorder.sound))


async def test_a_wait_node_keeps_the_line_quiet_between_the_bots_words(demo_slots, recorder, tiny_whisper, espeak):
    nodes = [{"id": "s", "kind": "start"}, {"id": "hi", "kind": "say", "texts": ["您好。"]},
             {"id": "w", "kind": "wait", "seconds": 1}, {"id": "q", "kind": "branch", "prompts": ["要泵吗？"]},
             {"id": "e", "kind": "end", "outcome": "意向"}]
    edges = [{"id": f"e{n}", "source": a, "target": b, "condition": {"type": "default"}}
             for n, (a, b) in enumerate([("s", "hi"), ("hi", "w"), ("w", "q"), ("q", "e")])]
    program = compile_flow({"format": 1, "nodes": nodes, "edges": edges}, {"intents": [], "slots": []}).program
    call = voice_call(program, demo_slots, recorder, tiny_whisper, espeak, lead_s=60)
    await call.start()
    await call.settle()
    await call.stop()
    samples = np.frombuffer(b"".join(recorder.sound), np.int16)
    loud = np.flatnonzero(samples)
    gaps = np.diff(loud)  # the longest run of exact zeros lies between the two sentences
    assert gaps.max() >= 16_000 and loud[0] < loud[gaps.argmax()] < loud[-1]
    record, _ = recorder.turns[0]
    assert record.path == ["s", "hi", "w", "q"] and record.bot_text == "您好。要泵吗？"


async def test_speech_while_the_bot_talks_barges_in_and_stops_its_audio(
        demo_program, demo_slots, recorder, tiny_whisper, espeak, speech):
    call = voice_call(demo_program, demo_slots, recorder, tiny_whisper, espeak)
    await call.start()
    await asyncio.sleep(0.5)  # the greeting is several seconds long: it is still being sent
    for frame in frames(speech[:8000]):
        await call.audio_frame(frame)
        await asyncio.sleep(0.02)
    await asyncio.wait_for(call.settle(), 30)
    await call.stop()
    assert recorder.of("stop_audio") and recorder.of("barge_in")[0]["node"] == "need"
    (opening, opened), (barge, _) = recorder.turns[:2]
    assert barge.event == "barge_in" and barge.barge_in
    full = sum(len(c) for c in recorder.sound)
    assert opened["bot_audio_end"] - opened["bot_audio_start"] < 4.0  # cut short, not the whole greeting
    assert opened["bot_audio_end"] == pytest.approx(full / 32_000, abs=0.01)


async def test_a_node_without_barge_in_lets_the_bot_finish(demo_program, demo_slots, recorder, tiny_whisper,
                                                            espeak, speech, short_program):
    short_program["nodes"]["need"]["listen"]["barge_in"] = False
    call = voice_call(short_program, demo_slots, recorder, tiny_whisper, espeak)
    await call.start()
    for frame in frames(speech[:8000], silence_s=0.7):
        await call.audio_frame(frame)
    await asyncio.wait_for(call.settle(), 30)
    await call.stop()
    assert not recorder.of("barge_in") and not recorder.of("transcript")
    assert [r.event for r, _ in recorder.turns] == ["start"]


async def test_saying_nothing_times_out_into_a_silence_turn(short_program, demo_slots, recorder, tiny_whisper,
                                                             espeak):
    short_program["nodes"]["need"]["listen"]["silence_timeout_ms"] = 300
    call = voice_call(short_program, demo_slots, recorder, tiny_whisper, espeak, lead_s=60)
    await call.start()
    await call.settle()
    await asyncio.sleep(sum(len(c) for c in recorder.sound) / 32_000 + 0.6)
    await call.settle()
    await call.stop()
    silence, _ = recorder.turns[1]
    assert (silence.event, silence.silence, silence.node) == ("silence", True, "need")


@pytest.mark.parametrize("frame", [b"", b"\0" * 639, b"\0" * 1280, "text"])
async def test_a_frame_that_is_not_20_ms_of_pcm_is_refused(short_program, demo_slots, recorder, tiny_whisper,
                                                           espeak, frame):
    call = voice_call(short_program, demo_slots, recorder, tiny_whisper, espeak, lead_s=60)
    await call.start()
    with pytest.raises(CallError, match="640 bytes"):
        await call.audio_frame(frame)
    await call.stop()


async def test_a_call_dropped_before_the_bot_began_speaking_still_saves_that_turn(
        short_program, demo_slots, recorder, tiny_whisper, espeak):
    call = voice_call(short_program, demo_slots, recorder, tiny_whisper, espeak)
    await call.start()
    await call.stop()  # the greeting's speech task has not run a single step yet
    (opening, offsets), = recorder.turns
    assert opening.event == "start" and opening.bot_text == "您好。要泵吗？" and "total" in opening.latency_ms
    assert not recorder.sound


class CountingWhisper(WhisperEngine):
    """The real engine, noting each utterance it is asked to transcribe and the VAD events sent before that."""

    def __init__(self, model_dir, recorder) -> None:  # noqa: ANN001
        super().__init__(model_dir)
        self.recorder = recorder
        self.lengths: list[int] = []
        self.vad_before: list[list[str]] = []

    def transcribe_utterance(self, audio, **options):  # noqa: ANN001, ANN003
        self.lengths.append(len(audio))
        self.vad_before.append([e["speech"] for e in self.recorder.of("vad")])
        return super().transcribe_utterance(audio, **options)


def counting_call(program, slots, recorder, whisper, espeak) -> tuple[CallPipeline, CountingWhisper]:
    asr = CountingWhisper(whisper, recorder)
    return CallPipeline(CallSetup(program=program, slots=slots, asr=asr, tts=espeak, seed=1), recorder, voice=True,
                        lead_s=60), asr


async def test_the_words_are_transcribed_during_the_endpointers_wait_and_used(
        short_program, demo_slots, recorder, tiny_whisper, espeak, speech):
    call, asr = counting_call(short_program, demo_slots, recorder, tiny_whisper, espeak)
    await call.start()
    await call.settle()
    for frame in frames(speech, silence_s=1.0):
        await call.audio_frame(frame)
    await call.settle()
    await call.stop()
    # Transcribed once, before the end of speech was decided, and that transcription was the turn's.
    assert asr.vad_before == [["start"]]
    record, _ = recorder.turns[1]
    assert record.event == "user" and record.user_text == recorder.of("transcript")[0]["text"]


async def test_an_early_transcript_is_dropped_when_the_caller_speaks_on(
        short_program, demo_slots, recorder, tiny_whisper, espeak, speech):
    call, asr = counting_call(short_program, demo_slots, recorder, tiny_whisper, espeak)
    await call.start()
    await call.settle()
    loud = np.flatnonzero(np.abs(speech) > 0.02)
    words = speech[loud[0]:loud[-1] + 1]  # without espeak-ng's own leading and trailing silence
    pause = np.zeros(int(0.35 * 16_000), np.float32)  # long enough to start an early transcription, too short to end
    for frame in frames(np.concatenate([words, pause, words]), silence_s=1.0):
        await call.audio_frame(frame)
    await call.settle()
    await call.stop()
    assert [e["speech"] for e in recorder.of("vad")] == ["start", "end"]
    assert len(asr.lengths) == 2 and asr.lengths[1] > asr.lengths[0] + len(words) // 2  # the whole utterance


async def test_a_phone_line_call_in_8_khz_mulaw_is_heard_and_answered_in_its_own_format(
        short_program, demo_slots, recorder, tiny_whisper, espeak, speech):
    from scipy.signal import resample_poly

    from voice.telephone import LineFormat, mulaw_encode

    line = LineFormat("mulaw", 8000)
    call = voice_call(short_program, demo_slots, recorder, tiny_whisper, espeak, lead_s=60)
    call.setup.line = line
    call = CallPipeline(call.setup, recorder, voice=True, lead_s=60)
    await call.start()
    await call.settle()
    assert max(len(chunk) for chunk in recorder.sound) == 800  # 100 ms of 8 kHz μ-law at most
    sent_back = sum(len(chunk) for chunk in recorder.sound)  # a byte per 8 kHz sample for 2 bytes per 16 kHz one
    assert sent_back > 8000 and abs(sent_back - len(call.audio_tracks()[1]) / 4) <= 2
    with pytest.raises(CallError, match="160 bytes: 20 ms of 8 kHz μ-law"):
        await call.audio_frame(b"\0" * 640)  # a 16 kHz frame on an 8 kHz line
    phone = np.concatenate([resample_poly(speech, 1, 2), np.zeros(8000, np.float32)])
    sent = mulaw_encode(np.clip(phone * 32767, -32768, 32767).astype(np.int16))
    sent += b"\xff" * (-len(sent) % 160)
    for at in range(0, len(sent), 160):
        await call.audio_frame(sent[at:at + 160])
    await call.settle()
    await call.stop()
    assert [e["speech"] for e in recorder.of("vad")] == ["start", "end"]
    assert recorder.of("transcript")[0]["source"] == "asr"
    user, _ = call.audio_tracks()
    assert len(user) == len(sent) * 4  # kept as 16 kHz 16-bit PCM, twice the samples of the line


def test_the_end_of_speech_wait_follows_what_the_node_asks(demo_slots):
    from calls.call import endpoint_ms

    ask = lambda *slots: {"expected_slots": list(slots)}  # noqa: E731
    assert endpoint_ms(None, demo_slots, 500) == endpoint_ms({"expected_slots": []}, demo_slots, 500) == 500
    assert endpoint_ms(ask("扬程"), demo_slots, 500) == endpoint_ms(ask("产品型号", "数量"), demo_slots, 500) == 350
    assert endpoint_ms(ask("联系电话"), demo_slots, 500) == endpoint_ms(ask("扬程", "交付时间"), demo_slots, 500) == 800


async def test_a_voice_call_waits_longer_after_asking_a_phone_number_and_less_after_a_number(
        short_program, demo_slots, recorder, tiny_whisper, espeak):
    program = json.loads(json.dumps(short_program))
    program["nodes"]["greet"]["exits"]["next"] = "ask_phone"  # the call asks for a phone number, then for 扬程
    program["nodes"]["ask_phone"]["exits"]["filled"] = "ask_head"
    call = voice_call(program, demo_slots, recorder, tiny_whisper, espeak, lead_s=60)
    await call.start()
    assert call.dialogue.state["node"] == "ask_phone" and call.ears.detector.silence_ms == 800
    await call.user_text("幺三八幺二三四五六七八")
    await call.settle()
    assert call.dialogue.state["node"] == "ask_head" and call.ears.detector.silence_ms == 350
    await call.stop()
