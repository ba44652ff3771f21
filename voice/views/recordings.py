"""Recordings pages: the list with uploads and live progress, the transcript with its player, editing and labelling."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from salesstudio.models import Bot
from salesstudio.permissions import workspace_view
from voice import services
from voice.forms import LabelForm, LimitedUploadHandler, SegmentTextForm, UploadForm
from voice.models import Recording, Segment


def _list_context(request: HttpRequest, bot: Bot) -> dict:
    rows = bot.recordings.select_related("uploaded_by").annotate(
        n_segments=Count("segments"), n_labelled=Count("segments", filter=Q(segments__example__isnull=False)))
    return {"bot": bot, "recordings": rows, "any_active": any(r.is_active for r in rows),
            "can_edit": request.membership.can_edit, "max_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)}


@require_http_methods(["GET"])
@workspace_view(read="view")
def recordings(request: HttpRequest, bot: Bot) -> HttpResponse:
    """The list; htmx polls the `table` fragment while a recording is being transcribed."""
    context = {**_list_context(request, bot), "form": UploadForm()}
    template = "voice/recordings.html#table" if request.htmx else "voice/recordings.html"
    return render(request, template, context)


@require_http_methods(["POST"])
@csrf_exempt  # the size cap must be in place before anything reads the body; _upload checks CSRF itself
@workspace_view(read="edit", write="edit")
def recording_upload(request: HttpRequest, bot: Bot) -> HttpResponse:
    request.upload_handlers.insert(0, LimitedUploadHandler(settings.UPLOAD_MAX_BYTES, request))
    return _upload(request, bot)


@csrf_protect
def _upload(request: HttpRequest, bot: Bot) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    results = services.do_upload_recordings(bot, form.cleaned_data["files"], request.user) if form.is_valid() else []
    context = {**_list_context(request, bot), "form": form, "results": results}
    if not request.htmx:
        return render(request, "voice/recordings.html", context)
    response = render(request, "voice/recordings.html#upload", context)
    return trigger_client_event(response, "recordings-changed") if results else response


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def recording_retry(request: HttpRequest, bot: Bot, recording: int) -> HttpResponse:
    rec = get_object_or_404(Recording, pk=recording, bot=bot)
    if services.do_retry_recording(rec):
        messages.info(request, _("“%(name)s” is queued again.") % {"name": rec.original_name})
    return redirect("voice:recordings", ws=request.workspace.slug, bot=bot.slug)


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def recording_delete(request: HttpRequest, bot: Bot, recording: int) -> HttpResponse:
    rec = get_object_or_404(Recording, pk=recording, bot=bot)
    services.do_delete_recording(rec)
    messages.success(request, _("Deleted %(name)s.") % {"name": rec.original_name})
    url = reverse("voice:recordings", kwargs={"ws": request.workspace.slug, "bot": bot.slug})
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_http_methods(["GET"])
@workspace_view(read="view")
def recording_audio(request: HttpRequest, bot: Bot, recording: int) -> HttpResponse:
    return services.audio_response(request, get_object_or_404(Recording, pk=recording, bot=bot))


@require_http_methods(["GET"])
@workspace_view(read="view")
def transcript(request: HttpRequest, bot: Bot, recording: int) -> HttpResponse:
    """The player and the segments; `?segment=<pk>` opens that segment's label panel (the no-JavaScript path)."""
    rec = get_object_or_404(Recording, pk=recording, bot=bot)
    segments = rec.segments.select_related("example__intent")
    context = {"bot": bot, "recording": rec, "segments": segments, "can_annotate": request.membership.can_annotate}
    wanted = request.GET.get("segment", "")
    selected = segments.filter(pk=wanted).first() if wanted.isdigit() else None
    if selected is not None:
        context.update(_label_context(request, bot, selected))
    return render(request, "voice/transcript.html", context)


def _segment(bot: Bot, pk: int) -> Segment:
    return get_object_or_404(Segment.objects.select_related("recording", "example__intent"), pk=pk,
                             recording__bot=bot)


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="annotate")
def segment_text(request: HttpRequest, bot: Bot, segment: int) -> HttpResponse:
    """GET: the inline editor of a segment's text; POST: save it and return the segment's row."""
    seg = _segment(bot, segment)
    form = SegmentTextForm(request.POST or None, initial={"text": seg.text})
    context = {"bot": bot, "recording": seg.recording, "seg": seg, "can_annotate": request.membership.can_annotate}
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_segment_text(seg, form.cleaned_data["text"])
            return render(request, "voice/transcript.html#segment", context)
        except ValidationError as exc:
            form.add_error("text", exc)
    if request.GET.get("cancel"):
        return render(request, "voice/transcript.html#segment", context)
    return render(request, "voice/transcript.html#segment_edit", {**context, "form": form})


def _label_context(request: HttpRequest, bot: Bot, seg: Segment, form: LabelForm | None = None) -> dict:
    suggestion = services.suggest_labels(bot, seg.text) if request.GET.get("suggest") else None
    if form is None:
        example = seg.example
        initial = {"intent": example.intent_id if example else None,
                   "spans": services.spans_json(example.spans if example else [])}
        if suggestion and suggestion["confident"]:
            initial = {"intent": getattr(suggestion["intent"], "pk", None),
                       "spans": services.spans_json(suggestion["spans"])}
        form = LabelForm(bot=bot, initial=initial)
    return {"seg": seg, "label_form": form, "suggestion": suggestion, "slots": bot.slots.all(),
            "can_suggest": services.can_suggest(bot)}


@require_http_methods(["POST"])
@workspace_view(read="annotate", write="annotate")
def segment_skip(request: HttpRequest, bot: Bot, segment: int) -> HttpResponse:
    """"Irrelevant / skip": the segment is not asked for a label again and never becomes a training example."""
    seg = _segment(bot, segment)
    services.do_skip_segment(seg)
    context = {"bot": bot, "recording": seg.recording, "can_annotate": True, "saved": False}
    response = render(request, "voice/transcript.html#label_panel", {**context, **_label_context(request, bot, seg)})
    return trigger_client_event(response, "toast", {"text": _("Marked as irrelevant."), "level": "secondary"})


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="annotate")
def segment_label(request: HttpRequest, bot: Bot, segment: int) -> HttpResponse:
    """GET: the label panel of a segment (`?suggest=1` pre-fills it from the bot's understanding); POST: save the example."""
    seg = _segment(bot, segment)
    if request.method == "GET" and not request.htmx:
        url = reverse("voice:transcript", kwargs={"ws": request.workspace.slug, "bot": bot.slug,
                                                  "recording": seg.recording_id})
        return redirect(f"{url}?segment={seg.pk}")
    form = LabelForm(request.POST, bot=bot) if request.method == "POST" else None
    context = {"bot": bot, "recording": seg.recording, "can_annotate": request.membership.can_annotate, "saved": False}
    if form is not None and form.is_valid():
        try:
            services.do_label_segment(seg, request.user, intent=form.cleaned_data["intent"],
                                      spans=form.cleaned_data["spans"])
            context["saved"], form = True, None
        except ValidationError as exc:
            form.add_error(None, exc)
    response = render(request, "voice/transcript.html#label_panel", {**context, **_label_context(request, bot, seg, form)})
    if context["saved"]:
        trigger_client_event(response, "toast", {"text": _("Saved as a training example."), "level": "success"})
    return response
