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
from salesstudio.jobs import JobRunner
from salesstudio.models import Bot
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


class Transcription(JobRunner):
    """Transcribing a recording on a worker (`salesstudio.jobs.JobRunner`). A redelivered message (its worker died)
    starts over; transcription cannot be cancelled."""

    model = Recording
    claimable = active = Recording.ACTIVE
    running = Recording.Status.TRANSCRIBING
    heartbeat_field = "updated_at"
    finished_field = None
    can_cancel = False

    @classmethod
    def stopped_message(cls) -> str:
        return _("The transcription stopped unexpectedly (its worker was restarted). Retry it.")

    def on_claim(self) -> dict:
        return {"progress": 0.0, "error": ""}

    def work(self) -> list[tuple[str, asr.Segment]]:
        bot = self.row.bot
        return recognise(engines.asr_engine(), self.row.file.path, hot_words=hot_words(bot), dialect=bot.dialect,
                         progress=_progress_writer(self.pk))

    def failure(self, exc: Exception) -> str:
        """Bad audio and a bad model are recorded; a transient ASR error puts the recording back in the queue and
        goes up to the task, which retries."""
        if isinstance(exc, asr.AsrError) and not exc.permanent:
            Recording.objects.filter(pk=self.pk).update(status=Recording.Status.QUEUED, error=str(exc)[:2000])
            raise exc
        if isinstance(exc, AudioError):  # in the site's language: the worker has no request to take one from
            with translation.override(settings.LANGUAGE_CODE):
                return audio_message(exc)
        return super().failure(exc)

    def finish(self, tagged: list[tuple[str, asr.Segment]]) -> None:
        _store_segments(self.pk, tagged, transcript_corrector(self.row.bot))


def do_transcribe(recording_id: int) -> None:
    """Transcribe one recording and store its segments (the body of the Celery task). A message for a deleted or
    finished recording does nothing; a transient `AsrError(permanent=False)` is re-raised for the task to retry."""
    started = time.monotonic()
    Transcription(recording_id).run()
    log.info("recording %s handled in %.1f s", recording_id, time.monotonic() - started)


def do_fail_stalled_transcriptions() -> int:
    """Fail recordings whose transcription stopped stamping its heartbeat (its worker died); returns how many.
    They can be retried from the recordings page."""
    return Transcription.sweep()


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
