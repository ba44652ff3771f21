"""Voice services (Django-aware): `check_*` validate and raise ValidationError with a message for the user, `do_*`
write and send tasks on commit.

recordings — upload, retry, delete, the audio served seekable; transcription — the worker side; labelling — segment
text, labels, skips and suggestions; presynthesis — a published version's scripts into the TTS cache. Everything is
re-exported here.
"""

from voice.services.labelling import (  # noqa: F401
    can_suggest,
    do_label_segment,
    do_skip_segment,
    do_update_segment_text,
    label_context,
    spans_json,
    suggest_labels,
)
from voice.services.presynthesis import do_presynthesize, send_presynthesis  # noqa: F401
from voice.services.recordings import (  # noqa: F401
    CONTENT_TYPES,
    UploadResult,
    audio_message,
    audio_response,
    check_upload,
    do_delete_recording,
    do_retry_recording,
    do_upload_recordings,
)
from voice.services.transcription import (  # noqa: F401
    do_fail_recording,
    do_fail_stalled_transcriptions,
    do_transcribe,
    hot_words,
    recognise,
    transcript_corrector,
)
