"""The knowledge base (知识库) of a bot: its entries with how often each answered a caller, what callers asked that
nothing answered (add it as a phrasing, or start a new entry from it), import/export CSV and the matching threshold."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from calls.calllog import knowledge as services
from calls.forms import KnowledgeEntryForm, KnowledgeImportForm, KnowledgeThresholdForm
from nlu.knowledge import DEFAULT_THRESHOLD
from nlu.models import KnowledgeEntry, knowledge_threshold
from salesstudio.models import Bot
from salesstudio.permissions import workspace_view


def _back(request: HttpRequest, bot: Bot) -> HttpResponse:
    return redirect("calls:knowledge", ws=request.workspace.slug, bot=bot.slug)


def _saved(request: HttpRequest, bot: Bot, form: KnowledgeEntryForm, entry: KnowledgeEntry | None) -> bool:
    """Save a posted entry form (a new entry when `entry` is None); a question another entry has is a form error."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        services.do_save_entry(bot, entry, form.cleaned_data["entry"])
    except ValidationError as exc:
        form.add_error("question", exc)
        return False
    return True


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="edit")
def knowledge(request: HttpRequest, bot: Bot) -> HttpResponse:
    """GET: the page (`?question=` prefills a new entry); POST: a new entry."""
    form = KnowledgeEntryForm(request.POST or None, slots=_slots(bot),
                              initial={"question": request.GET.get("question", "")[:200]})
    if _saved(request, bot, form, None):
        messages.success(request, _("Added. Publish the flow for calls to use it."))
        return _back(request, bot)
    entries = list(bot.knowledge.order_by("id"))
    hits = services.hits(bot)
    most = max(hits.values(), default=0)
    unanswered = services.unanswered(bot)
    nearest = services.nearest_questions(bot, [item["text"] for item in unanswered])
    for item in unanswered:
        item["nearest"] = nearest.get(item["text"], "")
    rows = [(entry, hits.get(entry.question, 0), round(100 * hits.get(entry.question, 0) / most) if most else 0)
            for entry in entries]
    return render(request, "calls/knowledge.html", {
        "bot": bot, "form": form, "rows": rows, "unanswered": unanswered, "days": services.WINDOW_DAYS,
        "import_form": KnowledgeImportForm(), "default_threshold": DEFAULT_THRESHOLD,
        "threshold_form": KnowledgeThresholdForm(initial={"threshold": knowledge_threshold(bot)}),
        "entries": entries,
        "unpublished": services.unpublished(bot), "q": request.GET.get("q", ""),
        "match": services.try_question(bot, request.GET.get("q", "")), "threshold": knowledge_threshold(bot)})


@require_http_methods(["GET"])
@workspace_view(read="view")
def knowledge_try(request: HttpRequest, bot: Bot) -> HttpResponse:
    """`?q=`: the entry the knowledge base would answer with, its score and why not (a fragment for htmx)."""
    text = request.GET.get("q", "")
    match = services.try_question(bot, text)
    if not request.htmx:
        return redirect(f"{reverse('calls:knowledge', kwargs={'ws': request.workspace.slug, 'bot': bot.slug})}"
                        f"?{urlencode({'q': text})}#try")
    return render(request, "calls/knowledge.html#try", {"bot": bot, "match": match, "q": text,
                                                        "threshold": knowledge_threshold(bot)})


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="edit")
def knowledge_entry(request: HttpRequest, bot: Bot, entry: int) -> HttpResponse:
    item = get_object_or_404(KnowledgeEntry, bot=bot, pk=entry)
    form = KnowledgeEntryForm.for_entry(item, request.POST or None, slots=_slots(bot))
    if _saved(request, bot, form, item):
        messages.success(request, _("Saved. Publish the flow for calls to use it."))
        return _back(request, bot)
    return render(request, "calls/knowledge_entry.html", {"bot": bot, "form": form, "entry": item})


@require_http_methods(["POST"])
@workspace_view(write="edit")
def knowledge_delete(request: HttpRequest, bot: Bot, entry: int) -> HttpResponse:
    get_object_or_404(KnowledgeEntry, bot=bot, pk=entry).delete()
    messages.success(request, _("Deleted."))
    return _back(request, bot)


@require_http_methods(["POST"])
@workspace_view(write="edit")
def knowledge_add_phrasing(request: HttpRequest, bot: Bot) -> HttpResponse:
    """What a caller said that nothing answered, taught to the entry the manager chose."""
    chosen = request.POST.get("entry", "")
    item = KnowledgeEntry.objects.filter(bot=bot, pk=int(chosen)).first() if chosen.isdigit() else None
    if item is None:
        messages.error(request, _("Choose the question it asks."))
    elif services.do_add_phrasing(item, request.POST.get("text", "")):
        messages.success(request, _("“%(text)s” is now a way of asking “%(question)s”.")
                         % {"text": request.POST["text"].strip(), "question": item.question})
    else:
        messages.info(request, _("Nothing added: the question already has this phrasing."))
    return _back(request, bot)


@require_http_methods(["POST"])
@workspace_view(write="edit")
def knowledge_import(request: HttpRequest, bot: Bot) -> HttpResponse:
    form = KnowledgeImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a CSV file."))
        return _back(request, bot)
    try:
        result = services.do_import_knowledge(bot, form.cleaned_data["file"].read())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request, bot)
    messages.success(request, _("%(created)s questions added, %(updated)s replaced.")
                     % {"created": result.created, "updated": result.updated})
    for problem in result.problems[:20]:
        messages.warning(request, problem)
    return _back(request, bot)


@require_http_methods(["GET"])
@workspace_view(read="view")
def knowledge_export(request: HttpRequest, bot: Bot) -> HttpResponse:
    response = HttpResponse(services.export_knowledge(bot), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="knowledge.csv"'
    return response


@require_http_methods(["POST"])
@workspace_view(write="edit")
def threshold(request: HttpRequest, bot: Bot) -> HttpResponse:
    form = KnowledgeThresholdForm(request.POST)
    if form.is_valid():
        services.do_set_threshold(bot, form.cleaned_data["threshold"])
        messages.success(request, _("Saved. Publish the flow for calls to use it."))
    else:
        messages.error(request, _("The threshold must be a number between 0 and 0.5."))
    return _back(request, bot)


def _slots(bot: Bot) -> list[str]:
    return list(bot.slots.values_list("name", flat=True))
