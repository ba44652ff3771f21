"""URLs of the flows app, mounted under /w/<ws>/bots/<bot>/flow/ (namespace "flows")."""

from __future__ import annotations

from django.urls import path

from flows.views import editor, files, panels, versions

app_name = "flows"
urlpatterns = [
    path("", editor.editor, name="editor"),
    path("save/", editor.save, name="save"),
    path("panel/node/", panels.node_panel, name="node_panel"),
    path("panel/node/apply/", panels.node_apply, name="node_apply"),
    path("panel/edge/", panels.edge_panel, name="edge_panel"),
    path("panel/edge/apply/", panels.edge_apply, name="edge_apply"),
    path("panel/settings/", panels.settings_panel, name="settings_panel"),
    path("panel/settings/apply/", panels.settings_apply, name="settings_apply"),
    path("publish/", versions.publish, name="publish"),
    path("versions/", versions.versions, name="versions"),
    path("versions/diff/", versions.diff, name="diff"),
    path("versions/<int:flow_version>/restore/", versions.restore, name="restore"),
    path("export/", files.export, name="export"),
    path("import/", files.import_flow, name="import"),
]
