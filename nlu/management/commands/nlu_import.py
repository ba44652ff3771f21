"""`manage.py nlu_import SLUG --examples FILE.jsonl|.csv` or `--dialogues FILE.jsonl` (CrossWOZ DST format).

Intents and slots missing from the bot are created from the data. Rows with errors or conflicting labels are
listed on stderr and skipped; `--strict` imports nothing when there are any.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from nlu import importing, services
from nlu.management.commands._common import add_bot_arguments, get_bot, read_file


class Command(BaseCommand):
    help = "Import training examples or dialogues into a bot."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        add_bot_arguments(parser)
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--examples", help="JSONL ({text, intent, slots}) or CSV file")
        source.add_argument("--dialogues", help="JSONL file of dialogues with turns (CrossWOZ DST format)")
        parser.add_argument("--strict", action="store_true", help="import nothing if any row has a problem")

    def handle(self, *args, slug: str, workspace: str | None,  # noqa: ANN002
               examples: str | None, dialogues: str | None,
               strict: bool, **options) -> None:  # noqa: ANN003
        bot = get_bot(slug, workspace)
        try:
            parsed = self._parse(bot, examples, dialogues)
        except importing.ImportFileError as exc:
            raise CommandError(str(exc)) from None
        problems = sorted(parsed.errors + parsed.conflicts)
        for line, message in problems[:50]:
            self.stderr.write(f"line {line}: {message}")
        if len(problems) > 50:
            self.stderr.write(f"… and {len(problems) - 50} more")
        if strict and problems:
            raise CommandError(f"{len(problems)} rows have problems: nothing imported")
        counts = services.do_import_rows(bot, None, parsed.rows)
        self.stdout.write(f"imported {counts['examples']} examples ({counts['intents']} new intents, "
                          f"{counts['slots']} new slots); {parsed.duplicates} duplicates merged, "
                          f"{len(problems)} rows skipped")

    def _parse(self, bot, examples: str | None, dialogues: str | None) -> importing.Parsed:  # noqa: ANN001
        if examples:
            return importing.parse_upload(read_file(examples), examples, slots=services.slot_definitions(bot))
        turns, errors = importing.parse_dialogues(importing.decode(read_file(dialogues)))
        parsed = importing.dialogue_rows(turns)
        parsed.errors += errors
        return parsed
