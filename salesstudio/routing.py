"""WebSocket routes of every app, gathered in one list for the ASGI router."""

from __future__ import annotations

from django.urls import path

from voice.consumers import CallConsumer

websocket_urlpatterns: list = [
    path("ws/w/<slug:ws>/call/", CallConsumer.as_asgi()),
]
