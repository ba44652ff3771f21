"""Lead grades (意向等级): how warm a finished call's customer is, by rules a manager sets (plain Python, no Django).

The default rules are the ones Chinese outbound platforms use::

    E  not connected / no speech: the customer never said anything
    A  reached a deal outcome, or asked about the business ≥ 2 times and never refused (a question the knowledge
       base answered counts as asking, unless the manager says otherwise)
    B  asked about the business (or said yes) at least once, with at most one refusal
    C  refused ≥ 2 times, or the call lasted ≤ 2 of the customer's turns (or, when the manager sets it, ≤ N seconds)
    D  anything else

checked in that order (E, A, B, C, D). What counts as asking, saying yes and refusing is a list of intents per bot.
`grade(facts, rules)` returns the grade and the code of the rule that fired (`RULES`), which the pages put in words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields

GRADES = ("A", "B", "C", "D", "E")
RULES = ("silent", "deal", "interested", "warm", "refused", "short", "other")


@dataclass(frozen=True)
class CallFacts:
    outcome: str
    intents: tuple[str, ...]  # what the customer's turns were understood as, in order (no intent left out)
    user_turns: int
    knowledge_intents: tuple[str, ...] = ()  # the intent ("" for none) of each turn the knowledge base answered
    seconds: float | None = None  # how long the call lasted (None: not known, e.g. a conversation test)

    @classmethod
    def of(cls, outcome: str, said: list[tuple[str, str]], user_turns: int,
           seconds: float | None = None) -> CallFacts:
        """Facts from the customer's turns as (intent, knowledge-base question answered) pairs ("" for none)."""
        return cls(outcome=outcome, intents=tuple(i for i, _ in said if i), user_turns=user_turns,
                   knowledge_intents=tuple(i for i, k in said if k), seconds=seconds)


@dataclass
class GradingRules:
    interest_intents: list[str] = field(default_factory=lambda: ["询价", "需求确认", "砍价", "物流查询", "售后咨询"])
    yes_intents: list[str] = field(default_factory=lambda: ["肯定"])
    refusal_intents: list[str] = field(default_factory=lambda: ["否定", "挂断", "不感兴趣", "已有供应商", "投诉"])
    deal_outcomes: list[str] = field(default_factory=lambda: ["成交"])
    a_min_interest: int = 2
    b_max_refusals: int = 1
    c_min_refusals: int = 2
    c_max_user_turns: int = 2
    c_max_seconds: int = 0  # 0: how long the call lasted is not looked at
    knowledge_is_interest: bool = True

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict | None) -> GradingRules:
        """Rules from stored JSON; unknown keys are ignored and missing ones take the defaults."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


def grade(facts: CallFacts, rules: GradingRules) -> tuple[str, str]:
    """(grade, rule code) of a finished call."""
    if facts.user_turns == 0:
        return "E", "silent"
    if facts.outcome in rules.deal_outcomes:
        return "A", "deal"
    asked = _count(facts.intents, rules.interest_intents)
    if rules.knowledge_is_interest:  # a question the knowledge base answered, unless its intent already counted
        asked += sum(1 for intent in facts.knowledge_intents if intent not in rules.interest_intents)
    yes = _count(facts.intents, rules.yes_intents)
    refused = _count(facts.intents, rules.refusal_intents)
    if asked >= rules.a_min_interest and refused == 0:
        return "A", "interested"
    if (asked or yes) and refused <= rules.b_max_refusals:
        return "B", "warm"
    if refused >= rules.c_min_refusals:
        return "C", "refused"
    if facts.user_turns <= rules.c_max_user_turns or (
            rules.c_max_seconds and facts.seconds is not None and facts.seconds <= rules.c_max_seconds):
        return "C", "short"
    return "D", "other"


def _count(intents: Iterable[str], wanted: list[str]) -> int:
    chosen = set(wanted)
    return sum(1 for intent in intents if intent in chosen)
