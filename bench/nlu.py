"""NLU benchmark on the real base model and the public datasets in ../shared/data (never copied into the repo).

Prints one JSON object. Parts (select with --only, repeatable): demo (the demo bot trained through the product path
from its examples, its composed understanding scored on bench/data/demo_unseen.jsonl — customer utterances written
apart from the training examples, never trained on — beside a TF-IDF + logistic regression baseline), smp2017 and
smp2019 (intent, train → dev) and cais (intent + slots, train → dev), each scored as a bot built from the dataset
answers (the composed understanding) and as the model alone (`--reuse` scores the versions a previous run left),
crosswoz (dialogue state tracking: train on the first 400 dialogues of dst_val.jsonl, track the next 100), latency
(quantized runtime vs the unquantized peft model, one thread), memory (a process serving 20 bots).
Data: SMP2017-ECDT task 1, SMP2019-ECDT NLU, CAIS (Liu et al. 2019), CrossWOZ (Zhu et al. 2020), see
../shared/data/README.md.

    nice .venv/bin/python bench/nlu.py --only smp2017
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlu.base_models import resolve_base_model  # noqa: E402
from nlu.evaluate import evaluate_dialogues, intent_report, slot_report  # noqa: E402
from nlu.importing import dialogue_turns  # noqa: E402
from nlu.runtime import NluRuntime  # noqa: E402
from nlu.train import TrainConfig, train  # noqa: E402

PARTS = ("demo", "smp2017", "smp2019", "cais", "crosswoz", "latency", "memory")
DEMO_UNSEEN = ROOT / "bench" / "data" / "demo_unseen.jsonl"
DEMO_DEV = ROOT / "bench" / "data" / "demo_dev.jsonl"  # where the understanding's constants were chosen; not the score


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def read_jsonl(path: Path, limit: int | None = None) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    return rows[:limit] if limit else rows


def to_example(row: dict) -> dict:
    """Dataset row → training example; CAIS BIOES `char_tags` become character spans."""
    text = row["text"].lstrip("\ufeff")
    spans, start, slot = [], None, None
    for i, tag in enumerate(row.get("char_tags") or []):
        prefix, _, name = tag.partition("-")
        if prefix in ("B", "S"):
            start, slot = i, name
        if prefix in ("S", "E") and start is not None and name == slot:
            spans.append({"slot": slot, "start": start, "end": i + 1, "value": text[start:i + 1]})
            start = slot = None
        if prefix == "O":
            start = slot = None
    return {"text": text, "intent": row["intent"], "spans": spans, "context": None}


def run_dataset(name: str, args, base: Path) -> dict:
    """Train on train.jsonl (early stopping on a held-out 10% of it), evaluate on dev.jsonl what a bot built from
    the dataset answers with (the composed understanding: the training rows as its examples, free-text slots as an
    import makes them, the trained model) and the model alone."""
    from nlu.understanding import Understanding

    folder = args.data / "intent" / name
    train_rows = [to_example(r) for r in read_jsonl(folder / "train.jsonl", args.limit)]
    dev_rows = [to_example(r) for r in read_jsonl(folder / "dev.jsonl", args.limit)]
    slots = {s["slot"]: {"name": s["slot"], "type": "text"} for r in train_rows for s in r["spans"]}
    out = args.work / f"version-{name}"
    figures: dict = {"train": len(train_rows), "dev": len(dev_rows), "version": str(out)}

    def compose(runtime, rows):  # the rows are users' own queries: a bot taught in its callers' words
        return Understanding(slots, rows, runtime, callers_words=True)

    if not args.reuse:
        shutil.rmtree(out, ignore_errors=True)
        config = TrainConfig(epochs=args.epochs, validation_fraction=0.1, progress_interval_s=30, threads=args.threads)
        started = time.monotonic()
        result = train(train_rows, base, out, config, progress=lambda e: log(name, json.dumps(e)), compose=compose)
        figures |= {"train_wall_s": time.monotonic() - started, "epochs_run": len(result.history["intent"]),
                    "quantized_agreement": result.metrics.get("quantized_agreement")}
    runtime = NluRuntime(out)
    started = time.monotonic()
    composed = compose(runtime, train_rows)
    figures["composed_build_s"] = time.monotonic() - started
    figures["model_share"] = composed.model_weight  # fitted on the validation split (callers' words)
    texts = [r["text"] for r in dev_rows]
    gold = [[{"slot": s["slot"], "value": s["value"]} for s in r["spans"]] for r in dev_rows]
    for part, predictor in (("composed", composed), ("model_alone", runtime)):
        predictions = []
        for s in range(0, len(texts), 64):
            predictions += predictor.predict_many(texts[s:s + 64])
        report = intent_report([r["intent"] for r in dev_rows], [p["intent"] for p in predictions])
        figures[part] = {"dev_accuracy": report["accuracy"], "dev_macro_f1": report["macro_f1"]}
        if slots:
            figures[part]["dev_slots"] = {k: v for k, v in slot_report(gold, [p["spans"] for p in predictions]).items()
                                          if k != "per_slot"}
    log(name, json.dumps(figures, ensure_ascii=False))
    return figures


def demo_scores(predictor, rows: list[dict], slots: dict, threshold: float, ref_date) -> dict:
    """On rows {"text", "intent" | None, "slots": {name: value}}: intent accuracy as the flow meets it (an intent
    below the flow's confidence `threshold` is no intent; an out-of-scope row is right with none) and raw (the top
    intent whatever its confidence), and precision/recall/F1 of the slot values the flow receives after the turn
    (nlu.dst.update from an empty state: negations and corrections applied, values typed)."""
    from nlu import dst
    from nlu.evaluate import slot_normalizer

    predictions = predictor.predict_many([r["text"] for r in rows])
    norm = slot_normalizer(slots)
    right = raw = tp = fp = fn = 0
    errors = []
    for row, got in zip(rows, predictions, strict=True):
        sure = got["intent"] if (got.get("confidence") or 0) >= threshold else None
        right += sure == row["intent"]
        raw += got["intent"] == row["intent"]
        if sure != row["intent"]:
            errors.append([row["text"], row["intent"], got["intent"], round(got.get("confidence") or 0, 2)])
        state = dst.update(dst.initial_state(), {**got, "text": row["text"], "slot_types": slots,
                                                  "ref_date": ref_date.isoformat()})
        gold = {(k, repr(norm(k, v))) for k, v in row["slots"].items()}
        found = {(k, repr(norm(k, v))) for k, v in dst.slot_values(state).items()}
        tp, fp, fn = tp + len(gold & found), fp + len(found - gold), fn + len(gold - found)
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return {"intent_accuracy": right / len(rows), "raw_intent_accuracy": raw / len(rows),
            "slot_precision": precision, "slot_recall": recall,
            "slot_f1": 2 * precision * recall / max(precision + recall, 1e-9), "intent_errors": errors}


def baseline_accuracy(examples: list[dict], rows: list[dict]) -> float:
    """Character 1–3-gram TF-IDF + logistic regression on the same training examples (the issue's baseline)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    model = LogisticRegression(max_iter=2000).fit(vectorizer.fit_transform([e["text"] for e in examples]),
                                                  [e["intent"] for e in examples])
    predicted = model.predict(vectorizer.transform([r["text"] for r in rows]))
    return float(sum(p == r["intent"] for p, r in zip(predicted, rows, strict=True)) / len(rows))


def run_demo(args, base: Path) -> dict:
    """The demo bot as `make run` seeds it: its examples plus the common intents it switches on, trained with the
    product's recipe (nlu.train defaults, composed like nlu.services.training), scored on the unseen set."""
    from datetime import date

    from nlu.common import with_common_examples
    from nlu.understanding import Understanding

    bundle = json.loads((ROOT / "flows" / "demo" / "nlu.json").read_text(encoding="utf-8"))
    slots = {s["name"]: s for s in bundle["slots"]}
    intents = [i["name"] for i in bundle["intents"]]
    ref = date.fromisoformat(bundle["ref_date"])
    examples = [{**e, "context": None} for e in bundle["examples"]]
    rows = read_jsonl(DEMO_UNSEEN)
    taught = with_common_examples(examples, intents)
    figures = {"unseen": len(rows), "out_of_scope": sum(r["intent"] is None for r in rows),
               "examples": len(examples), "with_common": len(taught)}
    in_scope = [r for r in rows if r["intent"] is not None]
    baseline = baseline_accuracy(taught, in_scope)
    figures["baseline_tfidf_lr_in_scope_accuracy"] = baseline

    def compose(runtime, train_rows):
        return Understanding(slots, with_common_examples(train_rows, intents), runtime, ref_date=ref)

    started = time.monotonic()
    flow = json.loads((ROOT / "flows" / "demo" / "flow.json").read_text(encoding="utf-8"))
    threshold = flow["settings"]["confidence_threshold"]
    figures["flow_threshold"] = threshold
    figures["examples_only"] = demo_scores(Understanding(slots, taught, ref_date=ref), rows, slots, threshold, ref)
    figures["examples_only_build_s"] = time.monotonic() - started
    out = args.demo_version or args.work / "version-demo"
    if not args.demo_version:
        shutil.rmtree(out, ignore_errors=True)
        config = TrainConfig(progress_interval_s=30, threads=args.threads)
        started = time.monotonic()
        result = train(examples, base, out, config, progress=lambda e: log("demo", json.dumps(e)), compose=compose)
        figures["train_wall_s"] = time.monotonic() - started
        figures["validation_metrics"] = {k: result.metrics.get(part, {}).get(k) for part, k in
                                         (("intent", "accuracy"), ("slots", "f1"))}
    runtime = NluRuntime(out)
    composed = Understanding(slots, taught, runtime, ref_date=ref)
    figures["composed"] = demo_scores(composed, rows, slots, threshold, ref)
    figures["composed_dev"] = demo_scores(composed, read_jsonl(DEMO_DEV), slots, threshold, ref)
    figures["model_alone"] = demo_scores(runtime, rows, slots, threshold, ref)
    in_scope_accuracy = demo_scores(composed, in_scope, slots, 0.0, ref)["raw_intent_accuracy"]
    figures["composed_in_scope_accuracy"] = in_scope_accuracy
    figures["error_ratio_vs_baseline"] = (1 - in_scope_accuracy) / max(1 - baseline, 1e-9)
    samples, cached = [], []
    for row in rows * 2:
        new = len(samples) < len(rows)
        if new:  # a caller's words are new to the process: their e5 embedding is part of the turn
            composed.encode.cache.pop((True, row["text"]), None)
        began = time.perf_counter()
        composed.predict(row["text"])
        (samples if new else cached).append(time.perf_counter() - began)
    figures["predict_latency"] = percentiles(samples)
    figures["predict_latency_embedding_cached"] = percentiles(cached)
    scored = ("composed", "composed_dev", "examples_only", "model_alone")
    log("demo", json.dumps({k: v for k, v in figures.items() if k not in scored}, ensure_ascii=False))
    return figures


def run_crosswoz(args, base: Path, train_dialogues: int = 400, eval_dialogues: int = 100) -> dict:
    """Train both tasks on the user turns of the first dialogues (context: the previous system turn), then track
    the state of the following ones with nlu.dst and score it against the gold belief states. Slots are named
    `domain-slot` and compared as text (CrossWOZ gives no slot types). Beside it, the same tracker fed the turns'
    own labels (intent and informed spans) instead of the model's: the most a tracker of user turns reaches here."""
    records = read_jsonl(args.data / "dialogue" / "crosswoz" / "dst_val.jsonl")
    dialogues = [dialogue_turns(r) for r in records]
    train_part = dialogues[:train_dialogues]
    held_out = dialogues[train_dialogues:train_dialogues + eval_dialogues]
    if args.limit:
        train_part, held_out = train_part[:args.limit], held_out[:max(1, args.limit // 4)]
    examples = [{k: t[k] for k in ("text", "intent", "spans", "context")} for d in train_part for t in d]
    out = args.work / "version-crosswoz"
    shutil.rmtree(out, ignore_errors=True)
    config = TrainConfig(epochs=args.epochs, validation_fraction=0.1, progress_interval_s=30, threads=args.threads)
    started = time.monotonic()
    train(examples, base, out, config, progress=lambda e: log("crosswoz", json.dumps(e)))
    wall = time.monotonic() - started
    slots = {s["slot"]: {"type": "text"} for d in train_part + held_out for t in d for s in t["spans"]}
    report = evaluate_dialogues(NluRuntime(out), held_out, slots=slots)
    labelled = [{"intent": t["intent"], "spans": t["spans"]} for d in held_out for t in d]
    ceiling = evaluate_dialogues(None, held_out, slots=slots, predictions=labelled)
    figures = {**report, "train_dialogues": len(train_part), "train_turns": len(examples), "train_wall_s": wall,
               "version": str(out), "joint_goal_accuracy_labelled_turns": ceiling["joint_goal_accuracy"],
               "state_slot_f1_labelled_turns": ceiling["state_slot_f1"]}
    log("crosswoz", json.dumps(figures, ensure_ascii=False))
    return figures


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"p50_ms": statistics.median(ordered) * 1e3, "p95_ms": ordered[int(0.95 * (len(ordered) - 1))] * 1e3}


def run_latency(args, version: Path) -> dict:
    """One utterance at a time, one thread: predict() end to end (tokenise + every task + decoding), and the
    intent model alone; the quantized runtime against the unquantized peft model (torch fp32, adapters unmerged)."""
    texts = [to_example(r)["text"] for r in read_jsonl(args.data / "intent" / "smp2017" / "dev.jsonl")][:200]
    figures = {"version": str(version), "utterances": len(texts),
               "mean_chars": statistics.mean(len(t) for t in texts)}
    for engine in ("onnx-int8", "torch-fp32"):
        runtime = NluRuntime(version, threads=1, engine=None if engine == "onnx-int8" else engine)
        for label, slots in (("predict", True), ("intent_only", False)):
            for text in texts[:20]:
                runtime.predict(text, slots=slots)
            samples, cpu = [], []
            for text in texts:
                started, cpu_started = time.perf_counter(), time.thread_time()
                runtime.predict(text, slots=slots)
                samples.append(time.perf_counter() - started)
                cpu.append(time.thread_time() - cpu_started)
            # wall time includes waiting for a core on a loaded machine; CPU time of the calling thread does not
            figures[f"{engine}_{label}"] = {**percentiles(samples),
                                            **{f"cpu_{k}": v for k, v in percentiles(cpu).items()}}
            log("latency", engine, label, figures[f"{engine}_{label}"])
    return figures


# Peak RSS from VmHWM: ru_maxrss survives exec on Linux, so a child forked from the large bench process would report
# the bench's own peak.
MEMORY_CHILD = """
import json, re, sys, psutil
from nlu.runtime import get_runtime
process = psutil.Process()
before = process.memory_info().rss
for folder in sys.argv[1:]:
    get_runtime(folder).predict("我想买两台工业泵")
after = process.memory_info().rss
with open("/proc/self/status") as status:
    peak_kb = int(re.search(r"VmHWM:\\s+(\\d+)", status.read()).group(1))
print(json.dumps({"rss_before_mb": before / 2**20, "rss_after_mb": after / 2**20, "peak_rss_mb": peak_kb / 1024}))
"""


def run_memory(args, version: Path, bots: int = 20) -> dict:
    """A fresh process loads `bots` distinct copies of a version folder (own ONNX files, same base embeddings)."""
    folder = args.work / f"bots-{version.name}"
    shutil.rmtree(folder, ignore_errors=True)
    copies = []
    for i in range(bots):
        shutil.copytree(version, folder / f"bot{i:02d}")
        copies.append(str(folder / f"bot{i:02d}"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", MEMORY_CHILD, *copies], env=env, capture_output=True, text=True,
                         check=True)
    figures = {"bots": bots, "version": str(version), **json.loads(out.stdout.strip().splitlines()[-1])}
    figures["per_bot_mb"] = (figures["rss_after_mb"] - figures["rss_before_mb"]) / bots
    log("memory", figures)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=PARTS, help="parts to run (default: all)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--work", type=Path, default=Path("/tmp/salesstudio-bench-nlu"))
    parser.add_argument("--base", default=os.environ.get("NLU_BASE_MODEL"), help="base model folder")
    parser.add_argument("--version", type=Path, help="existing version folder for latency/memory")
    parser.add_argument("--demo-version", type=Path, help="score this trained demo version instead of training one")
    parser.add_argument("--reuse", action="store_true",
                        help="score the smp2017/cais versions already in --work instead of training them")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads for training (2 threads on a shared 2-core machine waste CPU spinning)")
    parser.add_argument("--limit", type=int, help="use only the first N rows of each file (smoke runs)")
    args = parser.parse_args()
    parts = args.only or list(PARTS)
    args.work.mkdir(parents=True, exist_ok=True)
    base = resolve_base_model(args.base, args.work)
    results: dict = {"base_model": str(base), "cpus": os.cpu_count(), "train_threads": args.threads,
                     "load_average_start": os.getloadavg()}
    if "demo" in parts:
        results["demo"] = run_demo(args, base)
    for name in ("smp2017", "smp2019", "cais"):
        if name in parts:
            results[name] = run_dataset(name, args, base)
    if "crosswoz" in parts:
        results["crosswoz"] = run_crosswoz(args, base)
    version = args.version or next((Path(results[n]["version"]) for n in ("smp2017", "cais") if n in results),
                                   args.work / "version-smp2017")
    if "latency" in parts:
        results["latency"] = run_latency(args, version)
    if "memory" in parts:
        results["memory"] = run_memory(args, version)
    results["load_average_end"] = os.getloadavg()
    results["bench_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
