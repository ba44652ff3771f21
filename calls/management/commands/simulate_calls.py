"""`simulate_calls SLUG --calls N [--version V]`: log N synthetic calls of a bot's published flow."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from calls.calllog.bulk import simulate_calls
from nlu.management.commands._common import add_bot_arguments, get_bot


class Command(BaseCommand):
    help = "Run a bot's compiled flow with a scripted synthetic customer and log the calls as channel “simulated”."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):  # noqa: ANN201
        # --version names the flow version here, replacing Django's own --version (which prints Django's version).
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        add_bot_arguments(parser)
        parser.add_argument("--calls", type=int, default=100, help="how many calls (default 100)")
        parser.add_argument("--version", type=int, default=None, help="flow version number (default: the latest)")
        parser.add_argument("--days", type=int, default=14, help="spread the start times over the last N days")
        parser.add_argument("--seed", type=int, default=0, help="random seed (the same seed gives the same calls)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the bot already has calls")

    def handle(self, *args, **options) -> None:
        bot = get_bot(options["slug"], options["workspace"])
        if options["calls"] < 1 or options["days"] < 1:
            raise CommandError("--calls and --days must be at least 1")
        if options["if_empty"] and bot.calls.exists():
            self.stdout.write(f"{bot.name} already has calls; nothing simulated.")
            return
        try:
            written = simulate_calls(bot, options["calls"], version=options["version"], days=options["days"],
                                     seed=options["seed"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Logged {written} simulated calls of {bot.name}."))
