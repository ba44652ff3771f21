"""Uploads over the limit are refused before they are received (salesstudio.bodylimit in front of Django).

The ASGI conversations run in a thread of their own: the session's Playwright browser keeps an event loop in the main
thread, so a plain async test that runs after a browser test could not start one."""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest
from asgiref.testing import ApplicationCommunicator

from salesstudio.bodylimit import BodyLimit


def run(conversation, *args):  # noqa: ANN001, ANN002, ANN201
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, conversation(*args)).result()


def http_scope(length: bytes | None, language: bytes = b"zh-CN,zh") -> dict:
    headers = [(b"accept-language", language)] + ([(b"content-length", length)] if length is not None else [])
    return {"type": "http", "method": "POST", "path": "/w/x/bots/y/voice/recordings/upload/", "headers": headers,
            "query_string": b"", "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 80)}


def test_the_real_application_refuses_a_declared_length_over_the_limit_unread(settings):
    run(_refused_unread, settings.REQUEST_MAX_BYTES)


async def _refused_unread(limit: int) -> None:
    from salesstudio.asgi import application

    app = ApplicationCommunicator(application, http_scope(str(limit + 1).encode()))
    await app.send_input({"type": "http.request", "body": b"x" * 10, "more_body": True})  # the rest never comes
    start = await app.receive_output(5)
    body = await app.receive_output(5)
    assert start["status"] == 413 and "MB" in body["body"].decode() and "未被接收" in body["body"].decode()


def test_a_body_without_a_length_is_cut_off_at_the_limit():
    assert run(_cut_off) == ["http.request", "http.request", "http.disconnect"]


async def _cut_off() -> list[str]:
    seen = []

    async def app(scope, receive, send):
        while True:
            message = await receive()
            seen.append(message["type"])
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                return

    limited = ApplicationCommunicator(BodyLimit(app, limit=100), http_scope(None))
    for _ in range(5):
        await limited.send_input({"type": "http.request", "body": b"x" * 40, "more_body": True})
    await limited.wait(5)
    return seen


@pytest.mark.parametrize(("length", "called"), [(b"100", True), (b"101", False), (b"1e9", False)])
def test_the_declared_length_decides_and_english_pages_read_english(length, called):
    run(_declared, length, called)


async def _declared(length: bytes, called: bool) -> None:
    calls = []

    async def app(scope, receive, send):
        calls.append(scope)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    communicator = ApplicationCommunicator(BodyLimit(app, limit=100), http_scope(length, b"en-US"))
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(5)
    assert bool(calls) is called and start["status"] == (200 if called else 413)
    if not called:
        assert b"larger than" in (await communicator.receive_output(5))["body"]
