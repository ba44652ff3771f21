"""`manage.py bot_create SLUG [--workspace NAME]`: create a bot for scripts and benchmarks (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from nlu import services


class Command(BaseCommand):
    help = "Create a bot (and its workspace) for command-line training and evaluation."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("slug")
        parser.add_argument("--workspace", default=services.CLI_WORKSPACE, help="workspace name (created if missing)")

    def handle(self, *args, slug: str, workspace: str, **options) -> None:  # noqa: ANN002, ANN003
        bot, created = services.do_create_cli_bot(slug, workspace)
        verb = "created" if created else "exists"
        self.stdout.write(f"bot {bot.slug} {verb} in workspace “{bot.workspace.name}” ({bot.workspace.slug})")
