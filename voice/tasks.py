"""Celery entry points of the voice app: thin, take primary keys."""

from __future__ import annotations

from celery import shared_task

from salesstudio.sweeps import sweep
from voice import services
from voice.asr import AsrError

RETRY_DELAYS = (5, 30, 120)  # seconds before the 1st, 2nd and 3rd retry of a transient ASR error


@shared_task(bind=True, acks_late=True, max_retries=len(RETRY_DELAYS))
def transcribe_recording(self, recording_id: int) -> None:  # noqa: ANN001
    try:
        services.do_transcribe(recording_id)
    except AsrError as exc:  # only transient errors get here; permanent ones are already recorded as failed
        if self.request.retries >= self.max_retries:
            services.do_fail_recording(recording_id, str(exc))
            return
        raise self.retry(exc=exc, countdown=RETRY_DELAYS[self.request.retries]) from exc


@shared_task(acks_late=True)
def presynthesize_flow_version(flow_version_id: int) -> None:
    services.do_presynthesize(flow_version_id)


sweep(services.do_fail_stalled_transcriptions)
