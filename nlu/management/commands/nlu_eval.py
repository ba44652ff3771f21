"""`manage.py nlu_eval SLUG --examples FILE.jsonl [--json]` or `--dialogues FILE.jsonl [--json]`.

Evaluates the bot's active model version and prints `n`, `accuracy`, `macro_f1`, `slot_f1` (and for dialogues
`joint_goal_accuracy`) as one JSON object with `--json`, or as lines of text. Unreadable rows are skipped and counted.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from nlu import importing, services
from nlu.management.commands._common import add_bot_arguments, get_bot, read_file


class Command(BaseCommand):
    help = "Evaluate the bot's active NLU model on a file of examples or dialogues."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        add_bot_arguments(parser)
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--examples")
        source.add_argument("--dialogues")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, slug: str, workspace: str | None,  # noqa: ANN002
               examples: str | None, dialogues: str | None,
               **options) -> None:  # noqa: ANN003
        bot = get_bot(slug, workspace)
        try:
            runtime = services.get_bot_runtime(bot)
            result = self._evaluate(bot, runtime, examples, dialogues)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except importing.ImportFileError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write("\n".join(f"{k}: {v}" for k, v in result.items()))

    def _evaluate(self, bot, runtime, examples: str | None, dialogues: str | None) -> dict:  # noqa: ANN001
        if examples:
            parsed = importing.parse_upload(read_file(examples), examples, slots=services.slot_definitions(bot))
            rows = [r.as_example() for r in parsed.rows]
            return {**services.evaluate_examples(bot, runtime, rows), "skipped": len(parsed.errors) + len(parsed.conflicts)}
        turns, errors = importing.parse_dialogues(importing.decode(read_file(dialogues)))
        return {**services.evaluate_dialogues(bot, runtime, turns), "skipped": len(errors)}
