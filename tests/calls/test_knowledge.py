"""The knowledge-base pages and services: entries added, edited and imported (with line-numbered problems), exported,
the threshold, what reaches a published version, hits per entry and unanswered questions with their actions."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from calls.calllog import knowledge as services
from calls.calllog import open_call, record_turn
from calls.turns import TurnRecord
from flows.services import bot_schema, get_flow
from nlu.models import KnowledgeEntry, knowledge_threshold
from tests import factories

pytestmark = pytest.mark.django_db

CSV = ("问题,问法,回答,之后\n"
       "质保多久,保修几年｜坏了保不保修,整机质保一年。,回到原问题\n"
       ",没有问题的一行,答案,\n"
       "=cmd|' /C calc'!A0,,会被当作文字,转人工\n")


def url(bot, name: str, **kwargs) -> str:
    return reverse(f"calls:{name}", kwargs={"ws": bot.workspace.slug, "bot": bot.slug, **kwargs})


@pytest.fixture
def bot(team):
    return factories.make_bot(team["workspace"])


def test_an_import_keeps_good_rows_reports_bad_lines_and_replaces_a_known_question(bot):
    result = services.do_import_knowledge(bot, CSV.encode())
    assert (result.created, result.updated) == (2, 0)
    assert result.problems == ["Line 3: The question is empty."]
    formula = KnowledgeEntry.objects.get(bot=bot, after="transfer")
    assert formula.question == "=cmd|' /C calc'!A0"  # stored as the text it is
    again = services.do_import_knowledge(bot, "问题,回答\n质保多久,两年。\n".encode("gbk"))
    assert (again.created, again.updated) == (0, 1)
    assert KnowledgeEntry.objects.get(bot=bot, question="质保多久").answers == ["两年。"]


def test_a_file_that_cannot_be_read_saves_nothing(bot):
    with pytest.raises(Exception, match="问题 and 回答"):
        services.do_import_knowledge(bot, b"name,phone\n1,2\n")
    assert not KnowledgeEntry.objects.filter(bot=bot).exists()


def test_the_export_escapes_formula_cells(bot):
    services.do_import_knowledge(bot, CSV.encode())
    exported = services.export_knowledge(bot).decode("utf-8-sig")
    assert "\n'=cmd|' /C calc'!A0," in exported and "保修几年｜坏了保不保修" in exported


def test_the_compiler_sees_the_entries_and_the_threshold(bot):
    assert "knowledge" not in bot_schema(bot)
    services.do_import_knowledge(bot, CSV.encode())
    services.do_set_threshold(bot, 0.06)
    knowledge = bot_schema(bot)["knowledge"]
    assert knowledge["threshold"] == 0.06 == knowledge_threshold(bot)
    assert [e["question"] for e in knowledge["entries"]] == ["质保多久", "=cmd|' /C calc'!A0"]


def test_an_edit_is_unpublished_until_the_flow_is_published_again(client, team):
    from flows import bundles
    from flows import services as flow_services

    demo = bundles.do_import_bot(team["workspace"], bundles.load_demo_bundle(), team["owner"])
    assert not services.unpublished(demo)
    services.do_set_threshold(demo, 0.05)
    assert services.unpublished(demo)
    client.force_login(team["viewer"])
    assert 'data-testid="knowledge-unpublished"' in client.get(url(demo, "knowledge")).content.decode()
    flow_services.do_publish(flow_services.get_flow(demo), team["owner"])
    assert not services.unpublished(demo)


def test_trying_a_question_says_which_entry_would_answer_and_why_not(client, team, bot):
    services.do_import_knowledge(bot, CSV.encode())
    client.force_login(team["viewer"])
    tried = client.get(url(bot, "knowledge_try"), {"q": "保质期有多长"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-matched="1"' in tried and "质保多久" in tried
    tried = client.get(url(bot, "knowledge_try"), {"q": "好的好的"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-matched="0"' in tried
    plain = client.get(url(bot, "knowledge_try"), {"q": "保质期有多长"})  # without htmx: the page with the answer
    assert plain.status_code == 302 and plain.url.endswith("?q=%E4%BF%9D%E8%B4%A8%E6%9C%9F%E6%9C%89%E5%A4%9A%E9%95%BF#try")
    assert 'data-matched="1"' in client.get(plain.url).content.decode()


def test_hits_count_answers_and_unanswered_lists_the_questions_nothing_answered(bot):
    version = get_flow(bot).versions.create(number=1, graph={}, program={}, checksum="-")
    call = open_call(bot=bot, flow_version=version)
    record_turn(call, TurnRecord(index=0, event="start", bot_text="您好"))
    record_turn(call, TurnRecord(index=1, event="user", user_text="保修几年", knowledge="质保多久",
                                 knowledge_score=0.07))
    record_turn(call, TurnRecord(index=2, event="user", user_text="你们卖手机吗", no_match=True))
    record_turn(call, TurnRecord(index=3, event="user", user_text="你们卖手机吗", no_match=True))
    record_turn(call, TurnRecord(index=4, event="user", user_text="我在开车", no_match=True))  # asks nothing
    record_turn(call, TurnRecord(index=5, event="user", user_text="啊？", no_match=True))
    assert services.hits(bot) == {"质保多久": 1}
    [row] = services.unanswered(bot)
    assert (row["text"], row["n"]) == ("你们卖手机吗", 2)


def test_what_nothing_answered_is_offered_to_its_nearest_entry_first(client, team, bot):
    client.force_login(team["editor"])
    for question, phrasing, answer in (("怎么付款", "能不能分期付", "支持对公转账，首付三成。"),
                                       ("质保多久", "保修几年", "整机质保一年，电机两年。")):
        client.post(url(bot, "knowledge"), {"question": question, "phrasings": phrasing, "answers": answer,
                                            "after": "return"})
    version = get_flow(bot).versions.create(number=1, graph={}, program={}, checksum="-")
    call = open_call(bot=bot, flow_version=version)
    record_turn(call, TurnRecord(index=0, event="user", user_text="泵坏了你们管不管修", no_match=True))
    page = client.get(url(bot, "knowledge")).content.decode()
    warranty, payment = (KnowledgeEntry.objects.get(bot=bot, question=q) for q in ("质保多久", "怎么付款"))
    assert f'<option value="{warranty.pk}" selected>质保多久</option>' in page
    assert f'<option value="{payment.pk}">怎么付款</option>' in page


def test_the_page_adds_edits_teaches_a_phrasing_and_deletes(client, team, bot):
    client.force_login(team["editor"])
    page = url(bot, "knowledge")
    client.post(page, {"question": "质保多久", "phrasings": "保修几年\n", "answers": "一年。", "after": "return"})
    entry = KnowledgeEntry.objects.get(bot=bot)
    duplicate = client.post(page, {"question": "质保多久", "answers": "两年。", "after": "return"})
    assert duplicate.status_code == 200 and KnowledgeEntry.objects.filter(bot=bot).count() == 1
    client.post(url(bot, "knowledge_entry", entry=entry.pk),
                {"question": "质保多久", "phrasings": "保修几年\n坏了管不管", "answers": "一年。\n整机一年。",
                 "after": "end"})
    entry.refresh_from_db()
    assert entry.phrasings == ["保修几年", "坏了管不管"]
    assert (entry.answers, entry.after) == (["一年。", "整机一年。"], "end")
    client.post(url(bot, "knowledge_add_phrasing"), {"entry": entry.pk, "text": " 用坏了修不修 "})
    client.post(url(bot, "knowledge_add_phrasing"), {"entry": "x", "text": "别的"})
    entry.refresh_from_db()
    assert entry.phrasings[-1] == "用坏了修不修" and "别的" not in entry.phrasings
    client.post(url(bot, "knowledge_delete", entry=entry.pk))
    assert not KnowledgeEntry.objects.filter(bot=bot).exists()


def test_the_page_imports_and_sets_the_threshold(client, team, bot):
    client.force_login(team["editor"])
    response = client.post(url(bot, "knowledge_import"), {"file": io.BytesIO(CSV.encode())}, follow=True,
                           HTTP_ACCEPT_LANGUAGE="en")
    text = response.content.decode()
    assert "2 questions added, 0 replaced." in text and "Line 3: The question is empty." in text
    client.post(url(bot, "knowledge_threshold"), {"threshold": "0.9"})
    assert knowledge_threshold(bot) == pytest.approx(0.035)  # out of range: refused
    client.post(url(bot, "knowledge_threshold"), {"threshold": "0.05"})
    assert knowledge_threshold(bot) == 0.05


def test_an_entry_of_another_bot_is_not_found(client, team, bot):
    other = factories.make_bot(team["other_workspace"], "别家的泵")
    foreign = KnowledgeEntry.objects.create(bot=other, question="质保多久", answers=["一年。"])
    client.force_login(team["owner"])
    assert client.get(url(bot, "knowledge_entry", entry=foreign.pk)).status_code == 404
    assert client.post(url(bot, "knowledge_delete", entry=foreign.pk)).status_code == 404
    client.post(url(bot, "knowledge_add_phrasing"), {"entry": foreign.pk, "text": "偷偷加"})
    foreign.refresh_from_db()
    assert foreign.phrasings == []


def test_follow_up_questions_are_checked_against_the_bots_slots_and_reach_the_compiler(client, team, bot):
    from nlu.models import Slot

    Slot.objects.get_or_create(bot=bot, name="扬程", defaults={"type": "number"})
    client.force_login(team["editor"])
    page = url(bot, "knowledge")
    form = {"question": "能不能定制", "answers": "可以定制。", "after": "return"}
    refused = client.post(page, {**form, "follow_up": "安装地点=您的项目在哪个城市？"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 200 and "“安装地点”不是机器人的槽位。" in refused.content.decode()
    malformed = client.post(page, {**form, "follow_up": "您需要多大扬程？"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "槽位=问题" in malformed.content.decode() and not KnowledgeEntry.objects.filter(bot=bot).exists()
    client.post(page, {**form, "follow_up": "扬程＝您需要的扬程是多少米？\n\n"})
    entry = KnowledgeEntry.objects.get(bot=bot)
    assert entry.follow_up == [{"slot": "扬程", "prompt": "您需要的扬程是多少米？"}]
    listed = client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="follow-up-badge"' in listed and "1 条追问" in listed
    edit = client.get(url(bot, "knowledge_entry", entry=entry.pk)).content.decode()
    assert "扬程=您需要的扬程是多少米？" in edit
    assert bot_schema(bot)["knowledge"]["entries"][0]["follow_up"] == entry.follow_up


def test_follow_up_questions_travel_in_the_csv_and_a_bad_one_is_reported_by_line(bot):
    services.do_import_knowledge(bot, ("问题,回答,追问\n"
                                       "能不能定制,可以定制。,扬程=要多少米？｜数量=要几台？\n"
                                       "质保多久,一年。,没写槽位\n").encode())
    entry = KnowledgeEntry.objects.get(bot=bot)
    assert entry.follow_up == [{"slot": "扬程", "prompt": "要多少米？"}, {"slot": "数量", "prompt": "要几台？"}]
    exported = services.export_knowledge(bot)
    assert "追问" in exported.decode("utf-8-sig").splitlines()[0]
    KnowledgeEntry.objects.all().delete()
    result = services.do_import_knowledge(bot, exported)
    assert result.created == 1 and KnowledgeEntry.objects.get(bot=bot).follow_up == entry.follow_up
    bad = services.do_import_knowledge(bot, "问题,回答,追问\n质保多久,一年。,没写槽位\n".encode())
    assert [p for p in bad.problems if p.startswith("Line 2")]


def test_a_bot_file_keeps_the_follow_up_questions(team, bot):
    from flows import bundles

    services.do_import_knowledge(bot, "问题,回答,追问\n能不能定制,可以定制。,扬程=要多少米？\n".encode())
    data = bundles.export_bot(bot)
    assert data["knowledge"]["entries"][0]["follow_up"] == [{"slot": "扬程", "prompt": "要多少米？"}]
    copy = bundles.do_import_bot(team["workspace"], data, team["owner"])
    assert copy.knowledge.get().follow_up == [{"slot": "扬程", "prompt": "要多少米？"}]
