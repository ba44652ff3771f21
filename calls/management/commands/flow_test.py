"""Run a bot's conversation tests from the command line (a team's own CI): exit status 1 when a test fails or is
stale."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from calls.calllog.conversation_tests import run_suite
from flows.models import FlowVersion
from nlu.management.commands._common import add_bot_arguments, get_bot


class Command(BaseCommand):
    help = "Run a bot's conversation tests against a published flow version and a model version."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):  # noqa: ANN201
        # `--version` is the flow version here: it replaces Django's (which prints Django's version).
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        add_bot_arguments(parser)
        parser.add_argument("--version", type=int, help="flow version number (default: the latest published)")
        parser.add_argument("--model", type=int, help="model version number (default: the active one)")
        parser.add_argument("--json", action="store_true", help="print n, passed, failed, stale and coverage as JSON")

    def handle(self, *args, slug: str, workspace: str | None, version: int | None, model: int | None,
               json: bool, **options) -> None:
        bot = get_bot(slug, workspace)
        flow_version = model_version = None
        if version is not None and not (flow_version := FlowVersion.objects.filter(flow__bot=bot,
                                                                                   number=version).first()):
            raise CommandError(f"{bot.slug} has no flow version {version}")
        if model is not None and not (model_version := bot.model_versions.filter(number=model).first()):
            raise CommandError(f"{bot.slug} has no model version {model}")
        try:
            run = run_suite(bot, flow_version=flow_version, model_version=model_version)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        summary = {"n": len(run.results), "passed": run.passed, "failed": run.failed, "stale": run.stale,
                   "node_coverage": run.coverage["node_coverage"], "edge_coverage": run.coverage["edge_coverage"]}
        if json:
            self.stdout.write(_dumps({**summary, "results": run.results}))
        else:
            for result in run.results:
                mark = "PASS" if result["passed"] else "STALE" if result["stale"] else "FAIL"
                self.stdout.write(f"{mark}  {result['name']}")
                for d in result["differences"]:
                    self.stdout.write(f"      turn {d['turn'] or 'end'} {d['field']}: expected {d['expected']!r}, "
                                      f"got {d['got']!r}")
            self.stdout.write(_dumps(summary))
        if run.failed or run.stale:
            raise SystemExit(1)


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)
