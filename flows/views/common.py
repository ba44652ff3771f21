"""Helpers shared by the flow views: what the templates show of compile results and conflicts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import get_language

from flows.compiler import CompileResult
from flows.models import Flow
from nlu import jsonguard
from nlu.jsonguard import UnsafeJson


def localised(items: list[dict]) -> list[dict]:
    """Diagnostics with a `message` in the active language."""
    zh = (get_language() or "").startswith("zh")
    return [{**item, "message": item["message_zh"] if zh else item["message_en"]} for item in items]


def issues(result: CompileResult | None) -> list[dict]:
    if result is None:
        return []
    return localised([d.to_dict() for d in result.errors] + [d.to_dict() for d in result.warnings])


def who_and_when(flow: Flow) -> dict[str, str]:
    user = flow.updated_by.get_username() if flow.updated_by else "—"
    return {"by": user, "at": date_format(localtime(flow.updated_at), "Y-m-d H:i:s")}


def posted_json(request: HttpRequest, name: str) -> Any:
    """The JSON in a form field, or None when it is missing or not JSON."""
    try:
        return jsonguard.loads(request.POST.get(name, ""))
    except UnsafeJson:
        return None
