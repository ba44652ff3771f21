"""URLs of the calls app, mounted under /w/<ws>/bots/<bot>/calls/ (namespace "calls")."""

from __future__ import annotations

from django.urls import path

from calls.views import analytics, calls, crm, grading, knowledge, tester, tests

app_name = "calls"
urlpatterns = [
    path("", calls.calls, name="calls"),
    path("<int:call>/", calls.call, name="call"),
    path("<int:call>/caller.wav", calls.call_audio, {"track": "user"}, name="call_user_audio"),
    path("<int:call>/bot.wav", calls.call_audio, {"track": "bot"}, name="call_bot_audio"),
    path("export/calls.csv", calls.calls_csv, name="calls_csv"),
    path("export/turns.csv", calls.turns_csv, name="turns_csv"),
    path("tester/", tester.tester, name="tester"),
    path("grading/", grading.grading, name="grading"),
    path("grading/jobs/<int:job>/", grading.grading_job, name="grading_job"),
    path("crm/", crm.crm, name="crm"),
    path("<int:call>/save-test/", tests.call_save_test, name="call_save_test"),
    path("tests/", tests.tests, name="tests"),
    path("tests/jobs/<int:job>/", tests.tests_job, name="tests_job"),
    path("tests/<int:test>/", tests.test_edit, name="test_edit"),
    path("tests/<int:test>/delete/", tests.test_delete, name="test_delete"),
    path("tests/<int:test>/turns/<int:turn>.wav", tests.test_audio, name="test_audio"),
    path("knowledge/", knowledge.knowledge, name="knowledge"),
    path("knowledge/<int:entry>/", knowledge.knowledge_entry, name="knowledge_entry"),
    path("knowledge/<int:entry>/delete/", knowledge.knowledge_delete, name="knowledge_delete"),
    path("knowledge/phrasing/", knowledge.knowledge_add_phrasing, name="knowledge_add_phrasing"),
    path("knowledge/try/", knowledge.knowledge_try, name="knowledge_try"),
    path("knowledge/import/", knowledge.knowledge_import, name="knowledge_import"),
    path("knowledge/export.csv", knowledge.knowledge_export, name="knowledge_export"),
    path("knowledge/threshold/", knowledge.threshold, name="knowledge_threshold"),
    path("analytics/", analytics.dashboard, name="dashboard"),
    path("analytics/funnel/", analytics.funnel_canvas, name="funnel_canvas"),
    path("analytics/compare/", analytics.compare, name="compare"),
]
