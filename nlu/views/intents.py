"""Intents and slots: the list page and their edit/delete views."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from nlu import services
from nlu.forms import ExampleForm, ImportForm, IntentForm, SlotForm
from nlu.models import Intent, Slot
from salesstudio.models import Bot
from salesstudio.permissions import workspace_view

PAGE_SIZE = 100


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="edit")
def intents(request: HttpRequest, bot: Bot) -> HttpResponse:
    """The intents & slots page; POST creates an intent."""
    form = IntentForm(request.POST or None, bot=bot, prefix="intent")
    if request.method == "POST" and form.is_valid():
        intent = form.save()
        messages.success(request, _("Intent “%(name)s” created.") % {"name": intent.name})
        return redirect("nlu:intents", ws=request.workspace.slug, bot=bot.slug)
    selected = services.selected_intent(bot, request.GET.get("intent"))
    examples = bot.examples.select_related("intent")
    examples = examples.filter(intent=selected) if selected else examples
    context = {
        "bot": bot, "intents": services.intents_with_counts(bot), "slots": bot.slots.all(), "intent_form": form,
        "slot_form": SlotForm(bot=bot, prefix="slot"), "selected": selected, "examples": examples[:PAGE_SIZE],
        "example_count": examples.count(),
        "example_form": ExampleForm(bot=bot, initial=_example_initial(request, bot, selected)),
        "adding": bool(request.GET.get("add")),
        "import_form": ImportForm(), "slot_names": list(bot.slots.values_list("name", flat=True)),
        "common_intents": services.available_common_intents(bot),
    }
    return render(request, "nlu/intents.html", context)


def _example_initial(request: HttpRequest, bot: Bot, selected: Intent | None) -> dict:
    """The new-example form's start: `?add=<text>&context=<what the bot said>` (from a call turn) pre-fills the text,
    the context, and what the bot's understanding makes of it (its slot spans; its intent when it is sure)."""
    text = (request.GET.get("add") or "").strip()[:500]
    if not text:
        return {"intent": selected}
    context = (request.GET.get("context") or "").strip()[:500]
    found = services.suggest(bot, text, context)
    return {"text": text, "context": context, "intent": found["intent"] if found["confident"] else selected,
            "spans": json.dumps(found["spans"], ensure_ascii=False)}


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def common_intents_enable(request: HttpRequest, bot: Bot) -> HttpResponse:
    """Switch on the chosen common intents (通用意图)."""
    created = services.do_enable_common_intents(bot, request.POST.getlist("name"))
    if created:
        names = "、".join(i.name for i in created)
        messages.success(request, _("Common intents switched on: %(names)s.") % {"names": names})
    else:
        messages.error(request, _("Choose at least one common intent."))
    return redirect("nlu:intents", ws=request.workspace.slug, bot=bot.slug)


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="edit")
def intent_edit(request: HttpRequest, bot: Bot, intent: int) -> HttpResponse:
    obj = get_object_or_404(Intent, bot=bot, pk=intent)
    form = IntentForm(request.POST or None, bot=bot, instance=obj)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("nlu:intents", ws=request.workspace.slug, bot=bot.slug)
    return render(request, "nlu/edit.html", {"bot": bot, "form": form, "object": obj, "kind": "intent"})


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def intent_delete(request: HttpRequest, bot: Bot, intent: int) -> HttpResponse:
    obj = get_object_or_404(Intent, bot=bot, pk=intent)
    services.do_delete_intent(obj)
    messages.success(request, _("Intent “%(name)s” and its examples deleted.") % {"name": obj.name})
    return redirect("nlu:intents", ws=request.workspace.slug, bot=bot.slug)


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def slot_create(request: HttpRequest, bot: Bot) -> HttpResponse:
    form = SlotForm(request.POST, bot=bot, prefix="slot")
    if not form.is_valid():
        return render(request, "nlu/edit.html", {"bot": bot, "form": form, "kind": "slot"})
    slot = form.save()
    messages.success(request, _("Slot “%(name)s” created.") % {"name": slot.name})
    return redirect("nlu:intents", ws=request.workspace.slug, bot=bot.slug)


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="edit")
def slot_edit(request: HttpRequest, bot: Bot, slot: int) -> HttpResponse:
    obj = get_object_or_404(Slot, bot=bot, pk=slot)
    old_name = obj.name
    form = SlotForm(request.POST or None, bot=bot, instance=obj)
    if request.method == "POST" and form.is_valid():
        services.do_rename_slot_in_spans(bot, old_name, form.save().name)
        messages.success(request, _("Saved."))
        return redirect("nlu:intents", ws=request.workspace.slug, bot=bot.slug)
    return render(request, "nlu/edit.html", {"bot": bot, "form": form, "object": obj, "kind": "slot"})


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def slot_delete(request: HttpRequest, bot: Bot, slot: int) -> HttpResponse:
    obj = get_object_or_404(Slot, bot=bot, pk=slot)
    changed = services.do_delete_slot(obj)
    messages.success(request, _("Slot “%(name)s” deleted (%(n)s examples updated).") % {"name": obj.name, "n": changed})
    return redirect("nlu:intents", ws=request.workspace.slug, bot=bot.slug)
