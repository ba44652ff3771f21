"""evaluate_tsv: the core of the asr_eval command, on a small table scored with a scripted engine."""

from __future__ import annotations

import numpy as np
import pytest

from voice.asr import AsrEngine, Segment, Transcript, WhisperEngine
from voice.asr_eval import dialect_of, evaluate_tsv
from voice.audio import write_wav


class ScriptedEngine(AsrEngine):
    """Answers from a fixed list, records the dialect and hot words it was asked for."""

    def __init__(self, answers):
        self.answers, self.calls = list(answers), []

    def transcribe(self, audio, *, hot_words=(), dialect="mandarin", progress=None):
        self.calls.append((dialect, tuple(hot_words)))
        return Transcript(segments=[Segment(0.0, 1.0, self.answers.pop(0), 0.9)], duration=len(audio) / 16_000)


@pytest.fixture
def table(tmp_path):
    (tmp_path / "audio").mkdir()
    rows = ["file\ttext\tsubset"]
    for index, (text, subset) in enumerate([("你好", "mandarin_read"), ("扬程五十米", "mandarin_read"),
                                            ("有嘢食", "cantonese")]):
        write_wav(tmp_path / "audio" / f"{index}.wav", np.zeros(16_000, dtype=np.float32), 16_000)
        rows.append(f"audio/{index}.wav\t{text}\t{subset}")
    path = tmp_path / "transcripts.tsv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_scores_overall_and_per_subset(table):
    engine = ScriptedEngine(["你好。", "扬程50米", "有嘢"])
    result = evaluate_tsv(table, engine, hot_words=["扬程"])
    assert result["n"] == 3
    assert result["cer_by_subset"] == {"cantonese": pytest.approx(1 / 3, abs=1e-4), "mandarin_read": 0.0}
    assert result["cer"] == pytest.approx(1 / 10, abs=1e-4)
    assert result["seconds_audio"] == 3.0 and result["rtf"] >= 0
    assert engine.calls == [("mandarin", ("扬程",)), ("mandarin", ("扬程",)), ("cantonese", ("扬程",))]
    assert result["items"][1]["hypothesis"] == "扬程50米" and result["items"][1]["cer"] == 0.0


def test_subset_filter_and_custom_loader(table):
    loaded = []

    def load(path):
        loaded.append(path.name)
        return np.zeros(8000, dtype=np.float32)

    result = evaluate_tsv(table, ScriptedEngine(["有嘢食"]), load=load, subsets=["cantonese"])
    assert (result["n"], result["cer"], result["seconds_audio"], loaded) == (1, 0.0, 0.5, ["2.wav"])


def test_table_without_text_column_is_refused(tmp_path):
    (tmp_path / "t.tsv").write_text("file\tsentence\na.wav\t你好\n", encoding="utf-8")
    with pytest.raises(ValueError, match="file and text"):
        evaluate_tsv(tmp_path / "t.tsv", ScriptedEngine([]))


def test_runs_with_the_real_whisper_engine(table, tiny_whisper):
    result = evaluate_tsv(table, WhisperEngine(tiny_whisper, beam_size=1), subsets=["cantonese"])
    assert result["n"] == 1 and result["cer"] >= 0.0


@pytest.mark.parametrize(("subset", "dialect"), [("cantonese", "cantonese"), ("sichuanese", "sichuanese"),
                                                 ("mandarin_read", "mandarin"), ("wu", "mandarin")])
def test_dialect_of(subset, dialect):
    assert dialect_of(subset) == dialect
