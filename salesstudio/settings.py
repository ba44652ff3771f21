"""SalesStudio settings: every deployment-specific value comes from the environment (see README, "Settings").

Embedded defaults (nothing set): SQLite in the data folder, the in-process channel layer, and a Celery broker on the
file system that a real worker process consumes. Production sets DATABASE_URL (PostgreSQL) and REDIS_URL.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from salesstudio.env import env_bool, env_int, env_list, env_path, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_path("SALESSTUDIO_DATA_DIR", BASE_DIR / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    # A per-installation key kept in the data folder, so `make run` needs no configuration and restarts keep sessions.
    _key_file = DATA_DIR / "secret_key"
    if not _key_file.exists():
        import secrets

        _key_file.write_text(secrets.token_urlsafe(50))
    SECRET_KEY = _key_file.read_text().strip()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",  # its widget templates, for FORM_RENDERER
    "channels",
    "axes",
    "django_htmx",
    "template_partials",
    "salesstudio",
    "flows",
    "nlu",
    "voice",
    "calls",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "salesstudio.views.errors.styled_errors",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the locked-out page
]

ROOT_URLCONF = "salesstudio.urls"
# The WebSocket routes, named like ROOT_URLCONF so the project package does not import the apps above it.
WEBSOCKET_URLCONF = "calls.routing"
# The body of each kind of background job (salesstudio.jobs).
JOB_FUNCTIONS = {"import_bot": "flows.bundles.import_bot_job", "regrade_calls": "calls.calllog.grades.regrade_job",
                 "run_tests": "calls.calllog.conversation_tests.run_tests_job"}
# Publishing a flow version first runs the bot's conversation tests on it (flows cannot import calls: named here).
PUBLISH_GATE = "calls.calllog.conversation_tests.publish_gate"
ACTIVATION_GATE = "calls.calllog.conversation_tests.activation_gate"  # and activating a model version
ASGI_APPLICATION = "salesstudio.asgi.application"
WSGI_APPLICATION = "salesstudio.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "salesstudio.context_processors.navigation",
            ],
        },
    }
]
# Widgets render with the templates above, so a widget of the product's own (salesstudio.forms.FilePicker) is found.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASE_URL = env_url("DATABASE_URL", schemes=("postgres", "postgresql", "sqlite"))
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{DATA_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the timeout rides out short write locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # Covering indexes (INCLUDE) are a PostgreSQL speed-up; SQLite builds the plain index, which is all it needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Celery: Redis when configured, otherwise a broker in the data folder that a real worker process polls.
CELERY_QUEUE_DIR = DATA_DIR / "celery"
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {}
    if REDIS_URL
    else {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.5,
    }
)
if not REDIS_URL:
    for _folder in ("queue", "control", "results"):
        (CELERY_QUEUE_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = REDIS_URL or f"file://{CELERY_QUEUE_DIR / 'results'}"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_WORKER_CONCURRENCY = env_int("CELERY_WORKER_CONCURRENCY", 2, minimum=1)
# Background work (training, transcription, imports) runs this much nicer than live calls (0 = as nice as they are).
WORKER_NICENESS = env_int("WORKER_NICENESS", 10, minimum=0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username, or from one address, that
# username / address is locked out for LOGIN_LOCKOUT_MINUTES (a workspace owner can unlock a member at once).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "salesstudio.views.accounts.locked_out"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]  # behind a proxy, name its header (e.g. HTTP_X_FORWARDED_FOR)
# Password-reset mail: printed on the console unless an SMTP server is configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "SalesStudio <noreply@localhost>")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing folder before the first collectstatic
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules/bootstrap/dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules/bootstrap-icons/font"),
    ("vendor/echarts", BASE_DIR / "node_modules/echarts/dist"),
    ("vendor/logicflow/core", BASE_DIR / "node_modules/@logicflow/core/dist"),
    ("vendor/logicflow/extension", BASE_DIR / "node_modules/@logicflow/extension/dist"),
    ("vendor/dagre", BASE_DIR / "node_modules/dagre/dist"),
]
# Serve straight from the finders in development and tests; production runs collectstatic (done by the set-up).
WHITENOISE_USE_FINDERS = DEBUG or env_bool("WHITENOISE_USE_FINDERS", True)
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_HTTPS_PROXY", False) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Scripts only from this site (no inline script or handler anywhere: see static/js/app.js); inline styles are allowed,
# the chart and canvas libraries set them. The live call's WebSocket is same-origin ('self').
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
    "default-src": [SELF], "script-src": [SELF], "style-src": [SELF, "'unsafe-inline'"],
    "img-src": [SELF, "data:", "blob:"], "font-src": [SELF, "data:"], "media-src": [SELF, "blob:"],
    "connect-src": [SELF], "worker-src": [SELF, "blob:"], "object-src": [NONE], "base-uri": [SELF],
    "form-action": [SELF], "frame-ancestors": [NONE]}}

# Uploads: recordings may be large; Django streams them to temporary files above this size.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_MB", 200, minimum=1) * 1024 * 1024
# A request body over this is refused before it is received (salesstudio.bodylimit): one upload at the limit fits.
REQUEST_MAX_BYTES = UPLOAD_MAX_BYTES + 1024 * 1024
# The address people reach this installation at: links in pushed call results point there.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# CRM push (calls.crm): a webhook not answering within CRM_TIMEOUT_S is tried again after each delay, then given up.
CRM_TIMEOUT_S = 5.0
CRM_RETRY_DELAYS_S = (10, 60, 300, 1800)
# A longer recording is refused at upload (10 hours of silence compress to a few MB but would not fit in memory).
RECORDING_MAX_MINUTES = env_int("RECORDING_MAX_MINUTES", 120, minimum=1)
MAX_UTTERANCE_SECONDS = env_int("MAX_UTTERANCE_SECONDS", 15, minimum=2)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Models: local folders only (no model hub is reachable). Empty means "the copy prepared in the data folder".
NLU_BASE_MODEL = env_str("NLU_BASE_MODEL")
ASR_MODEL = env_str("ASR_MODEL")
TTS_ENGINE = env_str("TTS_ENGINE", "baker")
TTS_MODEL = env_str("TTS_MODEL")
MODELS_DIR = DATA_DIR / "models"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"},
                "axes": {"level": "WARNING"}},  # a line per login otherwise
}

MESSAGE_TAGS = {40: "danger"}
