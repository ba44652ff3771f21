"""Voice services: accept uploaded recordings, transcribe them (the Celery task's body), edit and label segments.

`check_*` validate and raise ValidationError with a message for the user; `do_*` write and send tasks on commit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from nlu.models import ExampleSource, Intent, SlotType, TrainingExample
from salesstudio.models import Bot
from salesstudio.sweeps import STALE_AFTER, Heartbeat
from voice import asr, engines, tts
from voice.audio import AudioError, AudioInfo, decode, decode_channels, probe
from voice.correction import LexiconCorrector, vocabulary
from voice.models import Recording, Segment, Speaker

log = logging.getLogger(__name__)

CONTENT_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "m4a": "audio/mp4", "ogg": "audio/ogg",
                 "flac": "audio/flac", "webm": "audio/webm"}
PROGRESS_STEP = 0.02  # write progress to the row at most every 2 % of the audio


# --- upload -----------------------------------------------------------------------------------------------------------

@dataclass
class UploadResult:
    """One file of an upload: the recording it became, or why it was refused."""

    name: str
    recording: Recording | None = None
    error: str = ""


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def _source(upload: UploadedFile) -> str | bytes:
    """A path for uploads Django streamed to disk; the bytes of small in-memory ones (≤ FILE_UPLOAD_MAX_MEMORY_SIZE)."""
    if hasattr(upload, "temporary_file_path"):
        return upload.temporary_file_path()
    upload.seek(0)
    return upload.read()


def check_upload(bot: Bot, upload: UploadedFile) -> tuple[AudioInfo, str]:
    """Probe an uploaded file by content and hash it. Raises ValidationError: too large, not audio, duplicate."""
    limit = settings.UPLOAD_MAX_BYTES
    if getattr(upload, "too_large", False) or upload.size > limit:
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)})
    try:
        info = probe(_source(upload))
    except AudioError as exc:  # the bilingual message without FFmpeg's detail
        raise ValidationError(AudioError.MESSAGES.get(exc.reason, str(exc))) from None
    sha = _sha256(upload)
    duplicate = bot.recordings.filter(sha256=sha).first()
    if duplicate is not None:
        raise ValidationError(_("Same content as “%(name)s”, already uploaded.") % {"name": duplicate.original_name})
    return info, sha


def do_upload_recordings(bot: Bot, uploads: Iterable[UploadedFile], user: AbstractBaseUser | None) -> list[UploadResult]:
    """Store every acceptable file as a queued Recording and send its transcription on commit; refuse the others."""
    results = []
    for upload in uploads:
        result = UploadResult(name=upload.name or "?")
        try:
            info, sha = check_upload(bot, upload)
            result.recording = _create_recording(bot, upload, info, sha, user)
        except ValidationError as exc:
            result.error = " ".join(exc.messages)
        results.append(result)
    return results


def _create_recording(bot: Bot, upload: UploadedFile, info: AudioInfo, sha: str,
                      user: AbstractBaseUser | None) -> Recording:
    recording = Recording(bot=bot, original_name=(upload.name or "")[:255], sha256=sha, size=upload.size,
                          format=info.format, duration=info.duration, channels=info.channels, uploaded_by=user)
    upload.seek(0)
    recording.file.save("upload", upload, save=False)  # streamed in chunks to MEDIA_ROOT
    try:
        with transaction.atomic():
            recording.save()
            _send_transcription(recording.pk)
    except IntegrityError:  # the same content uploaded concurrently
        recording.file.delete(save=False)
        raise ValidationError(_("Same content as a recording already uploaded.")) from None
    return recording


def _send_transcription(recording_id: int) -> None:
    from voice.tasks import transcribe_recording

    transaction.on_commit(lambda: transcribe_recording.delay(recording_id))


def do_retry_recording(recording: Recording) -> bool:
    """Queue a failed or still queued recording (again); returns False when it is transcribing or done."""
    with transaction.atomic():
        retryable = (Recording.Status.FAILED, Recording.Status.QUEUED)
        updated = Recording.objects.filter(pk=recording.pk, status__in=retryable).update(
            status=Recording.Status.QUEUED, progress=0.0, error="")
        if updated:
            _send_transcription(recording.pk)
    return bool(updated)


def do_delete_recording(recording: Recording) -> None:
    """Delete the row and, once committed, its file. Training examples made from it stay."""
    name = recording.file.name
    storage = recording.file.storage
    recording.delete()
    transaction.on_commit(lambda: storage.delete(name))


# --- transcription ----------------------------------------------------------------------------------------------------

def hot_words(bot: Bot) -> list[str]:
    """Values and synonyms of the bot's enumeration slots, for the ASR engine's hot-word prompt."""
    enums = bot.slots.filter(type=SlotType.ENUM).values_list("values", flat=True)
    return vocabulary({"values": values} for values in enums)


def transcript_corrector(bot: Bot) -> LexiconCorrector:
    """Corrects near-homophones of the bot's words (slot names, enum values and their synonyms) in transcripts."""
    return LexiconCorrector(vocabulary(bot.slots.values("name", "values")))


def send_presynthesis(sender: type, version: Any, **kwargs: Any) -> None:
    """Queue the synthesis of a newly published version's fixed scripts (receiver of `flows.signals.flow_published`,
    connected in VoiceConfig.ready())."""
    from voice.tasks import presynthesize_flow_version

    presynthesize_flow_version.delay(version.pk)


def do_presynthesize(flow_version_id: int) -> tts.Presynthesis | None:
    """Synthesise the fixed scripts of a published flow version into the TTS cache, in the bot's voice (the body
    of the Celery task). Sentences that fail are logged; a version deleted meanwhile does nothing (None)."""
    from flows.models import FlowVersion

    version = FlowVersion.objects.select_related("flow__bot").filter(pk=flow_version_id).first()
    if version is None:
        return None
    done = tts.presynthesize(engines.tts_engine(), engines.tts_cache(), tts.fixed_texts(version.program or {}),
                             version.flow.bot.dialect)
    for sentence, reason in done.failed:
        log.warning("flow version %s: cannot pre-synthesise %r: %s", flow_version_id, sentence, reason)
    log.info("flow version %s: %d sentences synthesised, %d already cached", flow_version_id, done.synthesised,
             done.cached)
    return done


def recognise(engine: asr.AsrEngine, path: str | Path, channels: int, *, hot_words: Iterable[str], dialect: str,
              progress: Callable[[float], None]) -> list[tuple[str, asr.Segment]]:
    """(speaker, segment) in time order. Stereo call recordings: agent = left, customer = right, one pass each."""
    words = tuple(hot_words)
    if channels != 2:
        transcript = engine.transcribe(decode(path), hot_words=words, dialect=dialect, progress=progress)
        return [(Speaker.UNKNOWN, s) for s in transcript.segments]
    agent, customer = decode_channels(path)
    # Both channels are as long as the recording: each pass is half of the work.
    first = engine.transcribe(agent, hot_words=words, dialect=dialect, progress=lambda s: progress(s / 2))
    second = engine.transcribe(customer, hot_words=words, dialect=dialect, progress=lambda s: progress(0.5 + s / 2))
    tagged = [(Speaker.AGENT, s) for s in first.segments] + [(Speaker.CUSTOMER, s) for s in second.segments]
    return sorted(tagged, key=lambda item: (item[1].start, item[1].end))


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
            tagged = recognise(engines.asr_engine(), recording.file.path, recording.channels,
                               hot_words=hot_words(recording.bot), dialect=recording.bot.dialect,
                               progress=_progress_writer(recording_id))
    except asr.AsrError as exc:
        if exc.permanent:
            do_fail_recording(recording_id, str(exc))
            return
        Recording.objects.filter(pk=recording_id).update(status=Recording.Status.QUEUED, error=str(exc)[:2000])
        raise
    except (AudioError, OSError) as exc:
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


# --- transcript: edit and label -----------------------------------------------------------------------------------------

def do_update_segment_text(segment: Segment, text: str) -> Segment:
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise ValidationError(_("The text cannot be empty."))
    segment.text = text[:500]
    segment.edited = True
    segment.save(update_fields=["text", "edited"])
    return segment


def label_context(segment: Segment) -> str:
    """What the agent said just before a customer's segment (the dialogue context of the example), else ''."""
    if segment.speaker != Speaker.CUSTOMER:
        return ""
    previous = segment.recording.segments.filter(index__lt=segment.index, speaker=Speaker.AGENT).last()
    return previous.text if previous else ""


@transaction.atomic
def do_label_segment(segment: Segment, user: AbstractBaseUser | None, *, intent: Intent,
                     spans: list) -> TrainingExample:
    """Make (or update) the training example of a segment. An example with the same text is reused and relabelled.

    Raises ValidationError for an unknown intent or slot, or spans outside the text.
    """
    from nlu.services import do_save_example

    bot = segment.recording.bot
    instance = segment.example or bot.examples.filter(text=segment.text.strip()).first()
    example = do_save_example(bot, user, text=segment.text, intent=intent, spans=spans,
                              context=label_context(segment), instance=instance)
    if instance is None:
        TrainingExample.objects.filter(pk=example.pk).update(source=ExampleSource.RECORDING)
        example.source = ExampleSource.RECORDING
    segment.example, segment.skipped = example, False
    segment.save(update_fields=["example", "skipped"])
    return example


def do_skip_segment(segment: Segment) -> None:
    """Mark a segment irrelevant (greeting noise, the agent talking, a wrong number): it never becomes a training
    example; a training example made from it before is kept (delete it on the intents page if it is wrong)."""
    segment.skipped = True
    segment.save(update_fields=["skipped"])


def spans_json(spans: list) -> str:
    """Spans `{slot, start, end}` as the JSON the label editor reads."""
    return json.dumps([{"slot": s["slot"], "start": s["start"], "end": s["end"]} for s in spans], ensure_ascii=False)


def can_suggest(bot: Bot) -> bool:
    """Whether "suggest labels" can work: the bot has an active NLU model version."""
    try:
        from nlu.services import active_version
    except ImportError:
        return False
    return active_version(bot) is not None


SUGGEST_FLOOR = 0.6  # below this confidence a suggestion is shown as a hint and nothing is pre-selected


def suggest_labels(bot: Bot, text: str) -> dict | None:
    """Intent and spans predicted by the bot's active NLU model: {"intent": Intent | None, "spans": [...],
    "confidence": float, "confident": bool} (`confident`: at least SUGGEST_FLOOR, so the label panel pre-fills it).

    None when the bot has no active model version (or the NLU runtime is unavailable).
    """
    if not can_suggest(bot):
        return None
    from nlu.services import get_bot_runtime

    prediction = get_bot_runtime(bot).predict(text)
    spans = [{"slot": s["slot"], "start": s["start"], "end": s["end"]} for s in prediction.get("spans", [])]
    confidence = prediction.get("confidence", 0.0)
    return {"intent": bot.intents.filter(name=prediction["intent"]).first(), "confidence": confidence,
            "confident": confidence >= SUGGEST_FLOOR, "spans": spans}


# --- audio delivery -----------------------------------------------------------------------------------------------------

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


def audio_response(request: HttpRequest, recording: Recording) -> HttpResponse:
    """The recording's file with HTTP Range support (browsers need it to seek in an <audio> element)."""
    field = recording.file
    size = field.size
    content_type = CONTENT_TYPES.get(recording.format, "application/octet-stream")
    match = _RANGE.match(request.headers.get("Range", "").strip())
    if not match or not any(match.groups()):
        response = FileResponse(field.open("rb"), content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        return response
    start_s, end_s = match.groups()
    start = int(start_s) if start_s else max(size - int(end_s), 0)
    end = min(int(end_s), size - 1) if start_s and end_s else size - 1
    if start >= size or start > end:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    response = StreamingHttpResponse(_read_range(field.path, start, end), status=206, content_type=content_type)
    response["Content-Length"] = str(end - start + 1)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response


def _read_range(path: str, start: int, end: int, block: int = 1 << 16) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(start)
        left = end - start + 1
        while left > 0:
            chunk = handle.read(min(block, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
