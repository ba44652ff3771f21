"""Integrity of the demo bot's language data (flows/demo/nlu.json): what the demo trains on must be right.

Relative dates in the examples (下周三, 月底前) are normalised against the file's ``ref_date``.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import date
from functools import lru_cache
from pathlib import Path

import pytest

from nlu.lexicon import extract
from nlu.normalize import canonical_text, enum_entries, normalize

DATA = Path(__file__).resolve().parents[2] / "flows" / "demo" / "nlu.json"
INTENTS = {"询价": False, "需求确认": False, "售后咨询": False, "投诉": True, "挂断": True, "物流查询": False,
           "肯定": False, "否定": False, "砍价": False, "转人工": True}
SLOT_TYPES = {"产品型号": "enum", "扬程": "number", "流量": "number", "数量": "quantity", "预算": "money",
              "交付时间": "datetime", "联系电话": "phone"}
PUMP_KINDS = {"离心泵", "潜水泵", "管道泵", "多级泵", "自吸泵", "化工泵", "消防泵"}


@lru_cache(maxsize=1)
def data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def examples() -> list[dict]:
    return data()["examples"]


def slots() -> dict[str, dict]:
    return {s["name"]: s for s in data()["slots"]}


def test_bot():
    bot = data()["bot"]
    assert bot["name"] == "工业泵销售" and bot["slug"] == "pump-sales" and bot["dialect"] == "mandarin"
    assert bot["description"]


def test_intents_are_the_product_brief_ones_plus_common_intents_with_replies():
    from nlu.common import catalogue

    intents = {i["name"]: i["is_global"] for i in data()["intents"]}
    assert {k: v for k, v in intents.items() if k in INTENTS} == INTENTS
    common = {name for name in intents if name not in INTENTS}
    assert len(common) >= 10 and common <= set(catalogue()) and all(intents[name] for name in common)
    assert all(i["description"] for i in data()["intents"])
    assert all(i.get("reply") for i in data()["intents"] if i["name"] in common)


def test_slots_are_the_product_brief_ones():
    assert {name: s["type"] for name, s in slots().items()} == SLOT_TYPES
    assert slots()["扬程"]["unit"] == "米" and slots()["流量"]["unit"] == "方/小时"
    assert slots()["数量"]["unit"] == "台" and slots()["预算"]["unit"] == "元"
    assert all(s["prompts"] for s in slots().values())


def test_product_values_are_real_pump_kinds_with_synonyms():
    values = slots()["产品型号"]["values"]
    assert PUMP_KINDS <= {v["value"] for v in values}
    assert all(v["synonyms"] for v in values)
    surfaces = [canonical_text(surface) for surface, _ in enum_entries(values)]
    assert len(surfaces) == len(set(surfaces)), "a synonym names two values"


def test_enough_examples_per_intent():
    counts = Counter(e["intent"] for e in examples())
    assert set(counts) == set(INTENTS)
    assert min(counts.values()) >= 15, counts
    assert len(examples()) >= 240


def test_no_duplicate_texts_and_no_text_with_two_intents():
    texts = [e["text"] for e in examples()]
    assert len(texts) == len(set(texts))
    by_key = defaultdict(set)
    for e in examples():
        by_key[re.sub(r"[\W_]+", "", canonical_text(e["text"]))].add(e["intent"])
    assert {k: v for k, v in by_key.items() if len(v) > 1} == {}


@pytest.mark.parametrize("example", examples(), ids=lambda e: e["text"])
def test_spans_match_text_and_normalised_values(example):
    ref = date.fromisoformat(data()["ref_date"])
    previous_end = 0
    for span in example["spans"]:
        slot = slots()[span["slot"]]
        surface = example["text"][span["start"]:span["end"]]
        assert 0 <= span["start"] < span["end"] <= len(example["text"]) and surface.strip() == surface
        assert span["start"] >= previous_end, "spans overlap or are out of order"
        previous_end = span["end"]
        expected = normalize(slot["type"], surface, unit=slot["unit"] or None, ref_date=ref, values=slot["values"])
        assert expected is not None and span["value"] == expected, surface


def test_every_slot_is_used():
    used = Counter(s["slot"] for e in examples() for s in e["spans"])
    assert set(used) == set(SLOT_TYPES)
    assert min(used.values()) >= 5, used


def test_dialects_are_represented():
    text = "".join(e["text"] for e in examples())
    sichuanese = ["啥子", "好多钱", "勒个", "要得", "巴适", "莫得"]
    cantonese = ["几多钱", "系", "唔该", "冇", "咩", "噉"]
    assert [w for w in sichuanese + cantonese if w not in text] == []


def test_the_lexicon_prelabels_the_examples_as_annotated():
    """Annotations and the rule-based extractor follow one convention (spans keep units, drop hedges)."""
    ref = date.fromisoformat(data()["ref_date"])
    definitions = list(slots().values())
    disagreements = []
    for e in examples():
        found = [(s["slot"], s["start"], s["end"], s["value"]) for s in extract(e["text"], definitions, ref_date=ref)]
        labelled = [(s["slot"], s["start"], s["end"], s["value"]) for s in e["spans"]]
        if found != labelled:
            disagreements.append((e["text"], found, labelled))
    assert len(disagreements) <= len(examples()) // 20, disagreements
