"""Call services: what a live call needs, loaded and opened in one place (the socket, benchmarks and a gateway call
`prepare_call`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from calls.call import CallError, CallSetup, program_corrector
from calls.calllog import open_call
from calls.calllog.customers import customer_variables, memory_days, remembered_values
from calls.models import Call, Customer
from flows.models import FlowVersion
from nlu.runtime import RuntimeLoadError, get_runtime
from nlu.services import active_version, bot_understanding, slot_definitions
from salesstudio.models import Workspace
from voice import engines


@dataclass
class PreparedCall:
    call: Call
    setup: CallSetup


def prepare_call(workspace: Workspace, bot_slug: str, number: int, *, voice: bool, seed: int,
                 user: AbstractBaseUser | None, customer: Customer | None = None) -> PreparedCall:
    """Load a published version of a bot of `workspace` with its understanding and (voice) speech engines, and open
    its call in the log. The NLU is the bot's understanding (its examples, common intents and lexicon) with the active
    model when there is one and it loads. Every engine loads once per process. A call made as `customer` (of the same
    workspace) says their variables and starts with what they said in their earlier calls of this bot within the
    flow's memory period. Raises CallError when not found."""
    bot = workspace.bots.filter(slug=bot_slug).first()
    version = bot and FlowVersion.objects.filter(flow__bot=bot, number=number).first()
    if version is None or not version.program:
        raise CallError("no such bot or published version")
    setup = CallSetup(program=version.program, slots=slot_definitions(bot), dialect=bot.dialect, voice=bot.dialect,
                      seed=seed, max_utterance_ms=settings.MAX_UTTERANCE_SECONDS * 1000)
    if customer is not None:
        setup.variables = customer_variables(customer)
        setup.remembered = remembered_values(customer, bot, memory_days(version.program))
    model_version, model = active_version(bot), None
    if model_version is not None:
        try:
            model = get_runtime(Path(model_version.path))
            setup.nlu_name = f"model v{model_version.number}"
        except (RuntimeLoadError, OSError, KeyError, ValueError) as exc:
            setup.nlu_name = f"examples (model v{model_version.number} cannot load: {exc})"
    else:
        setup.nlu_name = "examples"
    setup.nlu = bot_understanding(bot, model)
    if voice:
        setup.asr, setup.tts, setup.tts_cache = engines.asr_engine(), engines.tts_engine(), engines.tts_cache()
        setup.corrector = program_corrector(setup.slots, setup.program)
    call = open_call(bot=bot, flow_version=version, model_version=model_version if model else None,
                     mode=Call.Mode.VOICE if voice else Call.Mode.TEXT, user=user, seed=seed, customer=customer,
                     remembered=setup.remembered)
    return PreparedCall(call, setup)
