"""Evaluation metrics on hand-checked cases."""

from __future__ import annotations

import pytest

from nlu.evaluate import dst_report, evaluate_dialogues, flatten_state, intent_report, slot_normalizer, slot_report

GOLD = ["询价", "询价", "询价", "投诉", "投诉", "挂断"]
PRED = ["询价", "询价", "投诉", "投诉", "挂断", "挂断"]


def test_intent_accuracy_and_per_intent_scores():
    report = intent_report(GOLD, PRED, texts=list("abcdef"))
    assert report["accuracy"] == pytest.approx(4 / 6)
    # 询价: P 2/2 R 2/3 F1 0.8; 投诉: P 1/2 R 1/2 F1 0.5; 挂断: P 1/2 R 1/1 F1 2/3
    assert report["per_intent"]["询价"] == {"precision": 1.0, "recall": pytest.approx(2 / 3), "f1": pytest.approx(0.8),
                                          "support": 3}
    assert report["per_intent"]["挂断"]["f1"] == pytest.approx(2 / 3)
    assert report["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert report["weighted_f1"] == pytest.approx((0.8 * 3 + 0.5 * 2 + 2 / 3) / 6)


def test_confusion_matrix_and_misclassified_examples():
    report = intent_report(GOLD, PRED, labels=["询价", "投诉", "挂断"], texts=list("abcdef"))
    assert report["confusion"] == {"labels": ["询价", "投诉", "挂断"], "matrix": [[2, 1, 0], [0, 1, 1], [0, 0, 1]]}
    assert report["misclassified"] == [{"text": "c", "gold": "询价", "predicted": "投诉"},
                                       {"text": "e", "gold": "投诉", "predicted": "挂断"}]


def test_an_intent_only_predicted_counts_in_macro_f1():
    report = intent_report(["a", "a"], ["a", "b"])
    assert report["per_intent"]["b"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert report["macro_f1"] == pytest.approx((2 / 3 + 0) / 2)


def test_slot_scores_match_values_after_normalisation():
    gold = [[{"slot": "扬程", "value": "50米"}, {"slot": "数量", "value": "两台"}], [{"slot": "数量", "value": "5台"}]]
    predicted = [[{"slot": "扬程", "text": "五十米"}, {"slot": "数量", "text": "两台"}], [{"slot": "扬程", "text": "5台"}]]
    plain = slot_report(gold, predicted)
    assert (plain["precision"], plain["recall"]) == (pytest.approx(1 / 3), pytest.approx(1 / 3))
    numbers = {"五十米": "50米"}
    normalised = slot_report(gold, predicted, normalizer=lambda slot, text: numbers.get(text, text))
    assert normalised["precision"] == pytest.approx(2 / 3) and normalised["f1"] == pytest.approx(2 / 3)
    assert normalised["per_slot"]["数量"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3),
                                             "support": 2}


def test_empty_slot_lists_score_zero_without_dividing_by_zero():
    assert slot_report([[]], [[]])["f1"] == 0.0


def test_joint_goal_accuracy_and_state_f1():
    gold = [[{"酒店": {"价格": "200元"}}, {"酒店": {"价格": "200元", "名称": "如家"}}],
            [{"景点": {"名称": "故宫"}}]]
    predicted = [[{"酒店": {"价格": "200元"}}, {"酒店": {"价格": "200元", "名称": "汉庭"}}],
                 [{"景点": {"名称": "故宫", "门票": ""}}]]
    report = dst_report(gold, predicted)
    assert report["joint_goal_accuracy"] == pytest.approx(2 / 3)
    assert (report["slot_precision"], report["slot_recall"]) == (pytest.approx(3 / 4), pytest.approx(3 / 4))
    assert report["turns"] == 3 and report["dialogues"] == 2


def test_states_flatten_by_domain_and_drop_empty_values():
    assert flatten_state({"酒店": {"价格": "200元", "名称": ""}, "数量": 2}) == {"酒店-价格": "200元", "数量": 2}


def test_mismatched_lengths_raise():
    with pytest.raises(ValueError):
        intent_report(["a"], [])
    with pytest.raises(ValueError):
        dst_report([[{}]], [[{}, {}]])


SLOTS = {"扬程": {"type": "number", "unit": "米"}, "数量": {"type": "quantity", "unit": "台"},
         "型号": {"type": "enum", "values": [{"value": "离心泵", "synonyms": ["离心式"]}]}, "备注": {"type": "text"}}


def test_slot_normalizer_reads_each_slot_as_its_type():
    norm = slot_normalizer(SLOTS)
    assert norm("扬程", "五十米") == norm("扬程", "50m") == 50
    assert norm("数量", "两台") == 2
    assert norm("型号", "离心式") == "离心泵"
    assert norm("备注", " Ab C") == norm("未知", "abc") == "abc"  # text and unknown slots: case and spaces folded
    assert norm("扬程", "很高") == "很高"  # the type cannot read it: compared as text
    assert norm("扬程", 80) == 80  # a value the tracker already normalised


def test_typed_slot_scores_match_equal_values():
    gold = [[{"slot": "扬程", "value": "50米"}, {"slot": "型号", "value": "离心泵"}]]
    predicted = [[{"slot": "扬程", "text": "五十米"}, {"slot": "型号", "text": "离心式"}]]
    assert slot_report(gold, predicted)["f1"] == 0.0
    assert slot_report(gold, predicted, normalizer=slot_normalizer(SLOTS))["f1"] == 1.0


def test_tracked_values_meet_gold_text_through_the_slot_types():
    gold = [[{"泵": {"扬程": "五十米"}}, {"泵": {"扬程": "80米", "数量": "两台"}}]]
    tracked = [[{"泵-扬程": 50}, {"泵-扬程": 80, "泵-数量": 3}]]
    slots = {"泵-扬程": SLOTS["扬程"], "泵-数量": SLOTS["数量"]}
    report = dst_report(gold, tracked, normalizer=slot_normalizer(slots))
    assert report["joint_goal_accuracy"] == 0.5 and report["slot_precision"] == pytest.approx(2 / 3)
    assert dst_report(gold, tracked)["joint_goal_accuracy"] == 0.0


def test_dialogue_evaluation_tracks_the_runtime_predictions(tiny_version):
    from nlu import dst
    from nlu.runtime import NluRuntime

    runtime = NluRuntime(tiny_version)
    turns = [{"text": "工业泵多少钱", "intent": "询价", "spans": [], "context": ""},
             {"text": "是五十米", "intent": "需求确认", "spans": [{"slot": "扬程", "start": 1, "end": 4}],
              "context": "扬程多少米?"}]
    slots = {"扬程": SLOTS["扬程"], "数量": SLOTS["数量"]}
    state, tracked = dst.initial_state(), []
    for turn in turns:
        prediction = runtime.predict(turn["text"], turn["context"] or None)
        state = dst.update(state, {**prediction, "text": turn["text"], "slot_types": slots})
        tracked.append(dst.slot_values(state))
    right = evaluate_dialogues(runtime, [[{**t, "belief_state": s} for t, s in zip(turns, tracked, strict=True)]],
                               slots=slots)
    assert right["joint_goal_accuracy"] == 1.0 and right["dialogues"] == 1 and right["n"] == 2
    wrong = evaluate_dialogues(runtime, [[{**t, "belief_state": {**s, "数量": "九台"}}
                                          for t, s in zip(turns, tracked, strict=True)]], slots=slots)
    assert wrong["joint_goal_accuracy"] == 0.0
    assert {"accuracy", "macro_f1", "slot_f1", "state_slot_f1"} <= wrong.keys()


def test_dialogue_evaluation_takes_given_predictions_instead_of_a_runtime():
    turns = [{"text": "工业泵多少钱", "intent": "询价", "spans": [], "context": ""},
             {"text": "是五十米", "intent": "需求确认", "spans": [{"slot": "扬程", "start": 1, "end": 4}], "context": ""}]
    labelled = [{"intent": t["intent"], "spans": t["spans"]} for t in turns]
    dialogue = [{**turns[0], "belief_state": {}}, {**turns[1], "belief_state": {"扬程": "50米"}}]
    report = evaluate_dialogues(None, [dialogue], slots={"扬程": SLOTS["扬程"]}, predictions=labelled)
    assert report["joint_goal_accuracy"] == 1.0 and report["accuracy"] == 1.0
    missed = evaluate_dialogues(None, [dialogue], slots={"扬程": SLOTS["扬程"]}, predictions=labelled[:1] * 2)
    assert missed["joint_goal_accuracy"] == 0.5
