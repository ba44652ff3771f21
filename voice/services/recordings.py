"""Recordings: upload (checked, deduplicated, transcription queued on commit), retry, delete, and the audio
served seekable."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from salesstudio.http import file_response
from salesstudio.models import Bot
from voice.audio import AudioError, AudioInfo, probe
from voice.models import Recording

CONTENT_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "m4a": "audio/mp4", "ogg": "audio/ogg",
                 "flac": "audio/flac", "webm": "audio/webm"}


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


def audio_message(error: AudioError) -> str:
    """Why a file cannot be used as audio, in the active language."""
    messages = {"corrupt": _("The file is corrupt or not an audio file"), "unsupported": _("Unsupported audio format"),
                "no_audio": _("The file has no audio track"), "empty": _("The audio is empty"),
                "channels": _("A two-channel (stereo) recording is required")}
    return messages.get(error.reason, str(error))


def check_upload(bot: Bot, upload: UploadedFile) -> tuple[AudioInfo, str]:
    """Probe an uploaded file by content and hash it. Raises ValidationError: too large, too long, not audio,
    duplicate."""
    limit = settings.UPLOAD_MAX_BYTES
    if getattr(upload, "too_large", False) or upload.size > limit:
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)})
    try:
        info = probe(_source(upload))
    except AudioError as exc:  # the reason in the user's language, without FFmpeg's detail
        raise ValidationError(audio_message(exc)) from None
    longest = settings.RECORDING_MAX_MINUTES
    if info.duration > longest * 60:  # known from the header (or counted while probing) before anything is decoded
        raise ValidationError(
            _("The recording lasts %(minutes)s minutes: recordings up to %(max)s minutes are accepted.")
            % {"minutes": round(info.duration / 60), "max": longest})
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


def audio_response(request: HttpRequest, recording: Recording) -> HttpResponse:
    """The recording's file, seekable in an <audio> element."""
    content_type = CONTENT_TYPES.get(recording.format, "application/octet-stream")
    return file_response(request, recording.file.storage, recording.file.name, content_type)
