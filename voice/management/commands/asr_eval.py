"""`manage.py asr_eval --tsv FILE.tsv [--json]`: CER and real-time factor of the configured ASR model on a table."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from voice import asr, engines
from voice.asr_eval import evaluate_tsv
from voice.audio import AudioError

SUMMARY = ("n", "cer", "cer_by_subset", "rtf", "seconds_audio")


class Command(BaseCommand):
    help = "Transcribe every clip of a TSV (file<TAB>text[<TAB>subset]) and report CER and RTF."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tsv", required=True, help="table with a header naming the columns file and text")
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
        parser.add_argument("--model", default="", help="CTranslate2 Whisper folder (default: the ASR_MODEL setting)")
        parser.add_argument("--hot-word", action="append", default=[], dest="hot_words")

    def handle(self, *args: object, **options: object) -> None:
        try:
            engine = engines.asr_engine(options["model"])
            report = evaluate_tsv(options["tsv"], engine, hot_words=options["hot_words"])
        except (OSError, ValueError, AudioError, asr.AsrError) as exc:
            raise CommandError(str(exc)) from exc
        summary = {key: report[key] for key in SUMMARY}
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        self.stdout.write(f"{summary['n']} clips, {summary['seconds_audio']} s of audio")
        self.stdout.write(f"CER {summary['cer']:.2%}  RTF {summary['rtf']:.3f}")
        for subset, cer in summary["cer_by_subset"].items():
            self.stdout.write(f"  {subset}: CER {cer:.2%}")
