"""TTS interface: sentence splitting, espeak-ng output, streaming by sentence, the file cache."""

from __future__ import annotations

import pytest

from voice.engines import load_tts_engine
from voice.tts import (
    AudioChunk,
    EspeakEngine,
    TtsCache,
    TtsEngine,
    TtsError,
    fixed_texts,
    presynthesize,
    speech_pieces,
    split_sentences,
)

PITCH = "您好，我是工业泵销售顾问。请问您需要多大扬程的泵？我们这个月有优惠！"


@pytest.mark.parametrize(("text", "expected"), [
    ("您好。再见！", ["您好。", "再见！"]),
    ("您好，请问是王先生吗？是的。", ["您好，请问是王先生吗？", "是的。"]),
    ("第一句\n第二句", ["第一句", "第二句"]),
    ("没有标点", ["没有标点"]),
    ("。。！", []),
    ("", []),
    ("Hello! OK?", ["Hello!", "OK?"]),
    ("价格是2.5万。", ["价格是2.5万。"]),  # a full stop between digits is a decimal point
])
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("好的，扬程五十米的泵有现货。请问流量多少？", ["好的，", "扬程五十米的泵有现货。", "请问流量多少？"]),
    ("您好。再见！", ["您好。", "再见！"]),
    ("，好的。", ["，好的。"]),
    ("好的，。", ["好的，。"]),
    ("", []),
])
def test_a_call_speaks_its_first_clause_on_its_own_to_start_sooner(text, expected):
    assert speech_pieces(text) == expected


def test_long_sentences_are_split_at_commas():
    text = "我们的工业泵扬程五十米，流量每小时二十立方，价格两万五千元，本月下单还送安装调试服务。"
    pieces = split_sentences(text, max_chars=20)
    assert len(pieces) == 4 and "".join(pieces) == text


def test_espeak_mandarin_is_pcm_of_plausible_length(espeak):
    pcm, rate = espeak.synthesize_sentence("您好，我是工业泵销售顾问。", voice=None, rate=None, pitch=None)
    seconds = len(pcm) / 2 / rate
    assert rate == 22050 and len(pcm) % 2 == 0
    assert 1.5 < seconds < 6.0  # 13 syllables at a normal pace


def test_espeak_cantonese_voice(espeak):
    pcm, _ = espeak.synthesize_sentence("你好，我係銷售顧問。", voice="cantonese", rate=None, pitch=None)
    assert len(pcm) > 22050


def test_rate_shortens_speech(espeak):
    slow, _ = espeak.synthesize_sentence("请问您需要多大扬程的泵", voice=None, rate=0.7, pitch=None)
    fast, _ = espeak.synthesize_sentence("请问您需要多大扬程的泵", voice=None, rate=1.6, pitch=None)
    assert len(fast) < 0.75 * len(slow)


def test_dialect_names_map_to_espeak_voices():
    engine = EspeakEngine()
    assert engine.command("mandarin", None, None)[:3] == ["espeak-ng", "-v", "cmn-latn-pinyin"]
    assert engine.command("cantonese", 2.0, 1.0)[1:7] == ["-v", "yue", "-s", "350", "-p", "99"]


def test_synthesis_streams_one_chunk_per_sentence(espeak):
    stream = espeak.synthesize(PITCH)
    first = next(stream)  # playback can start here, before the other sentences are synthesised
    assert isinstance(first, AudioChunk) and first.text == "您好，我是工业泵销售顾问。"
    rest = list(stream)
    assert [chunk.text for chunk in rest] == ["请问您需要多大扬程的泵？", "我们这个月有优惠！"]
    assert all(chunk.duration > 0.5 for chunk in [first, *rest])


def test_unknown_voice_is_a_permanent_error(espeak):
    with pytest.raises(TtsError) as error:
        espeak.synthesize_sentence("你好", voice="no-such-voice", rate=None, pitch=None)
    assert error.value.permanent


def test_missing_binary_is_a_permanent_error():
    with pytest.raises(TtsError, match="not installed"):
        list(EspeakEngine(binary="/nonexistent/espeak-ng").synthesize("你好。"))


class CountingEngine(TtsEngine):
    name = "counting"

    def __init__(self):
        self.calls = 0

    def synthesize_sentence(self, text, *, voice, rate, pitch):
        self.calls += 1
        return b"\x01\x00" * 160 * len(text), 16_000


def test_cache_synthesises_once(tmp_path):
    engine, cache = CountingEngine(), TtsCache(tmp_path)
    first = cache.get_or_synthesize(engine, "您好。再见。")
    second = cache.get_or_synthesize(engine, "您好。再见。")
    assert first == second == (b"\x01\x00" * 160 * 6, 16_000)
    assert engine.calls == 2  # two sentences, synthesised on the first call only


def test_cache_keys_on_voice_and_engine(tmp_path):
    cache = TtsCache(tmp_path)
    assert cache.path_for(CountingEngine(), "您好", "a") != cache.path_for(CountingEngine(), "您好", "b")
    assert cache.path_for(EspeakEngine(), "您好", None) == cache.path_for(EspeakEngine(), "您好", "mandarin")


def test_damaged_cache_entry_is_resynthesised(tmp_path):
    engine, cache = CountingEngine(), TtsCache(tmp_path)
    cache.get_or_synthesize(engine, "您好")
    cache.path_for(engine, "您好", None).write_bytes(b"garbage")
    assert cache.get_or_synthesize(engine, "您好")[1] == 16_000
    assert engine.calls == 2


def test_cache_refuses_text_without_speech(tmp_path):
    with pytest.raises(TtsError):
        TtsCache(tmp_path).get_or_synthesize(CountingEngine(), "。。")


def test_factory():
    assert isinstance(load_tts_engine("espeak"), EspeakEngine)
    with pytest.raises(TtsError, match="unknown TTS engine"):
        load_tts_engine("festival")


PROGRAM = {"format": 1, "start": "n1", "nodes": {
    "n1": {"id": "n1", "kind": "start", "exits": {"next": "n2"}},
    "n2": {"id": "n2", "kind": "say", "texts": ["您好，这里是鑫源泵业。请问您方便吗？", "您好！"], "exits": {"next": "n3"}},
    "n3": {"id": "n3", "kind": "ask", "slots": ["扬程"], "prompts": ["请问需要多大扬程？"],
           "reprompts": ["您刚才说{扬程}米吗？", "请再说一遍扬程。"], "exits": {}},
    "n4": {"id": "n4", "kind": "end", "texts": ["好的，{ 扬程 }米的泵报价稍后发您。", "您好！"], "outcome": "意向",
           "exits": {}},
}}


def test_fixed_texts_are_the_scripts_without_slot_placeholders():
    assert fixed_texts(PROGRAM) == ["您好，这里是鑫源泵业。请问您方便吗？", "您好！", "请问需要多大扬程？",
                                    "请再说一遍扬程。"]


def test_presynthesis_caches_each_sentence_as_a_call_asks_for_it(espeak, tmp_path):
    cache = TtsCache(tmp_path)
    done = presynthesize(espeak, cache, fixed_texts(PROGRAM), "cantonese")
    assert (done.synthesised, done.cached, done.failed) == (6, 0, ())
    for sentence in ("您好，", "这里是鑫源泵业。", "请问您方便吗？", "您好！", "请问需要多大扬程？", "请再说一遍扬程。"):
        assert cache.path_for(espeak, sentence, "yue").is_file()  # the voice as the pipeline names it, or not
    assert not cache.path_for(espeak, "请问您方便吗？", "mandarin").is_file()
    again = presynthesize(espeak, cache, fixed_texts(PROGRAM), "cantonese")
    assert (again.synthesised, again.cached) == (0, 6)


def test_a_failing_sentence_is_reported_and_the_others_go_on(tmp_path):
    class Picky(CountingEngine):
        def synthesize_sentence(self, text, *, voice, rate, pitch):
            if "扬程" in text:
                raise TtsError("no voice for that")
            return super().synthesize_sentence(text, voice=voice, rate=rate, pitch=pitch)

    done = presynthesize(Picky(), TtsCache(tmp_path), fixed_texts(PROGRAM))
    assert done.synthesised == 4 and [text for text, _ in done.failed] == ["请问需要多大扬程？", "请再说一遍扬程。"]
