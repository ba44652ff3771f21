"""Bulk import and export: line-numbered errors, nothing imported unless the user skips, duplicates, conflicts."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from nlu import importing, services
from nlu.models import Intent, Slot, TrainingExample


def url(bot, name):
    return reverse(f"nlu:{name}", kwargs={"ws": bot.workspace.slug, "bot": bot.slug})


def upload(client, bot, name: str, data: bytes | str):
    data = data.encode() if isinstance(data, str) else data
    return client.post(url(bot, "examples_import"), {"file": SimpleUploadedFile(name, data)}, follow=True,
                       HTTP_ACCEPT_LANGUAGE="en")


def upload_confirmed(client, bot, name: str, data: bytes | str):
    """Upload, then confirm the new intents and slots the report lists (as the manager would)."""
    response = upload(client, bot, name, data)
    if response.context and response.context.get("token"):
        response = client.post(url(bot, "examples_import_confirm"), {"token": response.context["token"]}, follow=True)
    return response


def jsonl(*rows) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows)


GOOD = {"text": "五十米扬程多少钱", "intent": "询价", "slots": {"扬程": "五十米"}}


def test_a_clean_jsonl_file_is_imported_with_its_intents_and_slots(client, team, bot):
    client.force_login(team["editor"])
    upload_confirmed(client, bot, "data.jsonl", jsonl(GOOD, {"text": "转人工", "intent": "要求转人工", "slots": {}}))
    example = bot.examples.get(text="五十米扬程多少钱")
    assert example.spans == [{"slot": "扬程", "start": 0, "end": 3, "value": "五十米"}]
    assert set(bot.intents.values_list("name", flat=True)) == {"询价", "要求转人工"}
    assert example.source == "imported"


def test_bad_rows_are_listed_by_line_and_nothing_is_imported(client, team, bot):
    client.force_login(team["editor"])
    body = jsonl(GOOD, "{not json", {"text": "", "intent": "询价"}, {"text": "多少钱", "intent": "询价",
                                                                     "slots": {"扬程": "八十米"}})
    response = upload(client, bot, "data.jsonl", body)
    html = response.content.decode()
    assert not bot.examples.exists()
    assert [line for line, _ in response.context["plan"].errors] == [2, 3, 4]
    assert "<td>2</td>" in html
    assert "八十米" in html


def test_new_intents_and_slots_are_listed_for_confirmation_before_anything_is_created(client, team, bot):
    Intent.objects.create(bot=bot, name="营业时间")
    client.force_login(team["editor"])
    body = jsonl({"text": "你们几点下班", "intent": "营业时问", "slots": {}}, {**GOOD, "intent": "营业时间"})
    response = upload(client, bot, "data.jsonl", body)
    assert not bot.examples.exists() and set(bot.intents.values_list("name", flat=True)) == {"营业时间"}
    assert response.context["plan"].new_intents == [("营业时问", 1, "营业时间")]  # a typo, shown as such
    assert response.context["plan"].new_slots == [("扬程", 1, "")]
    assert "营业时问" in response.content.decode() and 'data-testid="new-intent"' in response.content.decode()
    client.post(url(bot, "examples_import_confirm"), {"token": response.context["token"]})
    assert set(bot.intents.values_list("name", flat=True)) == {"营业时间", "营业时问"} and bot.examples.count() == 2


def test_a_file_that_creates_nothing_new_is_imported_at_once(client, team, bot):
    Intent.objects.create(bot=bot, name="询价")
    client.force_login(team["editor"])
    upload(client, bot, "data.jsonl", jsonl({**GOOD, "slots": {}}))
    assert bot.examples.count() == 1


def test_skipping_bad_rows_imports_the_good_ones(client, team, bot):
    client.force_login(team["editor"])
    response = upload(client, bot, "data.jsonl", jsonl(GOOD, "{not json"))
    token = response.context["token"]
    client.post(url(bot, "examples_import_confirm"), {"token": token})
    assert list(bot.examples.values_list("text", flat=True)) == ["五十米扬程多少钱"]


def test_a_skip_token_works_once_and_only_for_its_bot(client, team, bot):
    client.force_login(team["editor"])
    token = upload(client, bot, "data.jsonl", jsonl(GOOD, "{bad")).context["token"]
    client.post(url(bot, "examples_import_confirm"), {"token": token})
    client.post(url(bot, "examples_import_confirm"), {"token": token})
    assert bot.examples.count() == 1


def test_an_unconfirmed_import_expires_after_a_day_and_the_sweep_deletes_it(client, team, bot, settings, tmp_path):
    import os
    import time

    import nlu.tasks  # noqa: F401  (the worker imports it: its sweeps register)
    from salesstudio.sweeps import run_sweeps

    settings.DATA_DIR = tmp_path
    client.force_login(team["editor"])
    old = upload(client, bot, "data.jsonl", jsonl(GOOD, "{bad")).context["token"]
    new = upload(client, bot, "data.jsonl", jsonl(GOOD, "{bad")).context["token"]
    day_ago = time.time() - services.STASH_TTL - 60
    os.utime(tmp_path / "nlu-imports" / f"{old}.json", (day_ago, day_ago))
    response = client.post(url(bot, "examples_import_confirm"), {"token": old}, follow=True)
    assert "This import has expired" in response.content.decode() and bot.examples.count() == 0
    os.utime(tmp_path / "nlu-imports" / f"{new}.json", (day_ago, day_ago))
    assert run_sweeps() >= 1  # the worker's timer: nothing is left behind
    assert list((tmp_path / "nlu-imports").iterdir()) == []


def test_duplicates_in_a_file_are_merged(client, team, bot):
    client.force_login(team["editor"])
    upload_confirmed(client, bot, "data.jsonl", jsonl({**GOOD, "slots": {}}, GOOD))
    example = bot.examples.get()
    assert example.spans and example.spans[0]["slot"] == "扬程"


def test_conflicting_labels_in_a_csv_are_flagged(client, team, bot):
    client.force_login(team["editor"])
    body = "text,intent,slots\n五十米扬程多少钱,询价,扬程=五十米\n五十米扬程多少钱,砍价,\n"
    response = upload(client, bot, "data.csv", body)
    assert not bot.examples.exists()
    conflicts = response.context["plan"].conflicts
    assert conflicts[0][0] == 3 and "砍价" in conflicts[0][1] and "询价" in conflicts[0][1]


def test_a_conflict_with_a_stored_example_is_flagged(client, team, bot):
    TrainingExample.objects.create(bot=bot, text="多少钱", intent=Intent.objects.create(bot=bot, name="询价"))
    client.force_login(team["editor"])
    response = upload(client, bot, "data.jsonl", jsonl({"text": "多少钱", "intent": "砍价"}))
    assert response.context["plan"].conflicts[0][0] == 1
    assert bot.examples.get().intent.name == "询价"


def test_csv_slot_values_are_located_with_the_slot_type(client, team, bot):
    Slot.objects.create(bot=bot, name="扬程", type="number", unit="米")
    client.force_login(team["editor"])
    upload_confirmed(client, bot, "data.csv", "文本,意图,槽位\n五十米扬程多少钱,询价,扬程=50\n")
    assert bot.examples.get().spans == [{"slot": "扬程", "start": 0, "end": 3, "value": "50"}]


def test_gbk_csv_from_excel_is_read(client, team, bot):
    client.force_login(team["editor"])
    upload_confirmed(client, bot, "data.csv", "text,intent\n多少钱,询价\n".encode("gbk"))
    assert bot.examples.get().text == "多少钱"


@pytest.mark.parametrize(("name", "data", "message"), [
    ("data.xlsx", b"PK\x03\x04", "Unsupported file type"),
    ("data.jsonl", b"\x00\x01\x02binary", "not a text file"),
    ("data.jsonl", b"  \n", "empty"),
    ("data.csv", "名字,年龄\n张三,3\n".encode(), "must name the columns"),
])
def test_unreadable_files_give_a_clear_error_and_change_nothing(client, team, bot, name, data, message):
    client.force_login(team["editor"])
    response = upload(client, bot, name, data)
    assert message in response.content.decode()
    assert not bot.examples.exists() and not bot.intents.exists()


def test_a_huge_file_is_refused(client, team, bot, monkeypatch):
    monkeypatch.setattr(importing, "MAX_BYTES", 100)
    client.force_login(team["editor"])
    response = upload(client, bot, "data.jsonl", jsonl(*[GOOD] * 10))
    assert "MB" in response.content.decode()
    assert not bot.examples.exists()


def test_char_tags_give_the_spans():
    row = {"text": "我要听吴雨霏的歌", "intent": "PlayMusic", "slots": {"singer": "吴雨霏"},
           "char_tags": ["O", "O", "O", "B-singer", "I-singer", "E-singer", "O", "O"]}
    parsed = importing.parse_jsonl(jsonl(row))
    assert parsed.rows[0].spans == [{"slot": "singer", "start": 3, "end": 6, "value": "吴雨霏"}]


def test_invisible_characters_are_removed_and_spans_follow():
    row = {"text": "\ufeff我要\u200b听吴雨霏", "intent": "x", "char_tags": ["O", "O", "O", "O", "O", "B-s", "I-s", "E-s"]}
    parsed = importing.parse_jsonl(jsonl(row))
    assert parsed.rows[0].text == "我要听吴雨霏"
    assert parsed.rows[0].spans == [{"slot": "s", "start": 3, "end": 6, "value": "吴雨霏"}]


def test_export_then_import_round_trips(client, team, bot):
    intent = Intent.objects.create(bot=bot, name="询价")
    Slot.objects.create(bot=bot, name="扬程")
    spans = [{"slot": "扬程", "start": 0, "end": 3, "value": "五十米"}]
    TrainingExample.objects.create(bot=bot, intent=intent, text="五十米扬程多少钱", spans=spans, context="您好")
    client.force_login(team["viewer"])
    for fmt in ("jsonl", "csv"):
        body = client.get(url(bot, "examples_export") + f"?format={fmt}").content
        parsed = importing.parse_upload(body, f"x.{fmt}")
        assert [r.as_example() for r in parsed.rows] == [{"text": "五十米扬程多少钱", "intent": "询价", "spans": spans,
                                                          "context": "您好"}], fmt


def test_every_core_import_message_is_marked_for_translation():
    import re
    from pathlib import Path

    source = "".join(path.read_text() for path in Path(importing.__file__).parent.glob("*.py"))
    templates = set(re.findall(r'(?:Message|RowError|ImportFileError)\("((?:[^"\\]|\\.)*)"', source))
    assert templates and templates <= set(services.IMPORT_MESSAGES)


def test_a_formula_looking_example_is_exported_escaped_and_imported_back_as_text(client, team, bot):
    intent = Intent.objects.create(bot=bot, name="询价")
    TrainingExample.objects.create(bot=bot, intent=intent, text="=cmd|' /C calc'!A0")
    client.force_login(team["viewer"])
    body = client.get(url(bot, "examples_export") + "?format=csv").content
    assert "\n'=cmd|" in body.decode("utf-8-sig")  # a spreadsheet shows it as text, never runs it
    assert [r.text for r in importing.parse_upload(body, "x.csv").rows] == ["=cmd|' /C calc'!A0"]
