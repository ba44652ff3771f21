"""The node kind table (flows/kinds.py) that the parser, checks, compiler, runtime, forms and canvas read."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from flows import graph
from flows.forms import NodeForm, canvas_labels
from flows.kinds import KINDS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", list(KINDS))
def test_every_kind_is_complete_where_the_others_read_it(name):
    kind = KINDS[name]
    assert kind.name == name and kind.label and kind.label_zh and kind.icon
    assert re.fullmatch(r"#[0-9a-f]{6}", kind.color)
    assert set(kind.exits) <= set(graph.CONDITION_TYPES)
    assert not (kind.terminal and kind.exits) and not (kind.listens and kind.terminal)
    assert kind.required in ("", *kind.empty_exits())
    for field in kind.fields:  # a field the parser, the Node and the side panel all know
        assert field in graph._FIELD_PARSERS and hasattr(graph.Node(id="n", kind=name), field)
    assert set(NodeForm(name, []).fields) == {"title", *kind.fields}


def test_the_canvas_gets_the_kind_table_in_the_pages_language():
    with translation.override("zh-hans"):
        table = canvas_labels()["kinds"]
    assert list(table) == list(KINDS)
    assert table["wait"] == {"label": "等待", "icon": "bi-hourglass-split", "color": "#ca8a04", "fields": ["seconds"],
                             "terminal": False, "start": False, "summary": "%(seconds)s 秒"}
    assert table["end"]["terminal"] and table["start"]["start"]
    assert all(not re.search("[A-Za-z]", entry["label"]) for entry in table.values())
