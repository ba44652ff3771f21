"""WSGI entry point, for management tooling and plain-HTTP deployments; live calls need the ASGI server."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesstudio.settings")
application = get_wsgi_application()
