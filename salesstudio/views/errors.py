"""Error pages in the product's layout and the user's language, each with a way back (Django's handler403/404)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 403, "shield-lock", _("You cannot open this page"),
                       _("Your role in this workspace does not allow it. Ask the workspace owner if you need access."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 404, "signpost", _("Page not found"),
                       _("The page does not exist (any more), or it belongs to a workspace you are not a member of."))


def _error_page(request: HttpRequest, status: int, icon: str, title: str, text: str) -> HttpResponse:
    referer = request.headers.get("Referer", "")
    safe = referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure())
    back = referer if safe and referer != request.build_absolute_uri() else reverse("home")
    context = {"error_icon": icon, "error_title": title, "error_text": text, "back_url": back}
    return render(request, "error.html", context, status=status)
