"""WebSocket routes (settings.WEBSOCKET_URLCONF): the live call."""

from __future__ import annotations

from django.urls import path

from calls.consumers import CallConsumer

websocket_urlpatterns: list = [
    path("ws/w/<slug:ws>/call/", CallConsumer.as_asgi()),
]
