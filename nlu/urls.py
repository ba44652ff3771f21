"""URLs of the nlu app, mounted under /w/<ws>/bots/<bot>/nlu/ (namespace "nlu")."""

from __future__ import annotations

from django.urls import path

from nlu.views import examples, intents, training, versions

app_name = "nlu"
urlpatterns = [
    path("", intents.intents, name="intents"),
    path("intents/common/", intents.common_intents_enable, name="common_intents_enable"),
    path("intents/<int:intent>/", intents.intent_edit, name="intent_edit"),
    path("intents/<int:intent>/delete/", intents.intent_delete, name="intent_delete"),
    path("slots/new/", intents.slot_create, name="slot_create"),
    path("slots/<int:slot>/", intents.slot_edit, name="slot_edit"),
    path("slots/<int:slot>/delete/", intents.slot_delete, name="slot_delete"),
    path("examples/new/", examples.example_create, name="example_create"),
    path("examples/<int:example>/", examples.example_edit, name="example_edit"),
    path("examples/<int:example>/delete/", examples.example_delete, name="example_delete"),
    path("examples/export/", examples.examples_export, name="examples_export"),
    path("examples/import/", examples.examples_import, name="examples_import"),
    path("examples/import/confirm/", examples.examples_import_confirm, name="examples_import_confirm"),
    path("training/", training.training, name="training"),
    path("training/runs/<int:run>/", training.run_status, name="run_status"),
    path("training/runs/<int:run>/cancel/", training.run_cancel, name="run_cancel"),
    path("versions/compare/", versions.versions_compare, name="versions_compare"),
    path("versions/rollback/", versions.version_rollback, name="version_rollback"),
    path("versions/<int:version>/", versions.version_report, name="version_report"),
    path("versions/<int:version>/activate/", versions.version_activate, name="version_activate"),
    path("versions/<int:version>/relabel/", versions.version_relabel, name="version_relabel"),
]
