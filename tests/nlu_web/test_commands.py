"""The command-line contract used by benchmarks: bot_create, nlu_import, nlu_train, nlu_eval."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from nlu.models import ExampleSource, ModelVersion, TrainingRun
from nlu.understanding import SHARES
from salesstudio.models import Bot
from tests.nlu.conftest import toy_examples
from tests.nlu_web.conftest import TINY_CONFIG


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def dataset_rows() -> list[dict]:
    """The toy examples in the public datasets' format `{text, intent, slots}`."""
    return [{"text": e["text"], "intent": e["intent"], "context": e["context"],
             "slots": {s["slot"]: e["text"][s["start"]:s["end"]] for s in e["spans"]}} for e in toy_examples()]


@pytest.fixture
def examples_file(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in dataset_rows()) + "{broken\n")
    return path


@pytest.fixture
def dialogues_file(tmp_path):
    turns = [{"turn_id": 0, "user": "工业泵多少钱", "user_acts": [["Request", "泵", "价格", ""]], "system": "两万元",
              "belief_state": {}},
             {"turn_id": 1, "user": "扬程五十米的", "user_acts": [["Inform", "泵", "扬程", "五十米"]], "system": "好的",
              "belief_state": {"泵": {"扬程": "五十米"}}}]
    path = tmp_path / "dst.jsonl"
    path.write_text(json.dumps({"dialogue_id": "d1", "turns": turns}, ensure_ascii=False) + "\n")
    return path


def test_bot_create_is_idempotent(db):
    assert "created" in run("bot_create", "pump", "--workspace", "基准")
    assert "exists" in run("bot_create", "pump", "--workspace", "基准")
    assert Bot.objects.get(slug="pump").workspace.name == "基准"


def test_nlu_import_skips_bad_rows_and_creates_intents_and_slots(db, examples_file):
    run("bot_create", "pump")
    out = run("nlu_import", "pump", "--examples", str(examples_file))
    bot = Bot.objects.get(slug="pump")
    assert bot.examples.count() == len(toy_examples()) and "1 rows skipped" in out
    assert set(bot.slots.values_list("name", flat=True)) == {"扬程", "数量"}


def test_nlu_import_strict_imports_nothing(db, examples_file):
    run("bot_create", "pump")
    with pytest.raises(CommandError):
        run("nlu_import", "pump", "--examples", str(examples_file), "--strict")
    assert not Bot.objects.get(slug="pump").examples.exists()


def test_nlu_import_dialogues(db, dialogues_file):
    run("bot_create", "pump")
    run("nlu_import", "pump", "--dialogues", str(dialogues_file))
    example = Bot.objects.get(slug="pump").examples.get(text="扬程五十米的")
    assert example.intent.name == "Inform+泵" and example.context == "两万元"
    assert example.spans == [{"slot": "泵-扬程", "start": 2, "end": 5, "value": "五十米"}]


def test_an_unknown_bot_is_an_error(db):
    with pytest.raises(CommandError):
        run("nlu_train", "nobody")


def test_train_then_evaluate_examples_and_dialogues(db, examples_file, dialogues_file, tiny_base_dir):
    run("bot_create", "pump")
    run("nlu_import", "pump", "--examples", str(examples_file))
    args = [f"--{k.replace('_', '-')}={v}" for k, v in TINY_CONFIG.items()]
    trained = json.loads(run("nlu_train", "pump", f"--base-model={tiny_base_dir}", *args))
    assert trained["version"] == 1 and 0 <= trained["accuracy"] <= 1
    assert TrainingRun.objects.get().status == "done"
    calibration = ModelVersion.objects.get().metrics["calibration"]
    assert 0.2 <= calibration["temperature"] <= 3.0  # fitted on validation
    assert "model_weight" not in calibration  # imported examples: the model keeps the product's share
    scores = json.loads(run("nlu_eval", "pump", "--examples", str(examples_file), "--json"))
    assert scores["n"] == len(toy_examples()) and {"accuracy", "macro_f1", "slot_f1"} <= scores.keys()
    scores = json.loads(run("nlu_eval", "pump", "--dialogues", str(dialogues_file), "--json"))
    assert scores["n"] == 2 and 0 <= scores["joint_goal_accuracy"] <= 1


def test_nlu_eval_scores_the_understanding_calls_use_even_before_training(db, examples_file, tmp_path):
    from nlu.services import do_enable_common_intents

    run("bot_create", "pump")
    run("nlu_import", "pump", "--examples", str(examples_file))
    do_enable_common_intents(Bot.objects.get(slug="pump"), ["问候"])
    unseen = tmp_path / "unseen.jsonl"
    unseen.write_text('{"text": "喂，你好", "intent": "问候"}\n{"text": "您哪位啊", "intent": "问候"}\n')
    scores = json.loads(run("nlu_eval", "pump", "--examples", str(unseen), "--json"))
    assert (scores["n"], scores["accuracy"]) == (2, 1.0)  # only the common intent's shipped examples know these


def test_a_bot_labelled_from_its_recordings_has_the_models_share_fitted(db, examples_file, tiny_base_dir):
    run("bot_create", "pump")
    run("nlu_import", "pump", "--examples", str(examples_file))
    Bot.objects.get(slug="pump").examples.update(source=ExampleSource.RECORDING)  # as labelling recordings marks them
    args = [f"--{k.replace('_', '-')}={v}" for k, v in TINY_CONFIG.items()]
    run("nlu_train", "pump", f"--base-model={tiny_base_dir}", *args)
    assert ModelVersion.objects.get().metrics["calibration"]["model_weight"] in SHARES
