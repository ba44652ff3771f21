"""`manage.py asr_eval --tsv FILE --json`: one JSON object with the core's summary of an evaluation table."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command


def test_prints_one_json_summary(tiny_asr_model, audio, tmp_path, settings):
    (tmp_path / "a.wav").write_bytes(audio["mono.wav"])
    (tmp_path / "b.mp3").write_bytes(audio["call.mp3"])
    table = tmp_path / "clips.tsv"
    table.write_text("file\ttext\tsubset\na.wav\t我想问一下离心泵多少钱\tmandarin\nb.mp3\t离心泵多少钱\tsichuanese_test\n",
                     encoding="utf-8")
    settings.ASR_MODEL = str(tiny_asr_model)
    out = io.StringIO()
    call_command("asr_eval", "--tsv", str(table), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert set(report) == {"n", "cer", "cer_by_subset", "rtf", "seconds_audio"}
    assert report["n"] == 2 and set(report["cer_by_subset"]) == {"mandarin", "sichuanese_test"}
    assert report["seconds_audio"] > 5 and report["rtf"] > 0 and report["cer"] >= 0


def test_bad_table_is_a_command_error(tiny_asr_model, tmp_path, settings):
    table = tmp_path / "bad.tsv"
    table.write_text("path\tsentence\nx.wav\t你好\n", encoding="utf-8")
    settings.ASR_MODEL = str(tiny_asr_model)
    with pytest.raises(CommandError, match="file and text"):
        call_command("asr_eval", "--tsv", str(table), "--json")
