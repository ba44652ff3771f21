"""Training examples: add (with slot spans chosen by selecting text), edit, relabel, delete, import and export."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from nlu import importing, services
from nlu.forms import ExampleForm, ImportForm
from nlu.models import Intent, TrainingExample
from salesstudio.models import Bot
from salesstudio.permissions import workspace_view


def _back(request: HttpRequest, bot: Bot, intent: Intent | None = None) -> HttpResponse:
    url = reverse("nlu:intents", kwargs={"ws": request.workspace.slug, "bot": bot.slug})
    return redirect(f"{url}?intent={intent.pk}#examples" if intent else f"{url}#examples")


@require_http_methods(["POST"])
@workspace_view(read="annotate", write="annotate")
def example_create(request: HttpRequest, bot: Bot) -> HttpResponse:
    form = ExampleForm(request.POST, bot=bot)
    try:
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        example = services.do_save_example(bot, request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request, bot, form.cleaned_data.get("intent"))
    messages.success(request, _("Example added to “%(intent)s”.") % {"intent": example.intent})
    return _back(request, bot, example.intent)


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="annotate")
def example_edit(request: HttpRequest, bot: Bot, example: int) -> HttpResponse:
    obj = get_object_or_404(TrainingExample, bot=bot, pk=example)
    initial = {"text": obj.text, "intent": obj.intent, "context": obj.context, "spans": json.dumps(obj.spans)}
    form = ExampleForm(request.POST or None, bot=bot, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_save_example(bot, request.user, instance=obj, **form.cleaned_data)
            messages.success(request, _("Saved."))
            return _back(request, bot, obj.intent)
        except ValidationError as exc:
            form.add_error(None, exc)
    context = {"bot": bot, "form": form, "example": obj, "slot_names": list(bot.slots.values_list("name", flat=True))}
    return render(request, "nlu/example_edit.html", context)


@require_http_methods(["POST"])
@workspace_view(read="annotate", write="annotate")
def example_delete(request: HttpRequest, bot: Bot, example: int) -> HttpResponse:
    obj = get_object_or_404(TrainingExample, bot=bot, pk=example)
    obj.delete()
    if request.htmx:
        return HttpResponse("")
    messages.success(request, _("Example deleted."))
    return _back(request, bot, obj.intent)


@require_http_methods(["GET"])
@workspace_view(read="view")
def examples_export(request: HttpRequest, bot: Bot) -> HttpResponse:
    rows = services.export_examples(bot)
    if request.GET.get("format") == "csv":
        body, kind, ext = importing.export_csv(rows), "text/csv; charset=utf-8", "csv"
    else:
        body, kind, ext = importing.export_jsonl(rows), "application/x-ndjson; charset=utf-8", "jsonl"
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{bot.slug}-examples.{ext}"'
    return response


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def examples_import(request: HttpRequest, bot: Bot) -> HttpResponse:
    """Import a CSV/JSONL upload; with problems, nothing is written and the report offers to skip the bad rows."""
    form = ImportForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose a CSV or JSONL file."))
        upload = form.cleaned_data["file"]
        if upload.size > importing.MAX_BYTES:
            raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": importing.MAX_BYTES // 2**20})
        plan = services.check_import(bot, upload.read(), upload.name)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request, bot)
    if plan.needs_review:
        token = _stash(request, bot, plan)
        return render(request, "nlu/import_report.html", {"bot": bot, "plan": plan, "token": token})
    counts = services.do_import_rows(bot, request.user, plan.rows)
    messages.success(request, _import_summary(counts, plan))
    return _back(request, bot)


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def examples_import_confirm(request: HttpRequest, bot: Bot) -> HttpResponse:
    """Import the good rows of a checked upload, skipping the rows with errors or conflicts."""
    rows = _unstash(request, bot, request.POST.get("token", ""))
    if rows is None:
        messages.error(request, _("This import has expired: upload the file again."))
        return _back(request, bot)
    counts = services.do_import_rows(bot, request.user, rows)
    messages.success(request, _import_summary(counts, None))
    return _back(request, bot)


def _import_summary(counts: dict, plan: services.ImportPlan | None) -> str:
    text = _("Imported %(examples)s examples (%(intents)s new intents, %(slots)s new slots).") % counts
    if plan and plan.duplicates:
        text += " " + _("%(n)s duplicates merged.") % {"n": plan.duplicates}
    return text


def _stash(request: HttpRequest, bot: Bot, plan: services.ImportPlan) -> str:
    """Keep the checked rows until the editor confirms; the token only works in this session, for this bot."""
    token = services.stash_rows([r.as_example() for r in plan.rows])
    request.session[f"nlu-import-{token}"] = bot.pk
    return token


def _unstash(request: HttpRequest, bot: Bot, token: str) -> list[dict] | None:
    if request.session.pop(f"nlu-import-{token}", None) != bot.pk:
        return None
    return services.take_rows(token)
