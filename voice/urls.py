"""URLs of the voice app, mounted under /w/<ws>/bots/<bot>/voice/ (namespace "voice")."""

from __future__ import annotations

from django.urls import path

from voice.views import recordings

app_name = "voice"
urlpatterns = [
    path("recordings/", recordings.recordings, name="recordings"),
    path("recordings/upload/", recordings.recording_upload, name="recording_upload"),
    path("recordings/<int:recording>/", recordings.transcript, name="transcript"),
    path("recordings/<int:recording>/audio/", recordings.recording_audio, name="recording_audio"),
    path("recordings/<int:recording>/retry/", recordings.recording_retry, name="recording_retry"),
    path("recordings/<int:recording>/delete/", recordings.recording_delete, name="recording_delete"),
    path("segments/<int:segment>/text/", recordings.segment_text, name="segment_text"),
    path("segments/<int:segment>/label/", recordings.segment_label, name="segment_label"),
    path("segments/<int:segment>/skip/", recordings.segment_skip, name="segment_skip"),
]
