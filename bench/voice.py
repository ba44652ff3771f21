"""Voice benchmark: Whisper base CER/RTF on shared/data/speech/zh_dev (never copied into the repo) and TTS speed.

Prints one JSON object. Parts (select with --only, repeatable):
- asr: CER per subset and overall with the product's decoding per dialect (voice.asr.DIALECTS) and with plain
  faster-whisper (int8, beam 5, VAD, no prompt) in the same run, as a ratio per subset (target: Mandarin ≤ 0.8×
  plain); with sales hot words; as a phone line's call hears it (sox: 300–3400 Hz at 8 kHz, then G.711 μ-law
  through the live call's own conversion to 16 kHz, voice.telephone); RTF of each batch run (target ≤ 0.25).
- terms: product-term accuracy — the demo bot's product names, models and slot words in caller utterances written for
  it (bench/data/product_terms.json), spoken by espeak-ng `cmn-latn-pinyin`, by a second voice made from it with sox
  (lower pitch, faster) and by the default Mandarin voice (voice.baker), transcribed as a live call does (the node's
  hot words and the values of the choice slots it asks for, then the bot's lexicon correction): the share of terms
  transcribed exactly before and after the correction (target ≥ 0.9 after). `--terms
  bench/data/product_terms_dev.json` runs other sentences of the same kind, on which choices are made.
- tts: time to first audio and RTF per engine (espeak-ng Mandarin and Cantonese, the default Mandarin voice; coqui-tts
  on TTS_MODEL when set, else a full-size VITS with random weights, which measures speed only: its speech is noise of
  arbitrary length).
- voices: intelligibility of the bot's voice — every fixed script of the demo flow synthesised by each Mandarin engine
  (espeak-ng `cmn-latn-pinyin`; the default voice, voice.baker, prepared in the data folder) and transcribed by the
  product's Whisper as a Mandarin caller's words: CER per engine (target ≤ 0.25 for the default voice), time to
  first audio and RTF.

    nice .venv/bin/python bench/voice.py --only asr
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ctranslate2  # noqa: E402
import numpy as np  # noqa: E402

from voice.asr import DIALECTS, WhisperEngine, resolve_asr_model  # noqa: E402
from voice.asr_eval import evaluate_tsv  # noqa: E402
from voice.audio import parse_wav, pcm16_to_float, resample, wav_bytes  # noqa: E402
from voice.telephone import LineCodec, LineFormat, mulaw_encode  # noqa: E402
from voice.tts import EspeakEngine, TtsEngine, speech_pieces, split_sentences  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "speech" / "zh_dev" / "transcripts.tsv"
PARTS = ("asr", "terms", "tts", "voices")
TERMS = ROOT / "bench" / "data" / "product_terms.json"
# Who says the utterances: espeak-ng, a second voice made from it with sox effects, and the default Mandarin voice.
SPEAKERS = {"espeak": [], "espeak_low_fast": ["pitch", "-300", "tempo", "1.15"], "baker": []}
SALES_HOT_WORDS = ("工业泵", "离心泵", "扬程", "流量", "报价", "现货", "售后", "物流", "转人工")
SCRIPTS = (
    "您好，我是华东工业泵的销售顾问小王。请问您现在方便说话吗？",
    "我们这款离心泵扬程五十米，流量每小时二十立方。价格是两万五千元，本月下单还送安装调试。",
    "好的，我稍后把报价发到您的手机上。感谢您的接听，再见！",
)


def log(*args: Any) -> None:
    print(*args, file=sys.stderr, flush=True)


def telephone_band(path: Path) -> Any:
    """`path` as a live call from a phone line hears it: a 300–3400 Hz channel at 8 kHz (sox), G.711 μ-law, then the
    call's own conversion to 16 kHz (voice.telephone), 20 ms frame by frame."""
    with tempfile.TemporaryDirectory() as folder:
        narrow = Path(folder) / "phone.wav"
        subprocess.run(["sox", str(path), "-r", "8000", "-c", "1", "-b", "16", "-t", "wav", str(narrow),
                        "sinc", "300-3400"], check=True, capture_output=True)
        pcm, _ = parse_wav(narrow.read_bytes())
    line = LineFormat("mulaw", 8000)
    sent, codec = mulaw_encode(np.frombuffer(pcm, dtype="<i2")), LineCodec(line)
    size = line.frame_bytes
    return pcm16_to_float(b"".join(codec.to_pipeline(sent[i:i + size]) for i in range(0, len(sent), size)))


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """The figures of an evaluate_tsv result, plus CER without the Wu clips (beyond Whisper base)."""
    kept = [item for item in result["items"] if item["subset"] != "wu"]
    out = {key: result[key] for key in ("n", "cer", "cer_by_subset", "rtf", "seconds_audio", "seconds_processing")}
    out["cer_without_wu"] = round(_weighted_cer(kept), 4)
    mandarin = [item for item in result["items"] if item["subset"].startswith("mandarin")]
    out["cer_mandarin"] = round(_weighted_cer(mandarin), 4)
    return out


def _weighted_cer(items: list[dict[str, Any]]) -> float:
    from voice.cer import edit_distance, normalize

    edits = chars = 0
    for item in items:
        ref = normalize(item["reference"])
        edits += edit_distance(ref, normalize(item["hypothesis"]))
        chars += len(ref)
    return edits / chars if chars else 0.0


def bench_asr(table: Path, model_dir: Path, runs: list[str]) -> dict[str, Any]:
    """CER per subset of each run; `product` is what transcription and live calls use (voice.asr.DIALECTS), `plain`
    is faster-whisper as it comes (int8, beam 5, VAD, no prompt), and `ratio_to_plain` compares the two per subset."""
    configs = {
        "product": (dict(), (), None),
        "plain": (dict(use_prompt=False, compute_type="int8"), (), None),
        "product_hot_words": (dict(), SALES_HOT_WORDS, None),
        "telephone_product": (dict(), (), telephone_band),
        "telephone_plain": (dict(use_prompt=False, compute_type="int8"), (), telephone_band),
    }
    out: dict[str, Any] = {"model": str(model_dir), "hot_words": list(SALES_HOT_WORDS),
                           "dialects": {name: asdict(options) for name, options in DIALECTS.items()}}
    for name in runs:
        options, hot_words, load = configs[name]
        log(f"asr: {name} …")
        ctranslate2.set_random_seed(0)  # the temperature fallback samples: same seed, comparable runs
        result = evaluate_tsv(table, WhisperEngine(model_dir, **options), hot_words=hot_words, load=load)
        out[name] = summary(result)
        log(f"asr: {name} cer={result['cer']} rtf={result['rtf']}")
    if "product" in out and "plain" in out:
        product, plain = out["product"], out["plain"]
        out["ratio_to_plain"] = {
            key: round(product[key] / plain[key], 3) if plain[key] else None
            for key in ("cer", "cer_without_wu", "cer_mandarin")
        } | {subset: round(cer / plain["cer_by_subset"][subset], 3) if plain["cer_by_subset"][subset] else None
             for subset, cer in product["cer_by_subset"].items()}
    return out


def demo_program() -> tuple[dict, dict[str, dict]]:
    """The demo flow compiled as it is published, and its slots."""
    from flows.compiler import compile_flow

    nlu = json.loads((ROOT / "flows" / "demo" / "nlu.json").read_text(encoding="utf-8"))
    graph = json.loads((ROOT / "flows" / "demo" / "flow.json").read_text(encoding="utf-8"))
    program = compile_flow(graph, {"intents": nlu["intents"], "slots": nlu["slots"]}).program
    return program, {slot["name"]: slot for slot in nlu["slots"]}


def speak(engine: TtsEngine, text: str, effects: list[str]) -> Any:
    """`text` by `engine`'s Mandarin voice, through sox `effects` when given, as 16 kHz float samples."""
    pcm, rate = engine.synthesize_sentence(text, voice=None, rate=None, pitch=None)
    if effects:
        with tempfile.TemporaryDirectory() as folder:
            source, changed = Path(folder) / "a.wav", Path(folder) / "b.wav"
            source.write_bytes(wav_bytes(pcm, rate))
            subprocess.run(["sox", str(source), str(changed), *effects], check=True, capture_output=True)
            pcm, rate = parse_wav(changed.read_bytes())
    return resample(pcm16_to_float(pcm), rate, 16_000)


def baker_voice(data_dir: Path) -> TtsEngine:
    """The default Mandarin voice, prepared in the data folder as `manage.py prepare_models` does."""
    from voice.baker import BakerVoice, data_folder_paths, prepare_baker_voice

    return BakerVoice(prepare_baker_voice(*data_folder_paths(data_dir), log=log))


def bench_terms(model_dir: Path, data_dir: Path, table: Path) -> dict[str, Any]:
    from calls.call import program_corrector
    from calls.dialogue import listening_words
    from voice.endpointing import words_of

    program, slots = demo_program()
    corrector, engine, espeak = program_corrector(slots, program), WhisperEngine(model_dir), EspeakEngine()
    voices = {"espeak": espeak, "espeak_low_fast": espeak, "baker": baker_voice(data_dir)}
    items = json.loads(table.read_text(encoding="utf-8"))["items"]
    compact = lambda text: "".join(text.split()).upper()  # noqa: E731 — isg and ISG are the same model
    out: dict[str, Any] = {"utterances": len(items), "terms": sum(len(item["terms"]) for item in items)}
    for speaker, effects in SPEAKERS.items():
        voice = voices[speaker]
        before = after = 0
        misses = []
        for item in items:
            node = program["nodes"][item["node"]]  # the call rests there with the node's slots still to fill
            hot_words = listening_words({**node["listen"], "expected_slots": node.get("slots", [])}, slots)
            transcript = engine.transcribe_utterance(speak(voice, item["text"], effects), hot_words=hot_words,
                                                     dialect="mandarin")
            corrected, raw, _ = words_of(transcript, corrector)
            before += sum(compact(term) in compact(raw) for term in item["terms"])
            found = sum(compact(term) in compact(corrected) for term in item["terms"])
            after += found
            if found < len(item["terms"]):
                misses.append({"said": item["text"], "heard": raw, "corrected": corrected})
        out[speaker] = {"before_correction": round(before / out["terms"], 3),
                        "after_correction": round(after / out["terms"], 3), "misses": misses[:20]}
        log(f"terms: {speaker} before={out[speaker]['before_correction']} after={out[speaker]['after_correction']}")
    return out


def time_engine(engine: TtsEngine, voice: str | None) -> dict[str, Any]:
    """Time to first audio as a live call gets it (its first piece: the first clause, `voice.tts.speech_pieces`) and
    as it was before (the whole first sentence), and RTF over SCRIPTS."""
    first_audio, first_sentence, synth_seconds, audio_seconds = [], [], 0.0, 0.0
    engine.synthesize_sentence("您好。", voice=voice, rate=None, pitch=None)  # warm-up: first runs allocate
    for text in SCRIPTS:
        for index, piece in enumerate(speech_pieces(text)):
            started = time.perf_counter()
            pcm, rate = engine.synthesize_sentence(piece, voice=voice, rate=None, pitch=None)
            synth_seconds += time.perf_counter() - started
            audio_seconds += len(pcm) / 2 / rate
            if index == 0:
                first_audio.append(time.perf_counter() - started)
        started = time.perf_counter()
        engine.synthesize_sentence(split_sentences(text)[0], voice=voice, rate=None, pitch=None)
        first_sentence.append(time.perf_counter() - started)
    return {"first_audio_ms": [round(1000 * s, 1) for s in first_audio],
            "first_audio_ms_mean": round(1000 * sum(first_audio) / len(first_audio), 1),
            "whole_first_sentence_ms_mean": round(1000 * sum(first_sentence) / len(first_sentence), 1),
            "rtf": round(synth_seconds / audio_seconds, 4), "seconds_audio": round(audio_seconds, 2)}


def random_vits(dest: Path) -> Path:
    """A VITS with coqui's default (full) dimensions and random weights, espeak phonemes, 22.05 kHz."""
    from voice.coqui import install_torchaudio_placeholders

    install_torchaudio_placeholders()
    import torch
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs

    torch.manual_seed(0)
    config = VitsConfig(model_args=VitsArgs(init_discriminator=False), use_phonemes=True, phonemizer="espeak",
                        phoneme_language="cmn-latn-pinyin", text_cleaner="multilingual_cleaners")
    model = Vits.init_from_config(config)
    torch.save({"model": model.state_dict()}, dest / "model.pth")
    config.save_json(str(dest / "config.json"))
    return dest


def bench_tts(data_dir: Path) -> dict[str, Any]:
    espeak = EspeakEngine()
    out: dict[str, Any] = {"espeak_mandarin": time_engine(espeak, "mandarin"),
                           "espeak_cantonese": time_engine(espeak, "cantonese"),
                           "baker": time_engine(baker_voice(data_dir), "mandarin")}
    from voice.coqui import CoquiEngine

    with tempfile.TemporaryDirectory() as folder:
        configured = os.environ.get("TTS_MODEL")
        model_dir = Path(configured) if configured else random_vits(Path(folder))
        started = time.perf_counter()
        engine = CoquiEngine(model_dir)
        load_seconds = time.perf_counter() - started
        out["coqui"] = time_engine(engine, None) | {
            "load_seconds": round(load_seconds, 2),
            "model": configured or "VITS default dimensions, random weights (speed only)",
        }
    return out


def bench_voices(model_dir: Path, data_dir: Path) -> dict[str, Any]:
    from voice.cer import corpus_cer
    from voice.tts import fixed_texts

    scripts = fixed_texts(demo_program()[0])
    whisper = WhisperEngine(model_dir)
    baker = baker_voice(data_dir)
    out: dict[str, Any] = {"scripts": len(scripts)}
    for name, engine, voice in (("espeak_mandarin", EspeakEngine(), "mandarin"), ("baker", baker, "mandarin")):
        pairs = []
        for text in scripts:
            chunks = list(engine.synthesize(text, voice=voice))
            audio = resample(pcm16_to_float(b"".join(c.pcm for c in chunks)), chunks[0].sample_rate, 16_000)
            pairs.append((text, whisper.transcribe(audio, dialect="mandarin").text))
        out[name] = {"cer": round(corpus_cer(pairs), 3), **time_engine(engine, voice),
                     "examples": [{"script": ref, "heard": hyp} for ref, hyp in pairs[:3]]}
        log(f"voices: {name} CER {out[name]['cer']}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=DATA)
    parser.add_argument("--only", action="append", choices=PARTS)
    parser.add_argument("--terms", type=Path, default=TERMS, help="the caller utterances of the terms part")
    parser.add_argument("--runs", nargs="+", default=["product", "plain", "product_hot_words", "telephone_product",
                                                      "telephone_plain"])
    args = parser.parse_args()
    parts = args.only or list(PARTS)
    data_dir = Path(os.environ.get("SALESSTUDIO_DATA_DIR", ROOT / "var"))
    report: dict[str, Any] = {"cpu_count": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}
    if "asr" in parts:
        model_dir = resolve_asr_model(os.environ.get("ASR_MODEL"), data_dir)
        report["asr"] = bench_asr(args.table, model_dir, args.runs)
    if "terms" in parts:
        report["terms"] = bench_terms(resolve_asr_model(os.environ.get("ASR_MODEL"), data_dir), data_dir, args.terms)
    if "tts" in parts:
        report["tts"] = bench_tts(data_dir)
    if "voices" in parts:
        report["voices"] = bench_voices(resolve_asr_model(os.environ.get("ASR_MODEL"), data_dir), data_dir)
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
