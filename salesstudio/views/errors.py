"""Error pages in the product's layout and the user's language, each with a way back (Django's handler403/404, and
`styled_errors` for the 405 that `require_http_methods` answers with an empty body)."""

from __future__ import annotations

from collections.abc import Callable

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


def styled_errors(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Middleware: an empty 405 (a page opened with a method it does not take, e.g. a form's URL typed into the address
    bar) becomes the styled page; htmx requests keep the bare status."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if response.status_code != 405 or response.content or request.headers.get("HX-Request"):
            return response
        page = _error_page(request, 405, "slash-circle", _("This page cannot be opened this way"),
                           _("Use the page's buttons and forms rather than the address bar."))
        page["Allow"] = response.get("Allow", "")
        return page

    return middleware
