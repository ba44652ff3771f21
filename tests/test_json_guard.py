"""One guard for the JSON users send: hostile documents are refused with the reason, never an HTTP 500 or a dropped
socket (nlu.jsonguard and every place that parses users' JSON)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from nlu import jsonguard
from nlu.jsonguard import UnsafeJson
from tests import factories

DEEP = "[" * 2000 + "]" * 2000
SURROGATE = '{"text": "a\\ud800b", "intent": "询价"}'
HUGE_INT = '{"text": "多少钱", "intent": "询价", "n": ' + "9" * 5001 + "}"


@pytest.mark.parametrize(("text", "code"), [(DEEP, "depth"), (SURROGATE, "unicode"), (HUGE_INT, "number"),
                                            ('{"a": 1e999}', "number"), ("{oops", "syntax"), (b"\xff\xfe[", "encoding")])
def test_hostile_documents_are_refused_with_their_reason(text, code):
    with pytest.raises(UnsafeJson) as refused:
        jsonguard.loads(text)
    assert refused.value.code == code and isinstance(refused.value, ValueError)


def test_ordinary_documents_pass_and_depth_counts_only_brackets_outside_strings():
    assert jsonguard.loads('{"text": "[[[[[[", "n": 12, "x": 1.5, "ok": true}') == {
        "text": "[[[[[[", "n": 12, "x": 1.5, "ok": True}
    assert jsonguard.loads(json.dumps({"s": "[" * 500})) == {"s": "[" * 500}
    assert jsonguard.loads("[" * 64 + "]" * 64) is not None
    with pytest.raises(UnsafeJson, match="longer than 10"):
        jsonguard.loads('"' + "x" * 20 + '"', max_chars=10)


@pytest.fixture
def bot(team):
    return factories.make_bot(team["workspace"], "工业泵销售")


def nlu_url(bot, name: str) -> str:
    return reverse(f"nlu:{name}", kwargs={"ws": bot.workspace.slug, "bot": bot.slug})


def test_the_examples_import_lists_hostile_lines_with_their_reason(client, team, bot):
    client.force_login(team["editor"])
    body = "\n".join([json.dumps({"text": "多少钱", "intent": "询价"}, ensure_ascii=False), DEEP, SURROGATE,
                      HUGE_INT]).encode()
    response = client.post(nlu_url(bot, "examples_import"), {"file": SimpleUploadedFile("x.jsonl", body)}, follow=True)
    assert response.status_code == 200
    assert [line for line, _ in response.context["plan"].errors] == [2, 3, 4]
    html = response.content.decode()
    assert "nests deeper than 64 levels" in html and "invalid character" in html and "longer than 30 digits" in html
    whole = client.post(nlu_url(bot, "examples_import"), {"file": SimpleUploadedFile("x.jsonl", DEEP.encode())},
                        follow=True)
    assert whole.status_code == 200 and "nests deeper than 64 levels" in whole.content.decode()


def test_spans_fields_refuse_deep_nesting_as_a_form_error(client, team, bot):
    intent = bot.intents.create(name="询价")
    client.force_login(team["editor"])
    response = client.post(nlu_url(bot, "example_create"), {"text": "多少钱", "intent": intent.pk, "spans": DEEP},
                           follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and not bot.examples.exists()
    assert "nests deeper than 64 levels" in response.content.decode()


def test_the_edge_panel_refuses_lists_where_a_condition_has_values(client, team, bot):
    client.force_login(team["editor"])
    url = reverse("flows:edge_panel", kwargs={"ws": bot.workspace.slug, "bot": bot.slug})
    for condition in ({"type": "intent", "intent": ["询价"]}, {"type": ["intent"]}):
        edge = {"id": "e1", "source": "a", "target": "b", "condition": condition}
        response = client.post(url, {"edge": json.dumps(edge), "source_kind": "branch"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 400


def test_comparing_a_version_number_beyond_any_integer_is_not_an_error(client, team, bot):
    client.force_login(team["viewer"])
    response = client.get(nlu_url(bot, "versions_compare") + "?v=99999999999999999999999")
    assert response.status_code == 200
