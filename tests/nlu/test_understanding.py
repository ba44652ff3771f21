"""The composed understanding: typed slot values, intents from the bot's examples and common intents, out of scope,
and the trained model blended in."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from flows.bundles import DEMO_DIR
from nlu.common import catalogue, with_common_examples
from nlu.runtime import NluRuntime
from nlu.understanding import (
    MODEL_WEIGHT,
    NO_INTENT,
    Understanding,
    blend,
    cached_understanding,
    calibrate,
    features,
    out_of_scope_texts,
    pattern,
    with_out_of_scope,
)

DEMO = json.loads((DEMO_DIR / "nlu.json").read_text(encoding="utf-8"))
SLOTS = {s["name"]: s for s in DEMO["slots"]}
SWITCHED_ON = [i["name"] for i in DEMO["intents"]] + ["问候", "在忙", "是否机器人", "没听清"]


@pytest.fixture(scope="module")
def demo() -> Understanding:
    return Understanding(SLOTS, with_common_examples(DEMO["examples"], SWITCHED_ON), ref_date=date(2026, 11, 20))


class Tagger:
    """A stand-in slot tagger that answers with fixed spans, to show what the composition keeps of a tagger's
    output (the real runtime's spans have the same shape)."""

    intents = ["需求确认"]

    def __init__(self, spans: list[dict]) -> None:
        self.spans = spans

    def predict_many(self, texts, contexts=None):  # noqa: ANN001, ANN201
        return [{"intent": "需求确认", "confidence": 1.0, "ranking": [{"intent": "需求确认", "confidence": 1.0}],
                 "spans": self.spans} for _ in texts]


def values(result: dict) -> list[tuple[str, object]]:
    return [(s["slot"], s["value"]) for s in result["spans"]]


def test_a_number_keeps_its_unit_whatever_the_tagger_cut():
    text = "我要扬程五十米左右的泵"  # a tagger that read 扬程=十米 and 联系电话=五
    tagger = Tagger([{"slot": "联系电话", "start": 4, "end": 5, "text": "五", "confidence": 0.9},
                     {"slot": "扬程", "start": 5, "end": 7, "text": "十米", "confidence": 0.9}])
    assert values(Understanding(SLOTS, DEMO["examples"], tagger).predict(text)) == [("扬程", 50)]


def test_a_tagged_span_must_parse_as_its_slot_type():
    text = "型号随便，叫我老王就行"
    tagger = Tagger([{"slot": "联系电话", "start": 7, "end": 9, "text": "老王", "confidence": 0.9},
                     {"slot": "数量", "start": 2, "end": 4, "text": "随便", "confidence": 0.9}])
    assert values(Understanding(SLOTS, DEMO["examples"], tagger).predict(text)) == []
    phone = Tagger([{"slot": "联系电话", "start": 3, "end": 14, "text": "13912345678", "confidence": 0.9}])
    assert values(Understanding(SLOTS, DEMO["examples"], phone).predict("打我这13912345678")) == [
        ("联系电话", "13912345678")]


def test_the_issue_examples_get_typed_values(demo):
    assert values(demo.predict("扬程八十米")) == [("扬程", 80)]
    assert values(demo.predict("数量改成十二台")) == [("数量", 12)]
    assert values(demo.predict("流量二十方")) == [("流量", 20)]


def test_examples_generalise_across_slot_values_and_dialect(demo):
    assert pattern("离心泵多少钱一台", [{"slot": "产品型号", "start": 0, "end": 3}]) == "{产品型号}多少钱一台"
    result = demo.predict("多级泵多少钱一台")
    assert (result["intent"], values(result), result["source"]) == ("询价", [("产品型号", "多级泵")], "examples")
    assert demo.predict("冇問題")["intent"] == "肯定"  # traditional characters


def test_common_intents_answer_a_greeting_instead_of_a_business_intent(demo):
    assert demo.predict("你好")["intent"] == "问候"
    assert demo.predict("你是不是机器人哦")["intent"] == "是否机器人"
    without = Understanding(SLOTS, DEMO["examples"])
    assert without.predict("你好")["intent"] != "问候"


def test_out_of_scope_has_no_intent(demo):
    result = demo.predict("zzzz")
    assert (result["intent"], result["ranking"]) == (None, [])


@pytest.mark.parametrize("text", ["外头在落暴雨", "我周末要带娃去游泳", "字幕由社区提供"])
def test_small_talk_and_recogniser_noise_have_no_intent(demo, text):
    # none of these is among the shipped out-of-scope sentences: the classifier learned what they are like
    assert text not in out_of_scope_texts()
    assert demo.predict(text)["intent"] is None


def test_the_no_intent_label_never_shows_and_a_bots_own_label_wins():
    assert all(r["intent"] for r in Understanding(SLOTS, DEMO["examples"]).predict("泵多少钱")["ranking"])
    own = [*DEMO["examples"], {"text": "谢谢观看", "intent": "挂断", "spans": []}]
    assert Understanding(SLOTS, own).predict("谢谢观看")["intent"] == "挂断"
    rows = with_out_of_scope(own)
    assert [r["intent"] for r in rows if r["text"] == "谢谢观看"] == ["挂断"]
    assert {r["intent"] for r in rows[len(own):]} == {NO_INTENT}
    assert len(rows) == len(own) + len(out_of_scope_texts()) - 1


def test_confidences_are_probabilities_ranked(demo):
    ranking = demo.predict("太贵了便宜点")["ranking"]
    assert ranking[0]["intent"] == "砍价"
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)
    assert 0 < sum(r["confidence"] for r in ranking) <= 1.0 + 1e-9


def test_common_examples_join_but_the_bots_own_label_wins():
    rows = with_common_examples([{"text": "稍等", "intent": "转人工", "spans": []}], ["稍等", "不存在的意图"])
    assert rows[0] == {"text": "稍等", "intent": "转人工", "spans": []}
    assert all(r["intent"] == "稍等" for r in rows[1:]) and len(rows) == len(catalogue()["稍等"].examples)


def test_the_catalogue_has_fourteen_intents_of_at_least_forty_examples():
    shipped = catalogue()
    assert len(shipped) >= 14
    assert all(len(set(c.examples)) >= 40 and c.reply and c.description for c in shipped.values())
    texts = [t for c in shipped.values() for t in c.examples]
    assert len(texts) == len(set(texts))  # no phrase under two common intents


def test_blending_keeps_what_the_model_never_saw():
    labels = ["问候", "物流查询", "询价"]
    examples = np.array([0.6, 0.2, 0.2])
    mixed = blend(labels, examples, [{"intent": "物流查询", "confidence": 0.9}, {"intent": "询价",
                                                                              "confidence": 0.1}], {"物流查询", "询价"})
    assert mixed[0] == pytest.approx(0.6) and mixed.sum() == pytest.approx(1.0)
    assert mixed[1] > mixed[2]
    ranking = [{"intent": "询价", "confidence": 1.0}]
    assert np.allclose(blend(labels, examples, ranking, {"物流查询", "询价"}, 0.0), examples)  # no share: no say
    assert blend(labels, examples, ranking, {"物流查询", "询价"}, 0.5)[2] == pytest.approx(0.3)
    assert blend(labels, examples, ranking, {"物流查询", "询价"})[2] == pytest.approx(0.2 * 0.9 + 0.4 * 0.1)


def test_the_blend_is_calibrated_and_the_temperature_changes_confidence_not_order(tiny_version):
    from tests.nlu.conftest import toy_examples

    understanding = Understanding({}, toy_examples(), NluRuntime(tiny_version))
    fitted = calibrate(understanding, toy_examples())
    assert 0.2 <= fitted["temperature"] <= 3.0 and understanding.temperature == fitted["temperature"]
    assert "model_weight" not in fitted and understanding.model_weight == MODEL_WEIGHT  # a manager's own examples
    assert calibrate(Understanding({}, toy_examples()), toy_examples()) == {}  # nothing to blend
    before = understanding.predict("工业泵多少钱")["ranking"]
    understanding.temperature = 3.0
    after = understanding.predict("工业泵多少钱")["ranking"]
    assert [r["intent"] for r in after] == [r["intent"] for r in before]
    assert after[0]["confidence"] < before[0]["confidence"]


def test_the_trained_model_is_blended_in(tiny_version):
    from tests.nlu.conftest import toy_examples

    model = NluRuntime(tiny_version)
    understanding = cached_understanding({}, toy_examples(), model)
    assert cached_understanding({}, toy_examples(), model) is understanding
    result = understanding.predict("工业泵多少钱")
    assert result["source"] == "model+examples" and result["intent"] == "询价"


def test_meaning_decides_where_the_characters_mislead(demo):
    """"价钱能少点不" shares 价钱 with the 询价 examples and "这泵咋卖" little with anything; their sentence
    embeddings are nearest to 砍价 and 询价 examples, and the average follows the meaning."""
    classifier = demo.classifier
    for text, characters, meaning in (("价钱能少点不", "询价", "砍价"), ("这泵咋卖", "售后咨询", "询价")):
        matrix = classifier.vectorizer.transform([features(text, demo.predict(text)["spans"])])
        assert classifier.labels[int(np.argmax(classifier.svm.decision_function(matrix)))] == characters
        assert demo.predict(text)["intent"] == meaning


def _classifier_data() -> tuple[list[str], np.ndarray, list[str]]:
    patterns = ["多少钱|多少钱", "什么价|什么价", "价格多少|价格多少",
                "不要了|不要了", "不需要|不需要", "算了吧|算了吧"]
    vectors = np.random.default_rng(0).normal(size=(6, 8)).astype(np.float32)
    return patterns, vectors, ["询价"] * 3 + ["否定"] * 3


def test_a_fitted_intent_classifier_is_kept_on_disk_and_read_back(tmp_path, monkeypatch):
    from nlu import understanding

    monkeypatch.setattr(understanding, "_FOLDER", tmp_path)
    patterns, vectors, labels = _classifier_data()
    fitted = understanding.fitted_classifier(patterns, vectors, labels)
    [kept] = tmp_path.glob("*.joblib")

    def refit(*args):  # noqa: ANN002, ANN202
        raise AssertionError("fitted again although it was kept")

    monkeypatch.setattr(understanding.IntentClassifier, "_fit", staticmethod(refit))
    read = understanding.fitted_classifier(patterns, vectors, labels)
    assert read is not fitted and read.labels == fitted.labels == ["否定", "询价"]
    np.testing.assert_allclose(read.probabilities(["多少钱"], vectors[:1])[0],
                               fitted.probabilities(["多少钱"], vectors[:1])[0])
    assert list(tmp_path.iterdir()) == [kept]  # nothing half-written left beside it


def test_other_examples_get_a_classifier_of_their_own(tmp_path, monkeypatch):
    from nlu import understanding

    monkeypatch.setattr(understanding, "_FOLDER", tmp_path)
    patterns, vectors, labels = _classifier_data()
    understanding.fitted_classifier(patterns, vectors, labels)
    understanding.fitted_classifier(patterns, vectors, labels[::-1])
    assert len(list(tmp_path.glob("*.joblib"))) == 2


def test_a_damaged_classifier_file_is_fitted_again_and_replaced(tmp_path, monkeypatch):
    import joblib

    from nlu import understanding

    monkeypatch.setattr(understanding, "_FOLDER", tmp_path)
    patterns, vectors, labels = _classifier_data()
    understanding.fitted_classifier(patterns, vectors, labels)
    [kept] = tmp_path.glob("*.joblib")
    kept.write_bytes(b"not a classifier")
    assert understanding.fitted_classifier(patterns, vectors, labels).labels == ["否定", "询价"]
    assert joblib.load(kept).labels == ["否定", "询价"]


class Answers:
    """A stand-in intent model that answers each text as told (the real runtime's rankings have the same shape)."""

    intents = ["询价", "物流查询", "要求转人工", "需求确认"]

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers

    def predict_many(self, texts, contexts=None):  # noqa: ANN001, ANN201
        return [{"intent": self.answers[t], "confidence": 1.0, "ranking": [{"intent": self.answers[t],
                                                                              "confidence": 1.0}], "spans": []}
                for t in texts]


def test_a_bot_taught_in_its_callers_words_fits_the_models_share_on_validation():
    from tests.nlu.conftest import toy_examples

    # callers who say things the examples do not: only the model knows these are delivery questions
    validation = [{"text": text, "intent": "物流查询", "spans": [], "context": None}
                  for text in ("这个价钱什么时候能到", "多少钱的那批到哪了", "报价的那台几号送",
                               "多少钱都行，关键是哪天到")]
    right = Answers({e["text"]: "物流查询" for e in validation})
    assert calibrate(Understanding({}, toy_examples(), right, callers_words=True), validation)["model_weight"] >= 0.5
    plain = [{"text": text, "intent": "要求转人工", "spans": [], "context": None}
             for text in ("帮我转个人工", "转人工客服吧", "我要找人工", "给我转人工")]
    wrong = Answers({e["text"]: "询价" for e in plain})  # a model worse than the examples on these callers
    assert calibrate(Understanding({}, toy_examples(), wrong, callers_words=True), plain)["model_weight"] < 0.5
    taught = Understanding({}, toy_examples(), right)  # a manager's own examples: the share stays the product's
    assert "model_weight" not in calibrate(taught, validation) and taught.model_weight == MODEL_WEIGHT


def test_the_classifier_reads_an_utterance_as_its_vectorizer_would(demo):
    texts = ["那个多级泵好多钱一台嘛", "扬程80米，要3台", "", "ＩＳＧ", "完全不认识的字龘"]
    patterns = [features(t, []) for t in texts]
    ours, theirs = demo.classifier.transform(patterns), demo.classifier.vectorizer.transform(patterns)
    assert ours.shape == theirs.shape and np.allclose(ours.toarray(), theirs.toarray())
