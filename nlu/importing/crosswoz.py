"""Dialogue-state datasets (CrossWOZ-style JSONL, one dialogue per line): each user turn becomes an example with the
previous system utterance as its context and the informed values it contains as spans."""

from __future__ import annotations

import json

from nlu.importing.rows import MAX_NAME, MAX_TEXT, Message, Parsed, clean, collect, locate


def dialogue_intent(acts: list) -> str:
    """CrossWOZ user acts → one label, as in its NLU files: `Act+Domain` (or `General+greet`) in order, joined by |."""
    parts = [f"{a[0]}+{a[1]}" for a in acts if isinstance(a, (list, tuple)) and len(a) >= 2]
    return "|".join(dict.fromkeys(parts)) or "none"


def dialogue_turns(dialogue: dict) -> list[dict]:
    """One example per user turn: `{text, intent, spans, context, belief_state}`; `context` is the previous system
    utterance; spans are the informed values that can be found in the text (`领域-槽位`), others are dropped."""
    turns, context = [], ""
    for turn in dialogue.get("turns") or []:
        text = clean(str(turn.get("user") or ""))[0][:MAX_TEXT]
        spans, taken = [], []
        for act in turn.get("user_acts") or []:
            if len(act) < 4 or act[0] != "Inform" or act[3] in ("", "none", None):
                continue
            found = locate(text, f"{act[1]}-{act[2]}", str(act[3]))
            if found and all(found[1] <= a or found[0] >= b for a, b in taken):
                taken.append(found)
                spans.append({"slot": f"{act[1]}-{act[2]}", "start": found[0], "end": found[1], "value": str(act[3])})
        if text:
            turns.append({"text": text, "intent": dialogue_intent(turn.get("user_acts") or [])[:MAX_NAME],
                          "spans": sorted(spans, key=lambda s: s["start"]), "context": context[:MAX_TEXT],
                          "belief_state": turn.get("belief_state") or {}})
        context = clean(str(turn.get("system") or ""))[0]
    return turns


def parse_dialogues(text: str) -> tuple[list[list[dict]], list[tuple[int, Message]]]:
    """A DST JSONL file → (dialogues as lists of turns, line-numbered errors)."""
    dialogues, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append((number, Message("not valid JSON (column {column})", {"column": exc.colno})))
            continue
        if not isinstance(record, dict) or not isinstance(record.get("turns"), list):
            errors.append((number, Message("expected a dialogue with turns")))
            continue
        dialogues.append(dialogue_turns(record))
    return dialogues, errors


def dialogue_rows(dialogues: list[list[dict]]) -> Parsed:
    """The dialogues' turns as import rows (duplicates merged, conflicting labels flagged)."""
    records = [(i + 1, {k: t[k] for k in ("text", "intent", "spans", "context")})
               for i, t in enumerate(t for d in dialogues for t in d)]
    return collect(records)
