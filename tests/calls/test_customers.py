"""The customer list: import (CSV in UTF-8 or GBK, Excel), line-numbered problems, dedupe by phone, formula cells,
export, search, editing, and the pages' permissions."""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from calls.calllog import customers as services
from calls.models import Call, Customer

pytestmark = pytest.mark.django_db

LIST = ("姓名,电话,公司,上次购买型号\n"
        "李经理,138 1234 5678,华东水务,IS80-65-160\n"
        "王总,不是电话,西北泵站,\n"
        "赵工,+86 139-0000-1111,=HYPERLINK(\"http://evil.example/\"),QW50\n"
        "李经理,13812345678,华东水务集团,IS100\n")


def test_a_list_is_imported_with_its_variables_and_a_bad_row_named_by_line(team):
    result = services.do_import_customers(team["workspace"], LIST.encode(), "客户.csv")
    assert (result.created, result.updated, result.duplicates) == (2, 0, 1)
    assert result.problems == ["Line 3: “不是电话” is not a phone number."]
    li = Customer.objects.get(phone="13812345678")
    assert (li.name, li.company, li.variables) == ("李经理", "华东水务集团", {"上次购买型号": "IS100"})  # the later row
    assert services.customer_variables(li) == {"上次购买型号": "IS100", "客户姓名": "李经理", "公司": "华东水务集团",
                                               "电话": "13812345678"}
    assert Customer.objects.get(phone="13900001111").company == '=HYPERLINK("http://evil.example/")'  # kept as text


def test_importing_again_updates_by_phone_and_gbk_and_excel_files_are_read(team):
    services.do_import_customers(team["workspace"], LIST.encode(), "a.csv")
    again = services.do_import_customers(team["workspace"], "电话,公司\n13812345678,新公司\n".encode("gbk"), "b.csv")
    assert (again.created, again.updated) == (0, 1)
    assert Customer.objects.get(phone="13812345678").company == "新公司"
    book = openpyxl.Workbook()
    book.active.append(["name", "phone", "城市"])
    book.active.append(["孙总", 13700001111, "成都"])
    data = io.BytesIO()
    book.save(data)
    excel = services.do_import_customers(team["workspace"], data.getvalue(), "list.xlsx")
    assert excel.created == 1 and Customer.objects.get(phone="13700001111").variables == {"城市": "成都"}


@pytest.mark.parametrize("data, name, message", [
    (b"", "a.csv", "empty"),
    ("姓名,公司\n李,华东\n".encode(), "a.csv", "phone column"),
    (b"PK\x03\x04 not a workbook", "a.xlsx", "Excel workbook"),
    (b"\x00\xff\xfe\x00" * 10, "a.csv", "UTF-8 or GBK"),
])
def test_a_file_that_cannot_be_read_at_all_is_refused_with_the_reason(team, data, name, message):
    with pytest.raises(ValidationError, match=message):
        services.do_import_customers(team["workspace"], data, name)


def test_export_escapes_cells_a_spreadsheet_would_run_and_reads_back_the_same(team):
    services.do_import_customers(team["workspace"], LIST.encode(), "a.csv")
    exported = services.export_customers_csv(services.search_customers(team["workspace"]))
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0] == ["姓名", "电话", "公司", "上次购买型号"]
    assert ["赵工", "13900001111", "'=HYPERLINK(\"http://evil.example/\")", "QW50"] in rows
    Customer.objects.all().delete()
    services.do_import_customers(team["workspace"], exported.encode(), "again.csv")
    assert Customer.objects.get(phone="13900001111").company == '=HYPERLINK("http://evil.example/")'


def test_search_finds_by_name_company_or_phone_as_typed(team):
    services.do_import_customers(team["workspace"], LIST.encode(), "a.csv")
    names = lambda q: sorted(c.name for c in services.search_customers(team["workspace"], q))  # noqa: E731
    assert names("李") == ["李经理"] and names("华东") == ["李经理"] and names("139 0000") == ["赵工"]
    assert names("") == ["李经理", "赵工"]


def test_the_list_shows_each_customers_calls_and_latest_grade_and_filters_by_it(client, team):
    from tests import factories

    services.do_import_customers(team["workspace"], LIST.encode(), "a.csv")
    li, zhao = Customer.objects.get(name="李经理"), Customer.objects.get(name="赵工")
    bot = factories.make_bot(team["workspace"])
    now = timezone.now()
    for minutes, grade in ((30, "A"), (20, "C"), (10, "")):  # the call still open has no grade yet
        Call.objects.create(bot=bot, customer=li, started_at=now - datetime.timedelta(minutes=minutes), grade=grade)
    listed = {c.name: (c.call_count, c.last_grade) for c in services.with_calls(team["workspace"].customers.all())}
    assert listed == {"李经理": (3, "C"), "赵工": (0, None)}
    assert [c.name for c in services.with_calls(team["workspace"].customers.all(), "C")] == ["李经理"]
    assert not services.with_calls(team["workspace"].customers.all(), "A").exists()
    client.force_login(team["viewer"])
    url = reverse("customers:customers", kwargs={"ws": team["workspace"].slug})
    page = client.get(url, {"grade": "C"}).content.decode()
    assert "李经理" in page and zhao.phone not in page
    assert "赵工" in client.get(url, {"grade": "<script>"}).content.decode()  # an unknown grade filters nothing


def test_the_pages_import_edit_and_forget(client, team):
    client.force_login(team["editor"])
    url = reverse("customers:customers", kwargs={"ws": team["workspace"].slug})
    response = client.post(url, {"file": io.BytesIO(LIST.encode())}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "2 customers added" in response.content.decode() and "Line 3" in response.content.decode()
    li = Customer.objects.get(phone="13812345678")
    page = reverse("customers:customer", kwargs={"ws": team["workspace"].slug, "customer": li.pk})
    client.post(page, {"name": "李总", "company": "华东水务", "variables_text": "上次购买型号=IS80\n级别=VIP"})
    li.refresh_from_db()
    assert (li.name, li.variables) == ("李总", {"上次购买型号": "IS80", "级别": "VIP"})
    bad = client.post(page, {"name": "李总", "company": "", "variables_text": "没有等号"})
    assert bad.status_code == 200 and "Line 1" in bad.content.decode()
    export = client.get(reverse("customers:customers_export", kwargs={"ws": team["workspace"].slug}))
    assert export["Content-Type"].startswith("text/csv") and "李总" in export.content.decode("utf-8-sig")
    client.post(reverse("customers:customer_forget", kwargs={"ws": team["workspace"].slug, "customer": li.pk}))
    assert not Customer.objects.filter(pk=li.pk).exists()


def test_a_customer_of_another_workspace_is_not_found(client, team):
    stranger = Customer.objects.create(workspace=team["other_workspace"], phone="13900000000")
    client.force_login(team["owner"])
    page = reverse("customers:customer", kwargs={"ws": team["workspace"].slug, "customer": stranger.pk})
    assert client.get(page).status_code == 404
    forget = reverse("customers:customer_forget", kwargs={"ws": team["workspace"].slug, "customer": stranger.pk})
    assert client.post(forget).status_code == 404 and Customer.objects.filter(pk=stranger.pk).exists()
