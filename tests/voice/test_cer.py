"""The CER normaliser as a table of cases, and the CER arithmetic."""

from __future__ import annotations

import pytest

from voice.cer import cer, corpus_cer, edit_distance, integer_to_chinese, normalize


@pytest.mark.parametrize(("raw", "expected"), [
    ("廣州市房地產。", "广州市房地产"),                   # traditional → simplified, punctuation removed
    ("你 好 ， 世界 ！", "你好世界"),                        # spaces and full-width punctuation
    ("ＡＢＣ，ｏｋ", "abcok"),                              # full-width → half-width, lower case
    ("Hello World!", "helloworld"),
    ("扬程50米", "扬程五十米"),                              # quantities read positionally
    ("15台", "十五台"),
    ("105元", "一百零五元"),
    ("25000元", "二万五千元"),
    ("10500元", "一万零五百元"),
    ("2.5万", "二点五万"),
    ("50%", "百分之五十"),
    ("2019年", "二零一九年"),                                # years digit by digit
    ("电话13812345678", "电话一三八一二三四五六七八"),          # long numbers digit by digit
    ("编号007", "编号零零七"),                               # zero-led codes digit by digit
    ("《工业泵》“好”", "工业泵好"),
    ("", ""),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize(("value", "spoken"), [(0, "零"), (10, "十"), (11, "十一"), (20, "二十"), (100, "一百"),
                                               (1005, "一千零五"), (100000, "十万"), (120000000, "一亿二千万")])
def test_integer_to_chinese(value, spoken):
    assert integer_to_chinese(value) == spoken


def test_edit_distance_counts_substitutions_insertions_deletions():
    assert edit_distance("工业泵", "工业泵") == 0
    assert edit_distance("工业泵", "工业水泵") == 1
    assert edit_distance("工业泵", "工泵") == 1
    assert edit_distance("工业泵", "商业泵") == 1
    assert edit_distance("", "abc") == 3


def test_cer_after_normalisation():
    assert cer("广州市房地产", "廣州市房地產。") == 0.0
    assert cer("五十米", "50米") == 0.0
    assert cer("你好", "") == 1.0
    assert cer("。", "") == 0.0


def test_corpus_cer_weights_by_reference_length():
    assert corpus_cer([("你好", "你们好"), ("再见", "")]) == pytest.approx(3 / 4)
    assert corpus_cer([]) == 0.0
