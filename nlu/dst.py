"""Dialogue state tracking: what the caller has told the bot so far, turn by turn.

:func:`update` is pure: ``(state, turn) → new state``; the input state is never modified.

A turn is what the NLU runtime made of one caller utterance::

    {"text": "不是50米，是80米", "intent": "需求确认", "confidence": 0.93,
     "spans": [{"slot": "扬程", "start": 2, "end": 5, "text": "50米", "value": 50, "confidence": 0.9}, ...],
     "asked_slots": ["扬程"],                  # what the bot's last prompt asked for
     "slot_types": {"扬程": "number", "产品型号": {"type": "enum", "values": [...]}, ...},
     "ref_date": "2026-11-20"}                 # optional: anchors relative dates (default today)

``slot_types`` maps each slot to its type, or to its whole definition (``type``, ``unit``, ``values``), which lets a
bare answer be read in the slot's unit or enum; a ``"slots"`` list of definitions is accepted too. Spans without
``value`` are normalised here; spans below :data:`MIN_CONFIDENCE` and spans for slots not in ``slot_types`` (when it
is given) are ignored.

The state::

    {"slots": {"扬程": {"value": 80, "confidence": 0.9, "turn": 3}, ...},
     "topic": {"slot": "产品型号", "value": "离心泵", "intent": "物流查询", "turn": 1, "carried": True},
     "turn": 3, "changed": ["扬程"]}

Rules, in order: spans right after a negation (不是, 不要, 唔系, 莫要 …) or followed by one (…不要了) are negated,
and clear the slot when it holds that value; the last remaining span per slot wins, and replaces the old value when
it is at least :data:`REPLACE_CONFIDENCE` sure, at least as sure as the old one, or a correction (改成, 不对 …, or a
negated value of the same slot in the turn); repeating a value raises its confidence; 不要那个型号了 clears the slot
it names. When a slot was asked for and no span fills it, a numeric span that names no slot (no unit, no slot
word) moves to it, or else the whole utterance is read as that slot's type (五十 → 50). The topic is the last enum
value mentioned, carried over (``carried: True``) through turns that mention none (有没有现货 after 离心泵多少钱).
"""

from __future__ import annotations

import copy
import re
from datetime import date
from typing import Any

from nlu.lexicon import slot_keywords
from nlu.normalize import SLOT_TYPES, canonical_text, is_approximate, normalize

MIN_CONFIDENCE = 0.3
REPLACE_CONFIDENCE = 0.5
BARE_CONFIDENCE = 0.8
NUMERIC = frozenset({"number", "quantity", "money"})

_CLAUSE_END = "，,。.!！?？;；\n"
_NEGATION = re.compile(r"不是|不要|不用|不需要|不想要|唔系|唔要|唔使|莫要|别要|冇要|不系|并非")
_NOT_A_LIMIT = r"(?!太|那么|这么|超过|高于|低于|少于|多于|大于|小于)"  # 数量不要太多 limits, it does not drop
_NEGATION_AFTER = re.compile(r"^(?:的|了|嘅|噻)?(?:就|也)?(?:不要|不对|不行|不用|不需要|算了|唔要|莫要|冇要|取消)"
                             + _NOT_A_LIMIT)
_CORRECTION = re.compile(r"改成|换成|改为|改到|应该是|其实是|不对|说错了|搞错了|讲错了|更正|唔系|不是")
_NEG_VERB = r"(?:不要|不用|不需要|不想要|唔要|莫要|别要|冇要|取消|去掉|删掉)"
_PRONOUN = r"(?:那个|这个|勒个|嘞个|呢个|嗰个|那种|这种|那款|这款|这|那)"
_REFUSED_TEXT = re.compile(r"不|没|别|唔|冇|莫")


def initial_state() -> dict:
    """The state before the first turn."""
    return {"slots": {}, "topic": {}, "turn": 0, "changed": []}


def slot_values(state: dict | None) -> dict[str, Any]:
    """``{slot: value}`` of every filled slot, for the flow runtime's conditions and ``{slot}`` templates."""
    return {name: entry["value"] for name, entry in ((state or {}).get("slots") or {}).items()}


def _definitions(turn: dict) -> dict[str, dict]:
    defs: dict[str, dict] = {}
    for name, kind in (turn.get("slot_types") or {}).items():
        defs[name] = dict(kind) if isinstance(kind, dict) else {"type": kind}
    for slot in turn.get("slots") or []:  # a list of full definitions is accepted too
        if isinstance(slot, dict) and slot.get("name"):
            defs[slot["name"]] = {**defs.get(slot["name"], {}), **slot}
    for name, d in defs.items():
        d["name"] = name
        d["type"] = d.get("type") if d.get("type") in SLOT_TYPES else "text"
    return defs


def _ref_date(turn: dict) -> date | None:
    ref = turn.get("ref_date")
    if isinstance(ref, date):
        return ref
    try:
        return date.fromisoformat(ref) if isinstance(ref, str) else None
    except ValueError:
        return None


def _normalise(d: dict, text: str, ref: date | None) -> Any:
    return normalize(d["type"], text, unit=d.get("unit") or None, ref_date=ref, values=d.get("values"))


def _clean_spans(turn: dict, text: str, defs: dict[str, dict]) -> list[dict]:
    """Spans with valid offsets, a known slot, a value and a confidence, sorted by start."""
    spans = []
    default = turn.get("confidence") if isinstance(turn.get("confidence"), (int, float)) else 1.0
    for raw in turn.get("spans") or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("slot"), str):
            continue
        slot, start, end = raw["slot"], raw.get("start"), raw.get("end")
        if defs and slot not in defs:
            continue
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            found = text.find(raw.get("text") or "\0")
            if found < 0:
                continue
            start, end = found, found + len(raw["text"])
        value = raw.get("value")
        if value is None and slot in defs:
            value = _normalise(defs[slot], text[start:end], _ref_date(turn))
        confidence = raw.get("confidence", default)
        if value is None or not isinstance(confidence, (int, float)) or confidence < MIN_CONFIDENCE:
            continue
        spans.append({"slot": slot, "start": start, "end": end, "text": text[start:end], "value": value,
                      "confidence": float(confidence)})
    return sorted(spans, key=lambda s: s["start"])


def _clause_before(canon: str, spans: list[dict], i: int) -> str:
    """Text between the previous span (or the clause start) and span ``i``."""
    start = spans[i - 1]["end"] if i else 0
    region = canon[start:spans[i]["start"]]
    cut = max(region.rfind(c) for c in _CLAUSE_END)
    return region[cut + 1:]


def _negated(canon: str, spans: list[dict], i: int) -> bool:
    end = spans[i + 1]["start"] if i + 1 < len(spans) else len(canon)
    after = canon[spans[i]["end"]:end]
    return bool(_NEGATION.search(_clause_before(canon, spans, i)) or _NEGATION_AFTER.search(after))


def _explicit(span: dict, canon: str, defs: dict[str, dict]) -> bool:
    """Whether a numeric span says which slot it is for: a unit in the span, or the slot's name in the utterance."""
    surface = canonical_text(span["text"])
    if re.search(r"[^0-9.,\s零〇一二两三四五六七八九十百千万亿几多来点半左右上下大概约差不多kw]", surface):
        return True
    d = defs.get(span["slot"], {"name": span["slot"]})
    return any(word in canon for word in slot_keywords(d))


def _bare_answer(text: str, canon: str, spans: list[dict], asked: list[str], defs: dict[str, dict],
                 ref: date | None) -> list[dict]:
    """Give the asked slot a bare answer (五十, 下周吧) that no span assigned to it."""
    spans = list(spans)
    filled = {s["slot"] for s in spans}
    for name in [a for a in asked if a in defs and a not in filled]:
        d = defs[name]
        for i, span in enumerate(spans):
            kind = defs.get(span["slot"], {}).get("type")
            if d["type"] in NUMERIC and kind in NUMERIC and span["slot"] not in asked \
                    and not _explicit(span, canon, defs):
                value = _normalise(d, span["text"], ref)
                if value is not None:
                    spans[i] = {**span, "slot": name, "value": value}
                    filled.add(name)
                    break
        else:
            span = _whole_text_span(text, d, ref, has_spans=bool(spans))
            if span:
                spans.append(span)
                filled.add(name)
    return sorted(spans, key=lambda s: s["start"])


def _whole_text_span(text: str, d: dict, ref: date | None, *, has_spans: bool) -> dict | None:
    stripped = text.strip()
    start = text.find(stripped) if stripped else -1
    if start < 0:
        return None
    if has_spans:
        return None  # the utterance said something else; only a bare answer is read whole
    if d["type"] == "text":
        if _REFUSED_TEXT.search(canonical_text(stripped)):
            return None  # "不方便说" answers nothing
        value, confidence = stripped, 0.5
    else:
        value = _normalise(d, stripped, ref)
        confidence = BARE_CONFIDENCE - (0.2 if d["type"] in NUMERIC and is_approximate(stripped) else 0)
    if value is None:
        return None
    return {"slot": d["name"], "start": start, "end": start + len(stripped), "text": stripped, "value": value,
            "confidence": confidence}


def _mentioned_negations(canon: str, defs: dict[str, dict], topic: dict) -> set[str]:
    """Slots the caller drops by name (不要那个型号了, 那个电话不要了) or by pronoun (不要那个了 → the topic)."""
    dropped = set()
    for name, d in defs.items():
        words = "|".join(map(re.escape, sorted(slot_keywords(d), key=len, reverse=True)))
        if words and re.search(rf"{_NEG_VERB}{_PRONOUN}?个?(?:{words})|{_PRONOUN}?(?:{words})(?:就|也)?(?:不要|不用|"
                               rf"算了|唔要|莫要|取消){_NOT_A_LIMIT}", canon):
            dropped.add(name)
    if topic.get("slot") and re.search(rf"{_NEG_VERB}{_PRONOUN}(?:了|啦|喇|咯)?(?:[{_CLAUSE_END}]|$)", canon):
        dropped.add(topic["slot"])
    return dropped


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) < 1e-6
    return a == b


def _apply(slots: dict, span: dict, turn_no: int, forced: bool) -> None:
    old = slots.get(span["slot"])
    confidence = span["confidence"]
    if old is not None and _same(old["value"], span["value"]):
        # Saying the same thing again makes it surer: independent evidence combined.
        confidence = 1 - (1 - old["confidence"]) * (1 - confidence)
    elif old is not None and not forced and confidence < REPLACE_CONFIDENCE and confidence < old["confidence"]:
        return
    slots[span["slot"]] = {"value": span["value"], "confidence": round(confidence, 3), "turn": turn_no}


def _update_topic(previous: dict, kept: list[dict], defs: dict[str, dict], cleared: set[str], intent: Any,
                  turn_no: int) -> dict:
    mentions = [s for s in kept if defs.get(s["slot"], {}).get("type", "enum" if isinstance(s["value"], str)
                                                                else None) == "enum"]
    if mentions:
        last = mentions[-1]
        return {"slot": last["slot"], "value": last["value"], "intent": intent, "turn": turn_no, "carried": False}
    if previous.get("slot") and previous["slot"] not in cleared:
        return {**previous, "intent": intent or previous.get("intent"), "carried": True}
    return {"slot": None, "value": None, "intent": intent, "turn": turn_no, "carried": False}


def update(state: dict | None, turn: dict) -> dict:
    """The state after ``turn`` (see the module docstring for both shapes). Pure; never raises on odd text.

    Raises TypeError when ``turn`` is not a dict.
    """
    if not isinstance(turn, dict):
        raise TypeError("turn must be a dict")
    before = copy.deepcopy(state) if state else initial_state()
    turn_no = int(before.get("turn") or 0) + 1
    text = turn.get("text") if isinstance(turn.get("text"), str) else ""
    canon, defs, ref = canonical_text(text), _definitions(turn), _ref_date(turn)
    spans = _clean_spans(turn, text, defs)
    spans = _bare_answer(text, canon, spans, list(turn.get("asked_slots") or []), defs, ref)
    negated = [s for i, s in enumerate(spans) if _negated(canon, spans, i)]
    kept = [s for s in spans if s not in negated]
    slots = copy.deepcopy(before.get("slots") or {})
    latest = {s["slot"]: s for s in kept}  # spans are sorted, so the last one per slot wins
    for name, span in latest.items():
        corrected = any(n["slot"] == name for n in negated) or bool(_CORRECTION.search(canon[:span["start"]]))
        _apply(slots, span, turn_no, corrected)
    cleared = {n["slot"] for n in negated if n["slot"] not in latest and n["slot"] in slots
               and _same(slots[n["slot"]]["value"], n["value"])}
    cleared |= {name for name in _mentioned_negations(canon, defs, before.get("topic") or {}) if name not in latest}
    for name in cleared:
        slots.pop(name, None)
    old = before.get("slots") or {}
    changed = [name for name in list(old) + [n for n in slots if n not in old]
               if not _same(old.get(name, {}).get("value"), slots.get(name, {}).get("value"))]
    topic = _update_topic(before.get("topic") or {}, kept, defs, cleared, turn.get("intent"), turn_no)
    return {"slots": slots, "topic": topic, "turn": turn_no, "changed": changed}
