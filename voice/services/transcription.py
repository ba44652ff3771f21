"""Transcription (the Celery task's body): the bot's hot words and vocabulary, both channels recognised in time
order, progress written as the audio is processed, stalled work failed by the sweeper."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from nlu.models import SlotType
from salesstudio.models import Bot
from salesstudio.sweeps import STALE_AFTER, Heartbeat
from voice import asr, engines
from voice.audio import AudioError
from voice.correction import LexiconCorrector, vocabulary
from voice.models import Recording, Segment, Speaker
from voice.services.recordings import audio_message

log = logging.getLogger(__name__)


PROGRESS_STEP = 0.02  # write progress to the row at most every 2 % of the audio


def hot_words(bot: Bot) -> list[str]:
    """Values and synonyms of the bot's enumeration slots, for the ASR engine's hot-word prompt."""
    enums = bot.slots.filter(type=SlotType.ENUM).values_list("values", flat=True)
    return vocabulary({"values": values} for values in enums)


def transcript_corrector(bot: Bot) -> LexiconCorrector:
    """Corrects near-homophones of the bot's words (slot names, enum values and their synonyms) in transcripts."""
    return LexiconCorrector(vocabulary(bot.slots.values("name", "values")))


def recognise(engine: asr.AsrEngine, path: str | Path, *, hot_words: Iterable[str],
              dialect: str, progress: Callable[[float], None]) -> list[tuple[str, asr.Segment]]:
    """(speaker, segment) in time order. Stereo call recordings: agent = left, customer = right, one pass each; the
    recording is decoded and recognised piece by piece (`AsrEngine.transcribe_call`). Raises AudioError, AsrError."""
    transcript = engine.transcribe_call(path, hot_words=hot_words, dialect=dialect, progress=progress)
    return [(segment.speaker or Speaker.UNKNOWN, segment) for segment in transcript.segments]


def _progress_writer(recording_id: int) -> Callable[[float], None]:
    last = [0.0]

    def write(share: float) -> None:
        share = max(0.0, min(1.0, share))
        if share - last[0] >= PROGRESS_STEP or (share == 1.0 and last[0] < 1.0):
            last[0] = share
            Recording.objects.filter(pk=recording_id).update(progress=share)

    return write


def do_transcribe(recording_id: int) -> None:
    """Transcribe one recording and store its segments (the body of the Celery task).

    A message for a deleted or finished recording does nothing. Permanent failures (bad audio, bad model) are
    recorded on the row; a transient `AsrError(permanent=False)` is recorded and re-raised for the task to retry.
    """
    claimed = Recording.objects.filter(pk=recording_id, status__in=Recording.ACTIVE).update(
        status=Recording.Status.TRANSCRIBING, progress=0.0, error="", updated_at=timezone.now())
    if not claimed:
        return
    recording = Recording.objects.select_related("bot").get(pk=recording_id)
    started = time.monotonic()
    transcribing = Recording.objects.filter(pk=recording_id, status=Recording.Status.TRANSCRIBING)
    try:
        with Heartbeat(lambda: transcribing.update(updated_at=timezone.now()), name=f"heartbeat-rec-{recording_id}"):
            tagged = recognise(engines.asr_engine(), recording.file.path, hot_words=hot_words(recording.bot),
                               dialect=recording.bot.dialect, progress=_progress_writer(recording_id))
    except asr.AsrError as exc:
        if exc.permanent:
            do_fail_recording(recording_id, str(exc))
            return
        Recording.objects.filter(pk=recording_id).update(status=Recording.Status.QUEUED, error=str(exc)[:2000])
        raise
    except AudioError as exc:  # stored in the site's language: the worker has no request to take one from
        with translation.override(settings.LANGUAGE_CODE):
            do_fail_recording(recording_id, audio_message(exc))
        return
    except OSError as exc:
        do_fail_recording(recording_id, str(exc))
        return
    _store_segments(recording_id, tagged, transcript_corrector(recording.bot))
    log.info("recording %s transcribed in %.1f s", recording_id, time.monotonic() - started)


def do_fail_stalled_transcriptions() -> int:
    """Fail recordings whose transcription stopped stamping its heartbeat (its worker died); returns how many.
    They can be retried from the recordings page."""
    return Recording.objects.filter(
        status=Recording.Status.TRANSCRIBING, updated_at__lt=timezone.now() - STALE_AFTER,
    ).update(status=Recording.Status.FAILED, error=_("The transcription stopped unexpectedly (its worker was "
                                                     "restarted). Retry it."), updated_at=timezone.now())


@transaction.atomic
def _store_segments(recording_id: int, tagged: list[tuple[str, asr.Segment]], corrector: LexiconCorrector) -> None:
    recording = Recording.objects.select_for_update().filter(pk=recording_id).first()
    if recording is None:
        return  # deleted while it was being transcribed
    recording.segments.all().delete()  # a redelivered message starts over
    kept = [(speaker, s) for speaker, s in tagged if s.text.strip()]
    Segment.objects.bulk_create(
        Segment(recording=recording, index=i, start=s.start, end=s.end, text=corrector.correct(s.text.strip())[:500],
                confidence=s.confidence, speaker=speaker)
        for i, (speaker, s) in enumerate(kept))
    Recording.objects.filter(pk=recording_id).update(status=Recording.Status.DONE, progress=1.0, error="",
                                                     transcribed_at=timezone.now())


def do_fail_recording(recording_id: int, reason: str) -> None:
    Recording.objects.filter(pk=recording_id).update(status=Recording.Status.FAILED, error=reason[:2000])
