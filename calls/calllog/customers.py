"""Customers of a workspace: import (CSV/xlsx, deduplicated by phone), export, search, what the bot remembers of them,
and forgetting one (China's PIPL right to deletion)."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from calls.calllog.conversation_tests import forget_test_audio
from calls.customers import TableError, read_customers
from calls.models import Call, Customer, Turn
from flows.graph import MEMORY_DAYS
from nlu.importing.table import safe_cell
from nlu.normalize import parse_phone
from salesstudio.models import Bot, Workspace

MAX_BYTES = 10 * 2**20
FIXED = {"name": "客户姓名", "company": "公司", "phone": "电话"}  # the variables every customer has
TABLE_MESSAGES = {
    "empty": gettext_lazy("The file is empty."),
    "no_phone_column": gettext_lazy("The header row must have a phone column (电话 or phone)."),
    "too_many_variables": gettext_lazy("A customer list may have at most 30 columns besides name, phone and company."),
    "too_many_rows": gettext_lazy("A customer list may have at most 50,000 rows."),
    "encoding": gettext_lazy("The file is not a CSV file in UTF-8 or GBK."),
    "not_xlsx": gettext_lazy("The file is not an Excel workbook (.xlsx)."),
}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    duplicates: int = 0
    problems: list[str] = field(default_factory=list)


def customer_variables(customer: Customer) -> dict[str, str]:
    """What scripts can say of a customer: {客户姓名}, {公司}, {电话} and every extra column of their list."""
    fixed = {FIXED["name"]: customer.name, FIXED["company"]: customer.company, FIXED["phone"]: customer.phone}
    return {**customer.variables, **{k: v for k, v in fixed.items() if v}}


def do_import_customers(workspace: Workspace, data: bytes, filename: str) -> ImportResult:
    """Add or update (by phone) every readable row; rows without a usable phone are reported by line and skipped.
    Raises ValidationError when the file cannot be read at all."""
    if len(data) > MAX_BYTES:
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // 2**20})
    try:
        table = read_customers(data, filename)
    except TableError as exc:
        raise ValidationError(str(TABLE_MESSAGES[exc.code])) from None
    result = ImportResult(duplicates=table.duplicates, problems=[
        _("Line %(line)s: “%(cell)s” is not a phone number.") % {"line": line, "cell": cell}
        for line, cell in table.bad_phones])
    with transaction.atomic():
        existing = {c.phone: c for c in workspace.customers.select_for_update().filter(
            phone__in=[row.phone for row in table.rows])}
        new = []
        for row in table.rows:
            customer = existing.get(row.phone)
            if customer is None:
                new.append(Customer(workspace=workspace, name=row.name, phone=row.phone, company=row.company,
                                    variables=row.variables))
                continue
            customer.name, customer.company = row.name or customer.name, row.company or customer.company
            customer.variables = {**customer.variables, **row.variables}
            customer.save()
            result.updated += 1
        Customer.objects.bulk_create(new, batch_size=1000)
        result.created = len(new)
    return result


def search_customers(workspace: Workspace, q: str = "") -> QuerySet[Customer]:
    customers = workspace.customers.all()
    q = q.strip()[:100]
    if q:
        phone = parse_phone(q) or "".join(ch for ch in q if ch.isdigit())
        customers = customers.filter(Q(name__icontains=q) | Q(company__icontains=q)
                                     | (Q(phone__contains=phone) if phone else Q(pk__in=[])))
    return customers


def with_calls(customers: QuerySet[Customer], grade: str = "") -> QuerySet[Customer]:
    """`customers` with their `call_count`, `last_call_at` and `last_grade` (the grade of their latest graded call);
    only those whose latest grade is `grade` when one is given."""
    graded = Call.objects.filter(customer=OuterRef("pk")).exclude(grade="").order_by("-started_at", "-id")
    customers = customers.annotate(call_count=Count("calls"), last_call_at=Max("calls__started_at"),
                                   last_grade=Subquery(graded.values("grade")[:1]))
    return customers.filter(last_grade=grade) if grade else customers


def find_customer(workspace: Workspace, *, customer_id: object = None, phone: object = None) -> Customer | None:
    """The workspace's customer by id, or by a phone number as typed (normalised); None when there is none."""
    if customer_id is not None:
        if type(customer_id) is not int:
            return None
        return workspace.customers.filter(pk=customer_id).first()
    digits = parse_phone(phone) if isinstance(phone, str) else None
    return workspace.customers.filter(phone=digits).first() if digits else None


def export_customers_csv(customers: QuerySet[Customer]) -> str:
    """姓名, 电话, 公司 and one column per variable; cells a spreadsheet would run as formulas are escaped."""
    rows = list(customers)
    extra = list(dict.fromkeys(name for c in rows for name in c.variables))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "电话", "公司", *extra])
    for c in rows:
        writer.writerow([safe_cell(v) for v in (c.name, c.phone, c.company, *(c.variables.get(n, "") for n in extra))])
    return out.getvalue()


def memory_days(program: dict | None) -> int:
    """The memory period a compiled flow sets (programs compiled before it existed: the default)."""
    return ((program or {}).get("settings") or {}).get("memory_days", MEMORY_DAYS)


def remembered_values(customer: Customer, bot: Bot, days: int, *, limit: int = 20) -> dict[str, dict]:
    """{slot: {"value", "date"}}: the slot values the customer's finished calls with `bot` ended with over the last
    `days` days, the newest call's value for each slot."""
    if days <= 0:
        return {}
    since = timezone.now() - datetime.timedelta(days=days)
    calls = customer.calls.filter(bot=bot, ended_at__isnull=False, started_at__gte=since).order_by("-started_at")
    remembered: dict[str, dict] = {}
    for call in calls[:limit]:
        final = call.turns.order_by("-index").values_list("slots", flat=True).first() or {}
        day = timezone.localdate(call.started_at).isoformat()
        for slot, value in final.items():
            remembered.setdefault(slot, {"value": value, "date": day})
    return remembered


def do_forget_customer(customer: Customer) -> int:
    """Delete the customer and what their calls hold of them: audio, what they said, the slot values and what the
    bot said (it may have said their name), and the recordings of their voice that tests saved from those calls.
    Outcomes, intents, nodes, grades and timings stay, so the analytics keep their counts. Returns the number of calls
    scrubbed."""
    with transaction.atomic():
        calls = list(Call.objects.select_for_update().filter(customer=customer))
        for call in calls:
            for audio in (call.user_audio, call.bot_audio):
                if audio:
                    audio.delete(save=False)
        forget_test_audio(calls)
        Turn.objects.filter(call__in=calls).update(user_text="", bot_text="", slots={}, changed_slots={})
        Call.objects.filter(pk__in=[c.pk for c in calls]).update(user_audio="", bot_audio="", remembered={},
                                                                 customer=None)
        customer.delete()
    return len(calls)
