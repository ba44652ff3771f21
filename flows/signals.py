"""What the flows app announces to the apps built on it (they connect in their AppConfig.ready())."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once a published version is committed; `version` is the new FlowVersion.
flow_published = Signal()
