"""Checked imports waiting for the editor's confirmation, kept on disk (files can be large; a session cannot hold them)
for at most STASH_TTL: an unconfirmed one expires, and the worker's sweep deletes what was left behind."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

from django.conf import settings

STASH_TTL = 24 * 3600  # seconds


def _folder() -> Path:
    folder = settings.DATA_DIR / "nlu-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stash_rows(rows: list[dict]) -> str:
    """Keep `rows`; the token names them (the caller binds it to the user's session)."""
    token = secrets.token_urlsafe(16)
    (_folder() / f"{token}.json").write_text(json.dumps(rows, ensure_ascii=False))
    return token


def take_rows(token: str) -> list[dict] | None:
    """The stashed rows, once; None when unknown or older than STASH_TTL."""
    if not token.replace("-", "").replace("_", "").isalnum():  # the token names a file
        return None
    path = _folder() / f"{token}.json"
    try:
        fresh = time.time() - path.stat().st_mtime < STASH_TTL
        rows = json.loads(path.read_text()) if fresh else None
    except (OSError, ValueError):
        return None
    finally:
        path.unlink(missing_ok=True)
    return rows


def do_clean_stash() -> int:
    """Delete stashed imports older than STASH_TTL (a sweep: the worker runs it on its timer); how many."""
    stale = [p for p in _folder().glob("*.json") if time.time() - p.stat().st_mtime >= STASH_TTL]
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)
