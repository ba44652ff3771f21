"""Refuse request bodies over the upload limit before they are received.

Django's ASGI handler reads a whole request body before any view runs, so a view cannot refuse a 2 GB upload
without first waiting for it. `BodyLimit` sits in front of it: a request whose Content-Length is over the limit
gets HTTP 413 at once, unread; a body sent without a length (chunked) is cut off as soon as it passes the limit.
Plain ASGI, no Django.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]

MESSAGES = {"zh": "上传的内容超过 {mb} MB，未被接收。", "en": "The upload is larger than {mb} MB and was not received."}


class BodyLimit:
    def __init__(self, app: Callable, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(send, "en" if _english(headers) else "zh")
            return
        received = 0

        async def limited() -> dict:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:  # no (honest) length: stop reading here; Django sees the client leave
                return {"type": "http.disconnect"}
            return message

        await self.app(scope, limited, send)

    async def _refuse(self, send: Send, language: str) -> None:
        body = MESSAGES[language].format(mb=self.limit // (1024 * 1024)).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _english(headers: dict[bytes, bytes]) -> bool:
    """The page language as Django's LocaleMiddleware would pick it: the language cookie, else the browser's."""
    for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "django_language":
            return value.startswith("en")
    return headers.get(b"accept-language", b"").decode("latin-1").strip().lower().startswith("en")
