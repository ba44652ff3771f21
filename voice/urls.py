"""URLs of the voice app, mounted under /w/<ws>/bots/<bot>/voice/ (namespace "voice")."""

from __future__ import annotations

from django.urls import path

from voice.views import analytics, calls, recordings, tester

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
    path("tester/", tester.tester, name="tester"),
    path("calls/", calls.calls, name="calls"),
    path("calls/<int:call>/", calls.call, name="call"),
    path("calls/<int:call>/caller.wav", calls.call_audio, {"track": "user"}, name="call_user_audio"),
    path("calls/<int:call>/bot.wav", calls.call_audio, {"track": "bot"}, name="call_bot_audio"),
    path("calls/export/calls.csv", calls.calls_csv, name="calls_csv"),
    path("calls/export/turns.csv", calls.turns_csv, name="turns_csv"),
    path("analytics/", analytics.dashboard, name="dashboard"),
    path("analytics/funnel/", analytics.funnel_canvas, name="funnel_canvas"),
    path("analytics/compare/", analytics.compare, name="compare"),
]
