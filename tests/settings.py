"""Test settings: the production settings module, pointed at the test servers when CI provides them.

SALESSTUDIO_TEST_DATABASE_URL / SALESSTUDIO_TEST_REDIS_URL select real PostgreSQL / Redis; without them the suite uses
the embedded defaults (SQLite file, in-process channel layer, file-system Celery broker).
"""

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
os.environ["DATABASE_URL"] = os.environ.get("SALESSTUDIO_TEST_DATABASE_URL", "")
os.environ["REDIS_URL"] = os.environ.get("SALESSTUDIO_TEST_REDIS_URL", "")
os.environ.setdefault("SALESSTUDIO_DATA_DIR", str(_ROOT / "var" / "test"))
os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# The bots speak through espeak-ng here (fast, always there); tests/voice/test_baker.py prepares the default Mandarin
# voice and tests it, and that TTS_ENGINE=baker selects it.
os.environ.setdefault("TTS_ENGINE", "espeak")

from salesstudio.settings import *  # noqa: E402,F403
from salesstudio.settings import DATA_DIR, DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_DEFAULT_QUEUE = "salesstudio-test"
CRM_TIMEOUT_S, CRM_RETRY_DELAYS_S = 1.0, (1, 1)  # a webhook that hangs is retried within seconds here
ALLOWED_HOSTS = ["*"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory: worker and server subprocesses must see the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}
# Subprocesses started by the tests (Celery worker, daphne) are told the test database's name.
if os.environ.get("SALESSTUDIO_TEST_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["SALESSTUDIO_TEST_DB_NAME"]
# Assertions read English messages; pages still choose their language per request (the Playwright fixture's browser
# sends Accept-Language zh-CN, so the browser tests see the Chinese-first UI).
LANGUAGE_CODE = "en"
