"""Lead grading: the bot's rules (a form, no code), and re-grading past calls as a background job with progress."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from calls.calllog.grades import GRADE_LABELS, rule_text, rules_for
from calls.forms import GradingForm
from calls.grading import RULES
from calls.models import LeadGrading
from salesstudio.jobs import do_start_job
from salesstudio.models import Bot, Job
from salesstudio.permissions import workspace_view


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="edit")
def grading(request: HttpRequest, bot: Bot) -> HttpResponse:
    rules = rules_for(bot)
    form = GradingForm(bot, rules, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            LeadGrading.objects.update_or_create(bot=bot, defaults={"rules": form.rules().to_json()})
            if form.cleaned_data["regrade"]:
                do_start_job("regrade_calls", request.workspace, request.user, bot=bot.pk)
        messages.success(request, _("Grading rules saved."))
        return redirect("calls:grading", ws=request.workspace.slug, bot=bot.slug)
    job = Job.objects.filter(workspace=request.workspace, kind="regrade_calls", params__bot=bot.pk).first()
    mix = {row["grade"]: row["n"] for row in bot.calls.exclude(grade="").values("grade").annotate(n=Count("id"))}
    context = {"bot": bot, "form": form, "job": job, "grades_total": sum(mix.values()),
               "grades": [(g, label, mix.get(g, 0)) for g, label in GRADE_LABELS.items()],
               "rules_in_words": [rule_text(code, rules) for code in RULES]}
    return render(request, "calls/grading.html", context)


@require_http_methods(["GET"])
@workspace_view(read="view")
def grading_job(request: HttpRequest, bot: Bot, job: int) -> HttpResponse:
    found = get_object_or_404(Job, pk=job, workspace=request.workspace)
    return render(request, "calls/grading.html#job", {"bot": bot, "job": found})
