"""URLs of the voice app, mounted under /w/<ws>/bots/<bot>/voice/ (namespace "voice")."""

from __future__ import annotations

from django.urls import path

from voice import views

app_name = "voice"
urlpatterns = [
    path("recordings/", views.recordings, name="recordings"),
    path("recordings/upload/", views.recording_upload, name="recording_upload"),
    path("recordings/<int:recording>/", views.transcript, name="transcript"),
    path("recordings/<int:recording>/audio/", views.recording_audio, name="recording_audio"),
    path("recordings/<int:recording>/retry/", views.recording_retry, name="recording_retry"),
    path("recordings/<int:recording>/delete/", views.recording_delete, name="recording_delete"),
    path("segments/<int:segment>/text/", views.segment_text, name="segment_text"),
    path("segments/<int:segment>/label/", views.segment_label, name="segment_label"),
]
