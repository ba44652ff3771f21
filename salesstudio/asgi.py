"""ASGI entry point: HTTP through Django behind a request-size limit, WebSockets through Channels (authenticated,
origin-checked)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.asgi import get_asgi_application
from django.utils.module_loading import import_string

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesstudio.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs the apps loaded above)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from salesstudio.bodylimit import BodyLimit  # noqa: E402

websocket_urlpatterns = import_string(f"{settings.WEBSOCKET_URLCONF}.websocket_urlpatterns")
application = ProtocolTypeRouter(
    {
        "http": BodyLimit(django_asgi_app, settings.REQUEST_MAX_BYTES),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
