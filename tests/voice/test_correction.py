"""Lexicon-aware transcript correction: near-homophones of the bot's words are fixed, ordinary words are left alone."""

from __future__ import annotations

import pytest

from voice.correction import LexiconCorrector, similarity, syllables, vocabulary

VOCABULARY = ["工业泵", "离心泵", "管道泵", "不锈钢", "扬程", "流量", "潜水泵", "ISG", "水泵", "多级泵", "化工泵",
              "型号"]


@pytest.fixture(scope="module")
def corrector():
    return LexiconCorrector(VOCABULARY)


@pytest.mark.parametrize(("heard", "meant"), [
    ("我想问下工业份多少钱", "我想问下工业泵多少钱"),   # f/b heard for the product's 泵
    ("光野盆有没有现货", "工业泵有没有现货"),
    ("工业本", "工业泵"),                               # en/eng
    ("管道本要三台", "管道泵要三台"),
    ("杨城五十米", "扬程五十米"),                       # a two-character term: every syllable alike
    ("留量二十方", "流量二十方"),                       # n/l and a homophone
    ("要一台前水泵", "要一台潜水泵"),                   # q/j and in/ing confusions of a southern speaker
    ("前水泵坏了", "潜水泵坏了"),                       # the bot's 水泵 inside it does not stop the longer term
    ("工业帮这块你们专业吗", "工业泵这块你们专业吗"),   # ang/eng: the same nasal ending
    ("多集 盟流量多大", "多级泵流量多大"),               # m/b made at the same place; Whisper's space dropped
])
def test_near_homophones_of_the_bots_words_are_corrected(corrector, heard, meant):
    assert corrector.correct(heard) == meant


@pytest.mark.parametrize("text", [
    "我们是做工业的",          # 工业 alone is an ordinary word, not the product
    "你好我想问一下价格",
    "明天下午有空",
    "那个不锈钢的离心泵多少钱",  # already the bot's words
    "流量多少",
    "杨先生在吗",              # half of 扬程 is not enough for a two-character term
    "ISG 型号的工业泵",
    "售后电话根本打不通",      # 话根本 sounds near 化工泵 but starts inside 电话
    "信号不好没听到",          # 信号 sounds like 型号 but is a word of its own
    "阳澄湖大闸蟹",            # 阳澄 sounds like 扬程 but ends inside 阳澄湖
])
def test_ordinary_and_correct_text_is_left_alone(corrector, text):
    assert corrector.correct(text) == text


def test_corrections_name_what_was_heard_and_where(corrector):
    [fix] = corrector.corrections("问下工业份价格")
    assert (fix.start, fix.heard, fix.term) == (2, "工业份", "工业泵")
    assert 0.8 <= fix.score < 1


def test_similarity_is_tone_insensitive_and_symmetric_in_length():
    assert similarity(syllables("扬程"), syllables("阳城")) == 1.0
    assert similarity(syllables("扬程"), syllables("扬程五")) == 0.0


def test_a_vocabulary_without_han_terms_changes_nothing():
    assert LexiconCorrector(["ISG", "", " ", "泵"]).correct("工业份") == "工业份"


@pytest.mark.parametrize(("heard", "meant"), [
    ("比如爱爱四级管道蹦", "比如ISG管道泵"),  # Whisper writes a spelled model name as the syllables it hears
    ("秋达不溜的排污用", "QW的排污用"),
    ("打开c c t v一", "打开c c t v一"),      # letters already written stay as they are
    ("我爱四川", "我爱四川"),                # 艾艾斯 needs all three of IS's sounds
])
def test_a_models_latin_name_is_known_by_how_it_is_spelled_aloud(heard, meant):
    assert LexiconCorrector(["ISG", "QW", "IS", "管道泵"]).correct(heard) == meant


def test_the_vocabulary_holds_slot_names_values_synonyms_and_extra_words():
    slots = [{"name": "产品型号", "values": [{"value": "离心泵", "synonyms": ["离心式水泵", "ISG"]}, "潜水泵"]},
             {"name": "扬程", "type": "number"}]
    assert vocabulary(slots, ["工业泵", "离心泵"]) == ["产品型号", "离心泵", "离心式水泵", "ISG", "潜水泵", "扬程", "工业泵"]


def test_spaces_whisper_puts_between_chinese_words_are_dropped_and_others_kept(corrector):
    assert corrector.correct("流量 二十 方") == "流量二十方"
    assert corrector.correct("要 ISG 的") == "要 ISG 的"


@pytest.mark.parametrize(("readings", "chosen"), [
    # Whisper's second reading names the bot's product: it wins over a slightly likelier first one
    ([("给我推荐各多疾踪", -0.30), ("给我推荐个多级泵", -0.42)], ("给我推荐个多级泵", "给我推荐个多级泵")),
    # once corrected, the first reading holds the bot's words as well: Whisper's order stands
    ([("工业帮这块你们专业吗", -0.20), ("工业泵这块你们专业吗", -0.25)], ("工业泵这块你们专业吗", "工业帮这块你们专业吗")),
    # no bot words in any reading: Whisper's first
    ([("我们明天再说吧", -0.20), ("我们明天在说吧", -0.22)], ("我们明天再说吧", "我们明天再说吧")),
    # a bot word does not rescue a far less likely reading
    ([("今天天气不错", -0.10), ("今天扬程不错", -1.50)], ("今天天气不错", "今天天气不错")),
])
def test_the_reading_with_the_bots_words_is_chosen_when_nearly_as_likely(corrector, readings, chosen):
    assert corrector.choose(readings) == chosen
