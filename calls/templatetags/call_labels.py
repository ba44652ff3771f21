"""Template filters of the call pages: a flow node as a manager knows it (its title), not by its id; an outcome in
the colour of what it means."""

from __future__ import annotations

from django import template

from calls.calllog.grades import GRADE_LABELS, GRADE_TONES
from calls.models import OUTCOME_TONES
from flows.compiler import node_titles

register = template.Library()


@register.filter
def grade_tone(grade: str) -> str:
    """`text-bg-{{ call.grade|grade_tone }}`: A green, B blue, C amber, D grey, E light."""
    return GRADE_TONES.get(grade, "light")


@register.filter
def grade_label(grade: str) -> str:
    """`{{ call.grade|grade_label }}`: "A · 意向强"…, empty for a call not graded (still open)."""
    return str(GRADE_LABELS.get(grade, ""))


@register.filter
def node_title(node_id: str | None, flow_version) -> str:  # noqa: ANN001
    """`{{ call.end_node|node_title:call.flow_version }}`: the node's title in that version (its id if untitled)."""
    if not node_id:
        return ""
    return node_titles(getattr(flow_version, "program", None)).get(node_id, node_id)


@register.filter
def outcome_tone(outcome: str) -> str:
    """`text-bg-{{ call.outcome|outcome_tone }}`: 成交 success, 意向/回访 warning, 拒绝/挂断/断线 danger,
    转人工 primary."""
    return OUTCOME_TONES.get(outcome, "secondary")
