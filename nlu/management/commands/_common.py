"""Shared helpers of the NLU management commands."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from nlu import services
from salesstudio.models import Bot


def add_bot_arguments(parser) -> None:  # noqa: ANN001
    parser.add_argument("slug", help="the bot's slug")
    parser.add_argument("--workspace", default=None, help="workspace name, when several bots share the slug")


def get_bot(slug: str, workspace: str | None) -> Bot:
    try:
        return services.find_bot(slug, workspace)
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages)) from None


def read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc}") from None
