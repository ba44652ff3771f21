"""Conversation tests of a bot: the list with the last run (differences, coverage), a test's table of turns and
expectations, saving a logged call as a test, and running them all as a background job with progress."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from calls.calllog.conversation_tests import do_delete_test, do_save_call_as_test, shown_difference
from calls.forms import TestTurnsForm
from calls.models import Call, ConversationTest
from flows.compiler import node_titles
from flows.forms import canvas_labels
from flows.models import FlowVersion
from salesstudio.http import file_response
from salesstudio.jobs import do_start_job
from salesstudio.models import Bot, Job
from salesstudio.permissions import workspace_view


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="edit")
def tests(request: HttpRequest, bot: Bot) -> HttpResponse:
    """GET: the tests and the last run; POST: run them all (a background job)."""
    versions = list(FlowVersion.objects.filter(flow__bot=bot).order_by("-number").values_list("number", flat=True))
    models = list(bot.model_versions.order_by("-number").values_list("number", "is_active"))
    if request.method == "POST":
        chosen = {"version": _number(request.POST.get("version"), versions),
                  "model": _number(request.POST.get("model"), [n for n, _ in models])}
        do_start_job("run_tests", request.workspace, request.user, bot=bot.pk,
                     **{k: v for k, v in chosen.items() if v is not None})
        return redirect("calls:tests", ws=request.workspace.slug, bot=bot.slug)
    run = bot.test_runs.select_related("flow_version", "model_version").first()
    version = FlowVersion.objects.filter(flow__bot=bot).order_by("-number").first()
    titles = node_titles(run.flow_version.program if run and run.flow_version else version and version.program)
    results = {r["test"]: _shown(r, titles) for r in run.results} if run else {}
    rows = [(test, results.get(test.pk)) for test in bot.conversation_tests.all()]
    job = Job.objects.filter(workspace=request.workspace, kind="run_tests", params__bot=bot.pk).first()
    uncovered = [titles.get(node, node) for node in run.coverage.get("uncovered_nodes", [])] if run else []
    graph = run.flow_version.graph if run and run.flow_version and run.coverage else None
    return render(request, "calls/tests.html", {"bot": bot, "rows": rows, "run": run, "job": job,
                                                "uncovered": uncovered, "versions": versions, "models": models,
                                                "coverage_graph": graph, "labels": canvas_labels()})


def _number(value: str | None, allowed: list[int]) -> int | None:
    """A version number the page offered, or None (the default) for anything else."""
    return int(value) if value and value.isdigit() and int(value) in allowed else None


def _shown(result: dict, titles: dict[str, str]) -> dict:
    """A stored result as the page says it: what differed in words, nodes by title."""
    zh = (get_language() or "").startswith("zh")
    heard = {n: t["text"] for n, t in enumerate(result["turns"], start=1) if t.get("audio")}  # what ASR heard
    return {**result, "differences": [{**shown_difference(d, titles, zh=zh), "heard": heard.get(d["turn"])}
                                      for d in result["differences"]]}


@require_http_methods(["GET"])
@workspace_view(read="view")
def tests_job(request: HttpRequest, bot: Bot, job: int) -> HttpResponse:
    found = get_object_or_404(Job, pk=job, workspace=request.workspace)
    return render(request, "calls/tests.html#job", {"bot": bot, "job": found})


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="edit")
def test_edit(request: HttpRequest, bot: Bot, test: int) -> HttpResponse:
    found = get_object_or_404(ConversationTest, pk=test, bot=bot)
    version = FlowVersion.objects.filter(flow__bot=bot).order_by("-number").first()
    titles = node_titles(version.program if version else None)
    form = TestTurnsForm(bot, titles, found, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Test saved."))
        return redirect("calls:tests", ws=request.workspace.slug, bot=bot.slug)
    return render(request, "calls/test_edit.html", {"bot": bot, "test": found, "form": form})


@require_http_methods(["GET"])
@workspace_view(read="view")
def test_audio(request: HttpRequest, bot: Bot, test: int, turn: int) -> HttpResponse:
    """The caller's recording of one turn of a test (1-based), with Range support."""
    turns = get_object_or_404(ConversationTest, pk=test, bot=bot).turns
    name = turns[turn - 1].get("audio") if 1 <= turn <= len(turns) else None
    if not name or not default_storage.exists(name):
        raise Http404
    return file_response(request, default_storage, name, "audio/wav")


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def test_delete(request: HttpRequest, bot: Bot, test: int) -> HttpResponse:
    do_delete_test(get_object_or_404(ConversationTest, pk=test, bot=bot))
    messages.success(request, _("Test deleted."))
    return redirect("calls:tests", ws=request.workspace.slug, bot=bot.slug)


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def call_save_test(request: HttpRequest, bot: Bot, call: int) -> HttpResponse:
    found = get_object_or_404(Call, pk=call, bot=bot)
    try:
        test = do_save_call_as_test(found, request.POST.get("name", "").strip())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("calls:call", ws=request.workspace.slug, bot=bot.slug, call=found.pk)
    messages.success(request, _("Saved as a test case: correct its expectations where the call went wrong."))
    return redirect("calls:test_edit", ws=request.workspace.slug, bot=bot.slug, test=test.pk)
