"""Pre-synthesis: a published flow version's fixed scripts into the TTS cache, in the bot's voice."""

from __future__ import annotations

import logging
from typing import Any

from voice import engines, tts

log = logging.getLogger(__name__)


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
