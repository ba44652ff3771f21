"""Evaluation reports for the intent classifier, the slot filler and the dialogue state tracker.

Plain Python (no sklearn) so the reports are cheap to compute anywhere. Every report is a JSON-serialisable dict.
Slot values compare after a normaliser `normalizer(slot, text) -> value`; the default folds case and drops spaces,
`slot_normalizer(definitions)` reads each slot's text as its type says (nlu.normalize). `evaluate_examples` and
`evaluate_dialogues` drive a loaded runtime (and the DST) over a file's examples or dialogues.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence

Normalizer = Callable[[str, str], object]


NO_INTENT = "（无意图）"


def default_normalizer(slot: str, text: str) -> str:
    """Case-folded text without whitespace (slot ignored)."""
    return "".join(str(text).split()).casefold()


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall and F1 from counts; 0.0 where undefined."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def intent_report(gold: Sequence[str], predicted: Sequence[str], *, labels: Sequence[str] | None = None,
                  texts: Sequence[str] | None = None, max_errors: int = 200) -> dict:
    """Accuracy, macro/weighted F1, per-intent precision/recall/F1/support, confusion matrix, misclassified examples.

    No intent (None: out of scope, or nothing the bot knows) counts as the label :data:`NO_INTENT`. `labels` fixes
    the order of the per-intent table and the confusion matrix (default: sorted gold ∪ predicted);
    macro F1 averages over intents that occur in gold or predictions. Raises ValueError on length mismatch.
    """
    if len(gold) != len(predicted) or (texts is not None and len(texts) != len(gold)):
        raise ValueError("gold, predicted and texts must have the same length")
    gold = [NO_INTENT if g is None else g for g in gold]
    predicted = [NO_INTENT if p is None else p for p in predicted]
    order = list(labels) if labels is not None else sorted(set(gold) | set(predicted))
    order += sorted((set(gold) | set(predicted)) - set(order))
    pairs = Counter(zip(gold, predicted, strict=True))
    per_intent = {}
    for label in order:
        tp = pairs[(label, label)]
        support = sum(n for (g, _), n in pairs.items() if g == label)
        predicted_n = sum(n for (_, p), n in pairs.items() if p == label)
        per_intent[label] = {**prf(tp, predicted_n - tp, support - tp), "support": support}
    active = [m for label, m in per_intent.items() if m["support"] or label in set(predicted)]
    total = len(gold)
    errors = [{"text": texts[i] if texts is not None else None, "gold": g, "predicted": p}
              for i, (g, p) in enumerate(zip(gold, predicted, strict=True)) if g != p]
    return {
        "accuracy": sum(pairs[(label, label)] for label in order) / total if total else 0.0,
        "macro_f1": sum(m["f1"] for m in active) / len(active) if active else 0.0,
        "weighted_f1": sum(m["f1"] * m["support"] for m in active) / total if total else 0.0,
        "per_intent": per_intent,
        "confusion": {"labels": order, "matrix": [[pairs[(g, p)] for p in order] for g in order]},
        "misclassified": errors[:max_errors],
        "count": total,
    }


def slot_report(gold: Sequence[Sequence[Mapping]], predicted: Sequence[Sequence[Mapping]], *,
                normalizer: Normalizer | None = None) -> dict:
    """Micro precision/recall/F1 of slot values per utterance, plus the same per slot name.

    Each utterance holds spans `{"slot", "value" | "text"}`; a predicted span is correct when the utterance's gold
    spans contain the same slot with an equal normalised value (a multiset match, positions ignored).
    """
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted must have the same length")
    norm = normalizer or default_normalizer
    counts: dict[str, list[int]] = {}
    for gold_spans, predicted_spans in zip(gold, predicted, strict=True):
        g = Counter(_slot_value(s, norm) for s in gold_spans)
        p = Counter(_slot_value(s, norm) for s in predicted_spans)
        for key in set(g) | set(p):
            tp = min(g[key], p[key])
            entry = counts.setdefault(key[0], [0, 0, 0])
            entry[0] += tp
            entry[1] += p[key] - tp
            entry[2] += g[key] - tp
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    per_slot = {slot: {**prf(*c), "support": c[0] + c[2]} for slot, c in sorted(counts.items())}
    return {**prf(tp, fp, fn), "per_slot": per_slot, "count": len(gold)}


def _slot_value(span: Mapping, norm: Normalizer) -> tuple[str, str]:
    text = span.get("value") if span.get("value") not in (None, "") else span.get("text", "")
    return span["slot"], repr(norm(span["slot"], text))


def flatten_state(state: Mapping) -> dict[str, object]:
    """`{domain: {slot: value}}` → `{"domain-slot": value}`; flat states pass through. Empty values are dropped."""
    flat = {}
    for key, value in state.items():
        if isinstance(value, Mapping):
            flat.update({f"{key}-{slot}": v for slot, v in value.items() if v not in (None, "", [])})
        elif value not in (None, "", []):
            flat[key] = value
    return flat


def dst_report(gold: Sequence[Sequence[Mapping]], predicted: Sequence[Sequence[Mapping]], *,
               normalizer: Normalizer | None = None) -> dict:
    """Joint goal accuracy and slot precision/recall/F1 of the tracked state, over every turn of every dialogue.

    `gold[d][t]` and `predicted[d][t]` are the states after turn t of dialogue d (flat or nested by domain). A turn
    counts for joint goal accuracy when the two normalised states are identical. Raises ValueError when the
    dialogue or turn counts differ.
    """
    if len(gold) != len(predicted) or any(len(g) != len(p) for g, p in zip(gold, predicted, strict=True)):
        raise ValueError("gold and predicted must have the same dialogues and turns")
    norm = normalizer or default_normalizer
    turns = joint = tp = fp = fn = 0
    for gold_turns, predicted_turns in zip(gold, predicted, strict=True):
        for g_state, p_state in zip(gold_turns, predicted_turns, strict=True):
            g = {(k, repr(norm(k, v))) for k, v in flatten_state(g_state).items()}
            p = {(k, repr(norm(k, v))) for k, v in flatten_state(p_state).items()}
            turns += 1
            joint += g == p
            tp, fp, fn = tp + len(g & p), fp + len(p - g), fn + len(g - p)
    scores = prf(tp, fp, fn)
    return {"joint_goal_accuracy": joint / turns if turns else 0.0, "slot_precision": scores["precision"],
            "slot_recall": scores["recall"], "slot_f1": scores["f1"], "turns": turns, "dialogues": len(gold)}


# --- evaluating a loaded runtime ------------------------------------------------------------------------------------

def slot_normalizer(definitions: Mapping[str, Mapping]) -> Normalizer:
    """A normaliser that reads each slot's text as its type says (`{name: {type, unit, values}}`, as the bot defines
    them): 五十米 and 50m compare equal for a number slot in 米. Text slots, unknown slots and values the type cannot
    read fall back to :func:`default_normalizer`."""
    from nlu.normalize import SLOT_TYPES, normalize

    def normalise(slot: str, text: object) -> object:
        if not isinstance(text, str):  # a tracked value the DST already normalised
            return text
        definition = definitions.get(slot) or {}
        kind = definition.get("type")
        if kind in SLOT_TYPES and kind != "text":
            value = normalize(kind, text, unit=definition.get("unit") or None, values=definition.get("values"))
            if value is not None:
                return value
        return default_normalizer(slot, text)

    return normalise


def predict_all(runtime, examples: Sequence[Mapping], *, batch: int = 64) -> list[dict]:  # noqa: ANN001
    """`runtime.predict_many` over examples `{text, context?}` in batches."""
    predictions = []
    for start in range(0, len(examples), batch):
        chunk = examples[start:start + batch]
        predictions += runtime.predict_many([e["text"] for e in chunk], [e.get("context") or None for e in chunk])
    return predictions


def evaluate_examples(runtime, examples: Sequence[Mapping], *, slots: Mapping[str, Mapping] | None = None,  # noqa: ANN001
                      predictions: Sequence[Mapping] | None = None) -> dict:
    """Intent and slot scores of `runtime` on examples `{text, intent, spans, context}`; slot values compare through
    :func:`slot_normalizer` of the slot definitions `slots`. `predictions` skips predicting again."""
    predictions = predictions if predictions is not None else predict_all(runtime, examples)
    intents = intent_report([e["intent"] for e in examples], [p["intent"] for p in predictions],
                            texts=[e["text"] for e in examples])
    gold = [[{**s, "value": e["text"][s["start"]:s["end"]]} for s in e.get("spans") or []] for e in examples]
    found = slot_report(gold, [p.get("spans") or [] for p in predictions], normalizer=slot_normalizer(slots or {}))
    return {"n": len(examples), "accuracy": intents["accuracy"], "macro_f1": intents["macro_f1"],
            "weighted_f1": intents["weighted_f1"], "slot_precision": found["precision"],
            "slot_recall": found["recall"], "slot_f1": found["f1"]}


def evaluate_dialogues(runtime, dialogues: Sequence[Sequence[Mapping]], *,  # noqa: ANN001
                       slots: Mapping[str, Mapping] | None = None,
                       predictions: Sequence[Mapping] | None = None) -> dict:
    """Turn-level intent/slot scores plus the dialogue state tracker's joint goal accuracy and state slot F1.

    Each turn `{text, intent, spans, context, belief_state}` is predicted with the previous system utterance as
    context and fed to `nlu.dst.update` with the slot definitions `slots`; the tracked state after every turn is
    compared with the gold `belief_state` (`{domain: {slot: value}}`, matching slots named `domain-slot`), values
    normalised by each slot's type. `predictions` (one per turn, in order) skips predicting: the dialogues' own
    labels given as predictions measure what the tracker can reach at best.
    """
    from nlu import dst

    turns = [t for d in dialogues for t in d]
    predictions = predictions if predictions is not None else predict_all(runtime, turns)
    remaining = iter(predictions)
    definitions = {name: dict(d) for name, d in (slots or {}).items()}
    gold, tracked = [], []
    for dialogue in dialogues:
        state, states = dst.initial_state(), []
        for turn in dialogue:
            state = dst.update(state, {**next(remaining), "text": turn["text"], "slot_types": definitions})
            states.append(dst.slot_values(state))
        gold.append([t.get("belief_state") or {} for t in dialogue])
        tracked.append(states)
    report = dst_report(gold, tracked, normalizer=slot_normalizer(definitions))
    scores = evaluate_examples(runtime, turns, slots=definitions, predictions=predictions)
    return {**scores, "dialogues": len(dialogues), "joint_goal_accuracy": report["joint_goal_accuracy"],
            "state_slot_f1": report["slot_f1"]}
