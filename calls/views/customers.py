"""Customers of the workspace: the list (search, import, export), one customer (edit, their calls, what the bots
remember of them, call as them) and forgetting one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from calls.calllog import customers as services
from calls.forms import CustomerForm, CustomerImportForm
from calls.grading import GRADES
from calls.models import Customer
from flows.models import FlowVersion
from salesstudio.permissions import workspace_view

PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="edit")
def customers(request: HttpRequest) -> HttpResponse:
    """GET: the list, `?q=` searches name, company and phone; POST: import a CSV/xlsx file."""
    form = CustomerImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        _import(request, form)
        return redirect("customers:customers", ws=request.workspace.slug)
    q = request.GET.get("q", "")
    grade = request.GET.get("grade", "")
    grade = grade if grade in GRADES else ""
    found = services.with_calls(services.search_customers(request.workspace, q), grade)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "calls/customers.html",
                  {"page": page, "q": q, "grade": grade, "grades": GRADES, "form": form})


def _import(request: HttpRequest, form: CustomerImportForm) -> None:
    if not form.is_valid():
        messages.error(request, _("Choose a CSV or Excel file."))
        return
    upload = form.cleaned_data["file"]
    try:
        result = services.do_import_customers(request.workspace, upload.read(), upload.name)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return
    messages.success(request, _("%(created)s customers added, %(updated)s updated, %(dupes)s duplicate rows merged.")
                     % {"created": result.created, "updated": result.updated, "dupes": result.duplicates})
    for problem in result.problems[:20]:
        messages.warning(request, problem)


@require_http_methods(["GET"])
@workspace_view(read="edit")
def customers_export(request: HttpRequest) -> HttpResponse:
    rows = services.export_customers_csv(services.search_customers(request.workspace, request.GET.get("q", "")))
    response = HttpResponse("\ufeff" + rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="customers.csv"'
    return response


@require_http_methods(["GET", "POST"])
@workspace_view(read="view", write="edit")
def customer(request: HttpRequest, customer: int) -> HttpResponse:
    person = get_object_or_404(Customer, workspace=request.workspace, pk=customer)
    form = CustomerForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("customers:customer", ws=request.workspace.slug, customer=person.pk)
    calls = person.calls.select_related("bot").order_by("-started_at")[:100]
    bots = list(request.workspace.bots.order_by("name"))
    latest = {bot.pk: FlowVersion.objects.filter(flow__bot=bot).order_by("-number").values_list(
        "program", flat=True).first() for bot in bots}
    memory = [(bot, services.remembered_values(person, bot, services.memory_days(latest[bot.pk]))) for bot in bots]
    return render(request, "calls/customer.html", {"customer": person, "form": form, "calls": calls,
                                                   "memory": [(b, m) for b, m in memory if m], "bots": bots,
                                                   "variables": services.customer_variables(person)})


@require_http_methods(["POST"])
@workspace_view(read="edit", write="edit")
def customer_forget(request: HttpRequest, customer: int) -> HttpResponse:
    person = get_object_or_404(Customer, workspace=request.workspace, pk=customer)
    scrubbed = services.do_forget_customer(person)
    messages.success(request, _("The customer was deleted with their personal data (%(n)s calls scrubbed).")
                     % {"n": scrubbed})
    return redirect("customers:customers", ws=request.workspace.slug)
