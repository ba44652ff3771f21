"""Lead grades of logged calls: graded when a call ends, re-graded in bulk when a bot's rules change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.utils.translation import gettext_lazy as _

from calls.grading import CallFacts, GradingRules, grade
from calls.models import Call, LeadGrading, Turn

BATCH = 5000
GRADE_LABELS = {"A": _("A · strong intent"), "B": _("B · interested"), "C": _("C · weak"), "D": _("D · unclear"),
                "E": _("E · not reached")}
GRADE_TONES = {"A": "success", "B": "primary", "C": "warning", "D": "secondary", "E": "light"}


def rule_text(code: str, rules: GradingRules) -> str:
    """The rule that gave a grade, in words (for the call page)."""
    texts = {
        "silent": _("the customer never spoke"),
        "deal": _("the call reached a deal outcome"),
        "interested": _("asked about the business %(n)s times or more and never refused") % {"n": rules.a_min_interest},
        "warm": _("asked about the business or said yes, with at most %(n)s refusal(s)") % {"n": rules.b_max_refusals},
        "refused": _("refused %(n)s times or more") % {"n": rules.c_min_refusals},
        "short": (_("the customer spoke %(n)s times or fewer, or the call lasted %(s)s seconds or less")
                  % {"n": rules.c_max_user_turns, "s": rules.c_max_seconds} if rules.c_max_seconds else
                  _("the customer spoke %(n)s times or fewer") % {"n": rules.c_max_user_turns}),
        "other": _("none of the rules above"),
    }
    return str(texts.get(code, ""))


def rules_for(bot) -> GradingRules:  # noqa: ANN001
    row = LeadGrading.objects.filter(bot=bot).first()
    return GradingRules.from_json(row.rules if row else None)


def do_grade_call(call: Call, rules: GradingRules | None = None) -> None:
    """Grade an ended call from its logged turns and store the grade with the rule that gave it."""
    said = list(call.turns.filter(event=Turn.Event.USER).order_by("index").values_list("intent", "knowledge"))
    facts = CallFacts.of(call.outcome, said, len(said), _seconds(call.started_at, call.ended_at))
    call.grade, call.grade_rule = grade(facts, rules or rules_for(call.bot))
    Call.objects.filter(pk=call.pk).update(grade=call.grade, grade_rule=call.grade_rule)


def do_regrade_calls(bot, progress: Callable[[float, str], None] | None = None) -> int:  # noqa: ANN001
    """Grade every ended call of `bot` again with its current rules, in batches; returns how many were graded."""
    rules = rules_for(bot)
    ended = bot.calls.filter(ended_at__isnull=False).order_by("pk")
    total, done, last = ended.count(), 0, 0
    while True:  # plain rows, not model instances: building 5,000 Call objects costs seconds
        calls = list(ended.filter(pk__gt=last).values_list("pk", "outcome", "user_turn_count", "started_at",
                                                           "ended_at")[:BATCH])
        if not calls:
            return done
        said = defaultdict(list)
        for call_id, intent, knowledge in (
                Turn.objects.filter(call_id__in=[c[0] for c in calls], event=Turn.Event.USER)
                .exclude(intent="", knowledge="").order_by("call_id", "index")
                .values_list("call_id", "intent", "knowledge")):
            said[call_id].append((intent, knowledge))
        by_grade = defaultdict(list)  # a handful of (grade, rule) pairs: one UPDATE each, not a CASE per row
        for pk, outcome, user_turns, started, ended_at in calls:
            facts = CallFacts.of(outcome, said[pk], user_turns, _seconds(started, ended_at))
            by_grade[grade(facts, rules)].append(pk)
        for (found, rule), ids in by_grade.items():
            Call.objects.filter(pk__in=ids).update(grade=found, grade_rule=rule)
        done, last = done + len(calls), calls[-1][0]
        if progress:
            progress(done / max(total, 1), f"{done}/{total}")


def _seconds(started, ended) -> float | None:  # noqa: ANN001 — datetimes
    return (ended - started).total_seconds() if started and ended else None


def regrade_job(job, progress: Callable[[float, str], None]) -> dict:  # noqa: ANN001
    """The body of a "regrade_calls" background job (salesstudio.jobs): params {"bot": id}."""
    from salesstudio.models import Bot

    bot = Bot.objects.get(pk=job.params["bot"], workspace=job.workspace)
    return {"graded": do_regrade_calls(bot, progress), "bot": bot.pk}
