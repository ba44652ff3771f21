"""The live call socket: one `CallPipeline` per connection, the call log written at turn boundaries.

Protocol: README.md, "Live call protocol". Authentication and the workspace check happen on connect (editors and
owners may call); a bad message gets an error event and the call goes on; a dropped socket closes the call with
outcome 断线 (disconnected), keeping every turn saved so far.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.http import Http404

from calls.call import CallError
from calls.calllog import close_call, record_turn
from calls.calllog.customers import find_customer
from calls.models import DISCONNECTED_OUTCOME, Call
from calls.pipeline import CallPipeline
from calls.services import prepare_call
from calls.turns import TurnRecord
from nlu import jsonguard
from nlu.jsonguard import UnsafeJson
from salesstudio.permissions import check_access
from voice.audio import wav_bytes
from voice.telephone import LineFormat, LineFormatError
from voice.vad import SAMPLE_RATE

log = logging.getLogger(__name__)
RECHECK_S = 5.0  # how often an open call re-checks that its caller may still call
MODES = ("text", "voice")
MAX_MESSAGE_CHARS = 16_000  # a text message is a control message or one utterance: refused beyond this, unparsed


class SocketSink:
    """What the pipeline produces, sent to the socket and written to the call log; `done()` once the call has ended
    and every turn is saved."""

    def __init__(self, send: Callable[..., Awaitable], call: Call, done: Callable[[], Awaitable]) -> None:
        self.send, self.call, self.done = send, call, done
        self.saving: asyncio.Future | None = None  # the latest turn write; each one waits for the one before

    async def event(self, message: dict) -> None:
        await self.send(text_data=json.dumps(message, ensure_ascii=False))

    async def audio(self, pcm: bytes) -> None:
        await self.send(bytes_data=pcm)

    async def turn(self, record: TurnRecord, offsets: dict[str, float]) -> None:
        """Queue the turn's rows: written in order, but off the call's path, so the caller's next turn never waits
        for the database."""
        self.saving = asyncio.ensure_future(self._save(self.saving, record, offsets))

    async def _save(self, before: asyncio.Future | None, record: TurnRecord, offsets: dict[str, float]) -> None:
        if before is not None:
            await asyncio.wait([before])  # not gather: cancelling a waiter must never cancel the save it waits for
        try:
            # Not thread-sensitive: the turns of many calls are written in parallel, not one after another on the
            # one thread that Django's sync code shares (that capped a server at ~35 turns/s in bench/calls.py).
            await database_sync_to_async(record_turn, thread_sensitive=False)(self.call, record, **offsets)
        except Exception:
            log.exception("turn %s of call %s could not be saved", record.index, self.call.pk)

    async def flush(self) -> None:
        """Wait until every turn so far is in the database. The saves run on when the waiter is cancelled (the
        socket closing the moment the call ends cancels the turn that waits here)."""
        if self.saving is not None:
            await asyncio.wait([self.saving])

    async def finished(self) -> None:
        await self.flush()
        await self.done()


class CallConsumer(AsyncWebsocketConsumer):
    # A call talks only to its own socket: no channel layer subscription (an alias that names no layer), so that
    # hundreds of calls do not each keep a receive loop open on Redis.
    channel_layer_alias = "calls-use-no-channel-layer"

    async def connect(self) -> None:
        self.call: Call | None = None
        self.pipeline: CallPipeline | None = None
        self.audio_saved = False
        self.marking: asyncio.Future | None = None  # the latest mark being waited for
        self.closed = False
        try:
            membership = await database_sync_to_async(check_access)(
                self.scope.get("user"), self.scope["url_route"]["kwargs"]["ws"], "edit")
        except (Http404, PermissionDenied):
            await self.close()
            return
        self.workspace = membership.workspace
        self.checked_at = time.monotonic()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        self.closed = True
        if self.marking is not None:
            self.marking.cancel()
        if self.pipeline is not None:
            await self.pipeline.stop()
            await self.sink.flush()
        if self.call is not None:
            await self.save_audio()
            await database_sync_to_async(close_call)(self.call, outcome=DISCONNECTED_OUTCOME)

    async def send_json(self, message: dict) -> None:
        await self.send(text_data=json.dumps(message, ensure_ascii=False))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not await self._still_allowed():
            await self.send_json({"type": "error", "message": "your access to this workspace has ended"})
            await self.close()
            return
        try:
            if bytes_data is not None:
                if self.pipeline is not None and self.pipeline.ended:
                    return  # a microphone frame that was on its way when the call ended: nothing to say about it
                await self._pipeline().audio_frame(bytes_data)
                return
            message = self._parse(text_data)
            await getattr(self, f"message_{message['type']}")(message)
        except CallError as exc:
            await self.send_json({"type": "error", "message": str(exc)})
        except Exception:  # a bug must not take the call down with it
            log.exception("live call message failed")
            await self.send_json({"type": "error", "message": "internal error"})

    async def _still_allowed(self) -> bool:
        """Whether the caller may still call: re-checked at most every RECHECK_S, so that a demotion, a removal or a
        logout ends an open call within seconds without a query per frame or turn."""
        now = time.monotonic()
        if now - self.checked_at < RECHECK_S:
            return True
        self.checked_at = now
        return await database_sync_to_async(self._check_access)()

    def _check_access(self) -> bool:
        session = self.scope.get("session")
        if session is not None and session.session_key and not session.exists(session.session_key):
            return False  # logged out: the session is gone
        try:
            check_access(self.scope.get("user"), self.workspace.slug, "edit")
        except (Http404, PermissionDenied):
            return False
        return True

    @staticmethod
    def _parse(text: str | None) -> dict:
        try:
            message = jsonguard.loads(text or "", max_chars=MAX_MESSAGE_CHARS)
        except UnsafeJson as exc:
            raise CallError(f"a text message must be JSON: {exc.message}") from None
        kinds = ("start", "text", "silence", "hangup", "mark")
        if not isinstance(message, dict) or message.get("type") not in kinds:
            raise CallError(f"a message is an object whose type is one of {', '.join(kinds)}")
        return message

    def _pipeline(self) -> CallPipeline:
        if self.pipeline is None:
            raise CallError("start the call first")
        return self.pipeline

    # --- message handlers, named after the message types ----------------------------------------------------------

    async def message_start(self, message: dict) -> None:
        if self.pipeline is not None:
            raise CallError("the call has already started")
        mode, number, seed = message.get("mode", "text"), message.get("version"), message.get("seed")
        if mode not in MODES or not isinstance(message.get("bot"), str) or type(number) is not int:
            raise CallError("start needs a bot (slug), a version (number) and a mode (text or voice)")
        if seed is None:
            seed = secrets.randbelow(2**31)
        elif type(seed) is not int or not 0 <= seed < 2**63:
            raise CallError("seed must be a non-negative integer")
        try:
            line = LineFormat.parse(message.get("audio"))
        except LineFormatError as exc:
            raise CallError(str(exc)) from None
        customer = None
        if message.get("customer") is not None or message.get("phone") is not None:
            customer = await database_sync_to_async(find_customer)(
                self.workspace, customer_id=message.get("customer"), phone=message.get("phone"))
            if customer is None:
                raise CallError("no such customer in this workspace")
        # On Django's one sync thread, like any view: in parallel threads, 50 calls starting at once halved the turn
        # throughput of bench/calls.py (their model loading and SQLite writes contended with the turns' writes).
        prepared = await database_sync_to_async(prepare_call)(
            self.workspace, message["bot"], number, voice=mode == "voice", seed=seed, user=self.scope["user"],
            customer=customer)
        self.call = prepared.call
        prepared.setup.line = line
        self.sink = SocketSink(self.send, self.call, self._finished)
        self.pipeline = CallPipeline(prepared.setup, self.sink, voice=mode == "voice")
        await self.send_json({"type": "started", "call": self.call.pk, "mode": mode, "version": number,
                              "nlu": prepared.setup.nlu_name, "sample_rate": line.rate, "encoding": line.encoding,
                              "customer": customer and {"name": customer.name, "phone": customer.phone},
                              "remembered": prepared.setup.remembered or {}})
        await self.pipeline.start()

    async def message_text(self, message: dict) -> None:
        await self._pipeline().user_text(message.get("text"))

    async def message_silence(self, message: dict) -> None:
        await self._pipeline().silence()

    async def message_hangup(self, message: dict) -> None:
        await self._pipeline().hangup()

    async def message_mark(self, message: dict) -> None:
        """Answered once what came before it is processed, spoken and saved; waited for off the receive loop, so that
        a hang-up (or any input) sent after a mark is handled at once. Marks are answered in order."""
        self.marking = asyncio.ensure_future(self._mark(self.marking, str(message.get("name", ""))[:100]))

    async def _mark(self, before: asyncio.Future | None, name: str) -> None:
        if before is not None:
            await asyncio.gather(before, return_exceptions=True)
        if self.pipeline is not None:
            await self.pipeline.settle()
            await self.sink.flush()
        if not self.closed:
            await self.send_json({"type": "mark", "name": name})

    async def _finished(self) -> None:
        await self.save_audio()
        self.closed = True
        await self.close()

    async def save_audio(self) -> None:
        """Store the caller's and the bot's audio of a voice call as WAV files (once)."""
        if self.audio_saved or self.pipeline is None or not self.pipeline.voice:
            return
        self.audio_saved = True
        user, bot = self.pipeline.audio_tracks()
        await database_sync_to_async(_store_audio)(self.call, user, bot)


def _store_audio(call: Call, user: bytes, bot: bytes) -> None:
    names = {}
    for field, pcm in (("user_audio", user), ("bot_audio", bot)):
        if pcm:
            getattr(call, field).save(f"{field.split('_')[0]}.wav", ContentFile(wav_bytes(pcm, SAMPLE_RATE)),
                                      save=False)
            names[field] = getattr(call, field).name
    if names:  # only the file columns: the call log updates the counters concurrently
        Call.objects.filter(pk=call.pk).update(**names)
