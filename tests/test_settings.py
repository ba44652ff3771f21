"""Settings come from the environment and bad values stop start-up with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "SALESSTUDIO_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "salesstudio.settings"}
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], s.CELERY_BROKER_URL, s.DEBUG)")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True)


def test_embedded_defaults(tmp_path):
    out = load_settings(tmp_path).stdout.split()
    assert out == ["django.db.backends.sqlite3", "channels.layers.InMemoryChannelLayer", "filesystem://", "False"]


def test_production_services_from_the_environment(tmp_path):
    out = load_settings(tmp_path, DATABASE_URL="postgres://u@db:5432/ss", REDIS_URL="redis://cache:6379/1").stdout.split()
    assert out[:3] == ["django.db.backends.postgresql", "channels_redis.core.RedisChannelLayer", "redis://cache:6379/1"]


@pytest.mark.parametrize(("name", "value", "message"), [
    ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
    ("DATABASE_URL", "mysql://x/y", "DATABASE_URL='mysql://x/y': scheme must be one of"),
    ("REDIS_URL", "http://x", "REDIS_URL='http://x': scheme must be one of"),
    ("UPLOAD_MAX_MB", "lots", "UPLOAD_MAX_MB='lots' is not an integer"),
])
def test_bad_values_fail_loudly(tmp_path, name, value, message):
    result = load_settings(tmp_path, **{name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_secret_key_is_generated_once_per_data_folder(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    env = {"PATH": os.environ["PATH"], "SALESSTUDIO_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "salesstudio.settings"}
    first = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True).stdout
    second = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True).stdout
    assert len(first.strip()) >= 50 and first == second


def test_the_readmes_production_settings_pass_the_deploy_check(tmp_path):
    """README "Production" plus HSTS: `manage.py check --deploy` has nothing to say."""
    env = {"PATH": os.environ["PATH"], "SALESSTUDIO_DATA_DIR": str(tmp_path),
           "DATABASE_URL": "postgres://u@db:5432/ss", "REDIS_URL": "redis://cache:6379/1",
           "SECRET_KEY": "x" * 20 + "kT9#q2Lm!vB7@zR4%wY8&nC3^pJ6*hF1", "ALLOWED_HOSTS": "studio.example.com",
           "CSRF_TRUSTED_ORIGINS": "https://studio.example.com", "BEHIND_HTTPS_PROXY": "1",
           "SESSION_COOKIE_SECURE": "1", "SECURE_SSL_REDIRECT": "1", "SECURE_HSTS_SECONDS": "31536000",
           "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1", "SECURE_HSTS_PRELOAD": "1"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_pages_carry_a_content_security_policy_that_allows_scripts_from_the_site_only(client):
    header = client.get("/accounts/login/")["Content-Security-Policy"]
    policy = {part.strip() for part in header.split(";")}  # django-csp does not keep the directives' order
    assert {"script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"} <= policy
