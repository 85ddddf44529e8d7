"""Staff pages: finance (issue 6). The bill run with its dry-run preview (STYLE §6: the
preview is the same code without the write), a bill with void and reissue (D1), payment
entry and its receipt (P1; F1: the notices a payment ended), approval requests and their
decision (M1, M2, S3, L1).

Views are thin (STYLE §9): they check input with a form, check the role (`require`),
call the service the command line calls, one transaction each, and redirect. An object
of a project the user may not see is a 404; an action their role may not do a 403."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from wuye.approvals.instalments import parse_schedule
from wuye.approvals.models import ApprovalRequest, Role
from wuye.approvals.selectors import approval_dict, approvals
from wuye.approvals.services import HANDLERS, approve, reject, request_approval
from wuye.billing.models import Bill, BillRun
from wuye.billing.services import issue_bills, void_bill
from wuye.dates import Period
from wuye.documents.amounts import SIMPLIFIED, TRADITIONAL
from wuye.documents.receipt import (
    notices_ended_by,
    payment_for_receipt,
    receipt_context,
    render_receipt_pdf,
)
from wuye.documents.rendering import _price
from wuye.documents.services import render_bill_pdf
from wuye.errors import WuyeError
from wuye.ledger.models import Entry
from wuye.ledger.selectors import balance, credit, open_debts
from wuye.money import ZERO, check_amount, parse_amount
from wuye.payments.models import Payment
from wuye.payments.services import record_payment
from wuye.properties.models import Account
from wuye.properties.selectors import account_for_unit
from wuye.web.access import approver_role, may, projects_for, require, require_visible_bill
from wuye.web.common import as_of, page_of, selected_projects, shows_errors

logger = logging.getLogger("wuye.web.finance")

DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _text(error: WuyeError) -> str:
    """A service's message in the page's language."""
    return error.message if (get_language() or "").startswith("en") else error.message_zh


def _actor(request) -> str:
    return request.user.get_username()


def _ui_language() -> str:
    """The script of uppercase amounts on a staff page: Simplified for zh-hans."""
    return SIMPLIFIED if (get_language() or "").startswith("zh-hans") else TRADITIONAL


def _amount(text: str, *, label: str):
    """An amount typed in a form: the same parse and check as the CLI and the services."""
    try:
        return check_amount(parse_amount(text, field=label))
    except WuyeError as error:
        raise forms.ValidationError(_text(error)) from None


def _visible_account(user, account_id) -> Account | None:
    return (
        Account.objects.filter(pk=account_id, project__in=projects_for(user))
        .select_related("project", "unit", "customer")
        .first()
    )


def _account_from_url(request) -> Account | None:
    """`?account=ID`: an account of the user's projects, else 404."""
    account_id = request.GET.get("account") or request.POST.get("account")
    if not account_id:
        return None
    if not str(account_id).isdigit():
        raise Http404(account_id)
    account = _visible_account(request.user, int(account_id))
    if account is None:
        raise Http404(account_id)
    return account


class AccountLookupForm(forms.Form):
    """The account a payment or a request is for: `account` (an id, from the account page)
    or the unit's payer on the form's date, within the user's projects."""

    account = forms.IntegerField(required=False, widget=forms.HiddenInput)
    unit = forms.CharField(required=False, max_length=60, label=_lazy("單元編號"))
    date_field = "on"

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        on = data.get(self.date_field)
        account_id, unit = data.get("account"), (data.get("unit") or "").strip()
        account = None
        if account_id:
            account = _visible_account(self.user, account_id)
            if account is None:
                self.add_error("unit", _("找不到此帳戶"))
        elif not unit:
            self.add_error("unit", _("請輸入單元編號"))
        elif on is not None:
            try:
                account = account_for_unit(unit, on=on)
            except WuyeError as error:
                if error.code == "not_found":
                    self.add_error("unit", _("找不到單元「%(unit)s」") % {"unit": unit})
                else:
                    self.add_error("unit", _text(error))
            else:
                # a unit of a project the user does not see: as if it did not exist
                if not projects_for(self.user).filter(pk=account.project_id).exists():
                    account = None
                    self.add_error("unit", _("找不到單元「%(unit)s」") % {"unit": unit})
        data["account_obj"] = account
        return data


# --- bill run ---------------------------------------------------------------------------------


class BillRunForm(forms.Form):
    project = forms.ModelChoiceField(
        queryset=None, to_field_name="code", label=_lazy("項目"), empty_label=None
    )
    period = forms.CharField(max_length=7, label=_lazy("收費月份（YYYY-MM）"))
    on = forms.DateField(label=_lazy("發單日期"), widget=DATE_INPUT)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects_for(user)

    def clean_period(self):
        try:
            return Period.parse(self.cleaned_data["period"])
        except WuyeError as error:
            raise forms.ValidationError(_text(error)) from None


def _bill_runs(request):
    """The latest bill runs of the user's projects (one query a page)."""
    runs = (
        BillRun.objects.filter(project__in=projects_for(request.user))
        .select_related("project")
        .order_by("-created_at", "-id")
    )
    return page_of(request, runs)


@login_required
@shows_errors
def bill_run(request):
    """GET: the form; with `preview`, a dry run of the bill run (nothing written). POST:
    issue the bills (finance, `issue_bills`); a rerun for the period adds nothing."""
    status = 200
    preview = None
    if request.method == "POST":
        form = BillRunForm(request.user, request.POST)
        if form.is_valid():
            project, period = form.cleaned_data["project"], form.cleaned_data["period"]
            on = form.cleaned_data["on"]
            require(request.user, "issue_bills", project)
            [result] = issue_bills(
                period=period, on=on, actor=_actor(request), project_code=project.code
            )
            logger.info(
                "bill run %s %s on %s by %s: %s bills",
                project.code, period, on, _actor(request), result.created,
            )  # fmt: skip
            if result.created:
                first, last = result.numbers
                messages.success(
                    request,
                    _("%(project)s %(period)s：已發出 %(count)s 張帳單，編號 %(first)s 至 %(last)s，合計 %(total)s 元")
                    % {"project": project.code, "period": period, "count": result.created,
                       "first": first, "last": last, "total": f"{result.total:,.2f}"},
                )  # fmt: skip
                request.session["wuye_bill_run"] = {
                    "project": project.code, "period": str(period), "created": result.created,
                    "existing": result.existing, "total": str(result.total),
                    "first": first, "last": last,
                }  # fmt: skip
            else:
                messages.info(
                    request,
                    _("%(project)s %(period)s 無需出單：應出的帳單已全部發出（已有 %(existing)s 張），沒有重複發出")
                    % {"project": project.code, "period": period, "existing": result.existing},
                )  # fmt: skip
            return redirect("bill-run")
        status = 400
    elif "preview" in request.GET:
        form = BillRunForm(request.user, request.GET)
        if form.is_valid():
            project = form.cleaned_data["project"]
            require(request.user, "issue_bills", project)
            [preview] = issue_bills(
                period=form.cleaned_data["period"], on=form.cleaned_data["on"],
                actor=_actor(request), project_code=project.code, dry_run=True,
                sample_size=20, fee_item_totals=True,
            )  # fmt: skip
        else:
            status = 400
    else:
        on = as_of(request)
        form = BillRunForm(request.user, initial={"on": on, "period": f"{on:%Y-%m}"})
    context = {
        "form": form,
        "preview": preview,
        "done": request.session.pop("wuye_bill_run", None) if request.method == "GET" else None,
        "runs": _bill_runs(request),
    }
    return render(request, "web/finance/bill_run.html", context, status=status)


# --- bills ------------------------------------------------------------------------------------


def _visible_bill(user, number: str) -> Bill:
    bill = (
        Bill.objects.filter(number=number, project__in=projects_for(user))
        .select_related(
            "project", "account__unit", "account__customer", "replaces", "replaced_by",
            "receipt", "courier", "run",
        )
        .first()
    )  # fmt: skip
    if bill is None:
        raise Http404(number)
    return bill


class VoidForm(forms.Form):
    reason = forms.CharField(max_length=300, label=_lazy("作廢原因"))
    on = forms.DateField(label=_lazy("作廢日期"), widget=DATE_INPUT)
    reissue = forms.BooleanField(required=False, initial=True, label=_lazy("重開更正帳單"))


def _bill_page(request, bill: Bill, *, void_form=None, status: int = 200):
    """Lines with what is still open, receipt and due date, delivery attempts, the
    ledger entries of the bill (payments allocated with their receipts), D1 links."""
    lines = list(bill.lines.select_related("fee_item").order_by("fee_item__sort_order", "id"))
    open_by_line: dict[tuple[int, str], object] = {}
    for debt in open_debts([bill.account_id]).get(bill.account_id, []):
        if debt.bill_id == bill.pk:
            open_by_line[(debt.bill_line_id, debt.component)] = debt.open
    rows = [
        {
            "line": line,
            "unit_price": _price(line.unit_price),
            "open_principal": open_by_line.get((line.pk, "principal"), ZERO),
            "open_late_fee": open_by_line.get((line.pk, "late_fee"), ZERO),
        }
        for line in lines
    ]
    entries = list(
        Entry.objects.filter(bill=bill).select_related("fee_item", "payment").order_by("id")
    )
    paid: dict[int, dict] = {}
    for entry in entries:
        if entry.kind == Entry.Kind.PAYMENT and entry.payment_id:
            row = paid.setdefault(entry.payment_id, {"payment": entry.payment, "amount": ZERO})
            row["amount"] -= entry.amount
    can_void = bill.status == Bill.Status.ISSUED and may(request.user, "void_bill", bill.project)
    if void_form is None and can_void:
        void_form = VoidForm(initial={"on": as_of(request), "reissue": True})
    context = {
        "bill": bill,
        "period_last": bill.period_end - dt.timedelta(days=1),  # the period is half-open
        "rows": rows,
        "open_total": sum(open_by_line.values(), ZERO),
        "attempts": list(bill.delivery_attempts.order_by("attempted_on", "id")),
        "entries": entries,
        "payments": list(paid.values()),
        "disputes": list(bill.disputes.order_by("opened_on", "id")),
        "can_void": can_void,
        "void_form": void_form,
    }
    return render(request, "web/finance/bill.html", context, status=status)


@login_required
@shows_errors
def bill_detail(request, number: str):
    return _bill_page(request, _visible_bill(request.user, number))


@login_required
@require_POST
@shows_errors
def bill_void(request, number: str):
    """D1: void a wrong bill with a reason (kept, never edited) and reissue a corrected
    one with a new number linked to it (finance, `void_bill`)."""
    bill = _visible_bill(request.user, number)
    require(request.user, "void_bill", bill.project)
    form = VoidForm(request.POST)
    if not form.is_valid():
        return _bill_page(request, bill, void_form=form, status=400)
    try:
        voided, replacement = void_bill(
            number=bill.number, reason=form.cleaned_data["reason"], on=form.cleaned_data["on"],
            actor=_actor(request), reissue=form.cleaned_data["reissue"],
        )  # fmt: skip
    except WuyeError as error:
        form.add_error(None, _text(error))
        return _bill_page(request, bill, void_form=form, status=400)
    logger.info("bill %s voided by %s (%s)", voided.number, _actor(request), voided.void_reason)
    if replacement is not None:
        messages.success(
            request,
            _("帳單 %(old)s 已作廢，更正帳單 %(new)s 已發出")
            % {"old": voided.number, "new": replacement.number},
        )
        return redirect("bill", number=replacement.number)
    messages.success(request, _("帳單 %(old)s 已作廢") % {"old": voided.number})
    return redirect("bill", number=voided.number)


def _pdf_response(render_to, filename: str) -> HttpResponse:
    """Render a document with the documents app into a temporary file and send it."""
    with tempfile.TemporaryDirectory(prefix="wuye-web-") as work:
        out = Path(work) / filename
        render_to(out)
        content = out.read_bytes()
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
@shows_errors
def bill_pdf(request, number: str):
    bill = _visible_bill(request.user, number)
    return _pdf_response(
        lambda out: render_bill_pdf(number=bill.number, out=out), f"{bill.number}.pdf"
    )


# --- payments ---------------------------------------------------------------------------------


class PaymentForm(AccountLookupForm):
    amount = forms.CharField(max_length=40, label=_lazy("金額（元）"))
    paid_on = forms.DateField(label=_lazy("收款日期"), widget=DATE_INPUT)
    method = forms.ChoiceField(
        choices=Payment.Method.choices, initial=Payment.Method.CASH, label=_lazy("付款方式")
    )
    reference = forms.CharField(required=False, max_length=100, label=_lazy("參考號碼"))
    bill = forms.CharField(required=False, max_length=40, label=_lazy("指定帳單（可不填）"))
    date_field = "paid_on"

    field_order = ["account", "unit", "amount", "paid_on", "method", "reference", "bill"]

    def clean_amount(self):
        return _amount(self.cleaned_data["amount"], label=_("金額"))


#: a service's error code → the form field it is about
PAYMENT_FIELDS = {
    "invalid_amount": "amount",
    "invalid_method": "method",
    "not_found": "bill",
    "bill_not_of_account": "bill",
    "bill_void": "bill",
}


def _account_summary(account: Account | None) -> dict | None:
    """For the cashier: the payer, what is owed and the bills still open."""
    if account is None:
        return None
    debts = open_debts([account.pk]).get(account.pk, [])
    by_bill: dict[int, object] = {}
    for debt in debts:
        by_bill[debt.bill_id] = by_bill.get(debt.bill_id, ZERO) + debt.open
    bills = Bill.objects.filter(pk__in=list(by_bill)).order_by("period_start", "number")
    return {
        "account": account,
        "balance": balance(account.pk),
        "credit": credit(account.pk),
        "open_bills": [{"bill": b, "open": by_bill[b.pk]} for b in bills],
    }


@login_required
@shows_errors
def payment_new(request):
    """Record a payment (finance or collector, `record_payment`) with the service the CLI
    uses: allocated by P1, and F1 at once (undelivered notices of paid debts cancelled or
    reissued). Then the receipt."""
    account = _account_from_url(request) if request.method == "GET" else None
    if request.method == "POST":
        form = PaymentForm(request.user, request.POST)
        if form.is_valid():
            account = form.cleaned_data["account_obj"]
            require(request.user, "record_payment", account.project)
            try:
                require_visible_bill(request.user, form.cleaned_data["bill"].strip())
                payment = record_payment(
                    account=account, amount=form.cleaned_data["amount"],
                    on=form.cleaned_data["paid_on"], actor=_actor(request),
                    method=form.cleaned_data["method"],
                    reference=form.cleaned_data["reference"].strip(),
                    bill_number=form.cleaned_data["bill"].strip() or None,
                )  # fmt: skip
            except WuyeError as error:
                form.add_error(PAYMENT_FIELDS.get(error.code), _text(error))
            else:
                logger.info(
                    "payment %s %s for %s by %s",
                    payment.receipt_number, payment.amount, account.code, _actor(request),
                )  # fmt: skip
                messages.success(
                    request,
                    _("已收款 %(amount)s 元（%(unit)s），收據 %(number)s")
                    % {"amount": f"{payment.amount:,.2f}", "unit": account.unit.code,
                       "number": payment.receipt_number},
                )  # fmt: skip
                return redirect("payment-receipt", pk=payment.pk)
        account = form.cleaned_data.get("account_obj")
        status = 400
    else:
        on = as_of(request)
        initial = {"paid_on": on, "method": Payment.Method.CASH}
        if account is not None:
            initial.update(account=account.pk, unit=account.unit.code)
        if request.GET.get("bill"):
            initial["bill"] = request.GET["bill"]
        form = PaymentForm(request.user, initial=initial)
        status = 200
    context = {
        "form": form,
        "summary": _account_summary(account),
        "may_record": account is None or may(request.user, "record_payment", account.project),
    }
    return render(request, "web/finance/payment_new.html", context, status=status)


def _visible_payment(user, pk: int) -> Payment:
    if not Payment.objects.filter(pk=pk, project__in=projects_for(user)).exists():
        raise Http404(pk)
    return payment_for_receipt(pk=pk)


@login_required
@shows_errors
def payment_receipt(request, pk: int):
    """The receipt: number, payer, unit, amount in figures and uppercase, allocation per
    bill and fee item (P1), who recorded it; the notices it ended (F1); print and PDF."""
    payment = _visible_payment(request.user, pk)
    context = {
        "payment": payment,
        "receipt": receipt_context(payment, language=_ui_language()),
        "notices": notices_ended_by(payment),
    }
    return render(request, "web/finance/receipt.html", context)


@login_required
@shows_errors
def payment_receipt_pdf(request, pk: int):
    payment = _visible_payment(request.user, pk)
    number = payment.receipt_number
    return _pdf_response(
        lambda out: render_receipt_pdf(receipt_number=number, out=out), f"{number}.pdf"
    )


# --- approvals --------------------------------------------------------------------------------

STATUS_CHOICES = [("", _lazy("全部")), *ApprovalRequest.Status.choices]


@login_required
@shows_errors
def approval_list(request):
    """Requests of the user's projects (`?project=`), by status (default: waiting)."""
    status = request.GET.get("status", ApprovalRequest.Status.REQUESTED)
    rows = approvals(status=status or None, projects=selected_projects(request))
    context = {
        "page": page_of(request, rows),
        "status": status,
        "statuses": STATUS_CHOICES,
        "projects": projects_for(request.user),
        "project": request.GET.get("project", ""),
    }
    return render(request, "web/finance/approvals.html", context)


def _visible_approval(user, number: str) -> ApprovalRequest:
    request = (
        ApprovalRequest.objects.filter(number=number, project__in=projects_for(user))
        .select_related("project", "account__unit", "account__customer", "bill")
        .first()
    )
    if request is None:
        raise Http404(number)
    return request


class DecisionForm(forms.Form):
    note = forms.CharField(required=False, max_length=500, label=_lazy("備註"))
    on = forms.DateField(label=_lazy("日期"), widget=DATE_INPUT)
    ids = "approve_%s"  # two forms on one page: distinct element ids, same field names

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", self.ids)
        super().__init__(*args, **kwargs)


class RejectForm(DecisionForm):
    note = forms.CharField(max_length=500, label=_lazy("駁回原因"))
    ids = "reject_%s"


def _events(approval) -> list[dict]:
    """The request's history with its statuses and roles named."""
    statuses, roles = dict(ApprovalRequest.Status.choices), dict(Role.choices)
    return [
        {
            "on": event.on,
            "actor": event.actor,
            "role": roles.get(event.role, event.role),
            "from": statuses.get(event.from_status, ""),
            "to": statuses.get(event.to_status, event.to_status),
            "note": event.note,
        }
        for event in approval.events.order_by("created_at", "id")
    ]


def _approval_data(approval) -> dict:
    """`approval_dict` (as the CLI shows it), its ledger entries' kinds and parts named."""
    data = approval_dict(approval)
    kinds, parts = dict(Entry.Kind.choices), dict(Entry.Component.choices)
    for entry in data["entries"]:
        entry["kind"] = kinds.get(entry["kind"], entry["kind"])
        entry["component"] = parts.get(entry["component"], entry["component"])
    return data


def _approval_page(request, approval, *, approve_form=None, reject_form=None, error=None,
                   status: int = 200):  # fmt: skip
    role = approver_role(request.user, approval.project)
    can_decide = (
        approval.status == ApprovalRequest.Status.REQUESTED
        and bool(role)
        and may(request.user, "approve", approval.project)
    )
    on = as_of(request) if request.method == "GET" else None
    context = {
        "approval": approval,
        "data": _approval_data(approval),
        "events": _events(approval),
        "role": role,
        "role_label": Role(role).label if role else "",
        "can_decide": can_decide,
        "approve_form": approve_form or DecisionForm(initial={"on": on}),
        "reject_form": reject_form or RejectForm(initial={"on": on}),
        "error": error,
    }
    return render(request, "web/finance/approval.html", context, status=status)


@login_required
@shows_errors
def approval_detail(request, number: str):
    return _approval_page(request, _visible_approval(request.user, number))


def _decide(request, number: str, *, approving: bool):
    """Approve or reject in the role the user holds on the project (`approver_role`); the
    service refuses the requester's own request and amounts above the role's limit."""
    approval = _visible_approval(request.user, number)
    require(request.user, "approve", approval.project)
    form = (DecisionForm if approving else RejectForm)(request.POST)
    forms_kw = {"approve_form" if approving else "reject_form": form}
    if not form.is_valid():
        return _approval_page(request, approval, status=400, **forms_kw)
    decide = approve if approving else reject
    try:
        decided = decide(
            approval.number, on=form.cleaned_data["on"], actor=_actor(request),
            role=approver_role(request.user, approval.project), note=form.cleaned_data["note"],
        )  # fmt: skip
    except WuyeError as error:
        return _approval_page(request, approval, error=_text(error), status=400, **forms_kw)
    logger.info("approval %s %s by %s", decided.number, decided.status, _actor(request))
    text = _("已批准 %(number)s") if approving else _("已駁回 %(number)s")
    messages.success(request, text % {"number": decided.number})
    return redirect("approval", number=decided.number)


@login_required
@require_POST
@shows_errors
def approval_approve(request, number: str):
    return _decide(request, number, approving=True)


@login_required
@require_POST
@shows_errors
def approval_reject(request, number: str):
    return _decide(request, number, approving=False)


#: the kinds requested here (a lawyer letter comes from the legal pages)
REQUEST_KINDS = [
    (value, label)
    for value, label in ApprovalRequest.Kind.choices
    if value in HANDLERS and value != ApprovalRequest.Kind.LAWYER_LETTER
]


class ApprovalRequestForm(AccountLookupForm):
    kind = forms.ChoiceField(choices=REQUEST_KINDS, label=_lazy("類別"))
    bill = forms.CharField(
        required=False, max_length=40, label=_lazy("帳單（不填：帳戶全部未付帳單）")
    )
    amount = forms.CharField(
        required=False, max_length=40, label=_lazy("金額（元；核銷、分期可不填）")
    )
    given = forms.CharField(required=False, max_length=300, label=_lazy("非現金補償內容"))
    schedule = forms.CharField(
        required=False, max_length=1000,
        label=_lazy("分期計劃（日期:金額,… 例如 2026-05-10:500.00,2026-06-10:500.00）"),
    )  # fmt: skip
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                             label=_lazy("申請原因"))  # fmt: skip
    on = forms.DateField(label=_lazy("申請日期"), widget=DATE_INPUT)

    field_order = ["account", "unit", "kind", "bill", "amount", "given", "schedule", "reason", "on"]

    def clean_amount(self):
        text = self.cleaned_data["amount"].strip()
        return _amount(text, label=_("金額")) if text else None

    def clean_schedule(self):
        text = self.cleaned_data["schedule"].strip()
        if not text:
            return None
        try:
            return parse_schedule(text)
        except WuyeError as error:
            raise forms.ValidationError(_text(error)) from None


REQUEST_FIELDS = {
    "amount_required": "amount",
    "invalid_amount": "amount",
    "reason_required": "reason",
    "not_found": "bill",
    "bill_not_of_account": "bill",
    "bill_void": "bill",
    "invalid_kind": "kind",
    "not_supported": "kind",
}


@login_required
@shows_errors
def approval_new(request):
    """Ask for an approval (`request_approval`: assistant, finance, collector or
    supervisor); the approver of the kind and amount is notified, nothing is posted."""
    account = _account_from_url(request) if request.method == "GET" else None
    status = 200
    if request.method == "POST":
        form = ApprovalRequestForm(request.user, request.POST)
        if form.is_valid():
            account = form.cleaned_data["account_obj"]
            require(request.user, "request_approval", account.project)
            data = form.cleaned_data
            try:
                require_visible_bill(request.user, data["bill"].strip())
                created = request_approval(
                    kind=data["kind"], account=account, amount=data["amount"],
                    reason=data["reason"], on=data["on"], actor=_actor(request),
                    bill_number=data["bill"].strip() or None, given=data["given"].strip(),
                    schedule=data["schedule"],
                )  # fmt: skip
            except WuyeError as error:
                field = REQUEST_FIELDS.get(error.code)
                if error.code == "option_not_for_kind":
                    field = "given" if data["given"].strip() else "schedule"
                form.add_error(field, _text(error))
            else:
                logger.info("approval %s requested by %s", created.number, _actor(request))
                messages.success(
                    request,
                    _("已提交審批申請 %(number)s，待%(role)s審批")
                    % {"number": created.number, "role": _approver_label(created)},
                )
                return redirect("approval", number=created.number)
        account = form.cleaned_data.get("account_obj")
        status = 400
    else:
        initial = {"on": as_of(request), "kind": request.GET.get("kind", "waiver")}
        if account is not None:
            initial.update(account=account.pk, unit=account.unit.code)
        if request.GET.get("bill"):
            initial["bill"] = request.GET["bill"]
        form = ApprovalRequestForm(request.user, initial=initial)
    context = {"form": form, "summary": _account_summary(account)}
    return render(request, "web/finance/approval_new.html", context, status=status)


def _approver_label(request: ApprovalRequest) -> str:
    from wuye.approvals.services import approver_role as needed_role

    role = needed_role(request.kind, request.amount, project_id=request.project_id)
    return str(Role(role).label)


urlpatterns = [
    path("finance/bill-run/", bill_run, name="bill-run"),
    path("bills/<str:number>/", bill_detail, name="bill"),
    path("bills/<str:number>/pdf", bill_pdf, name="bill-pdf"),
    path("bills/<str:number>/void/", bill_void, name="bill-void"),
    path("finance/payments/new/", payment_new, name="payment-new"),
    path("finance/payments/<int:pk>/receipt/", payment_receipt, name="payment-receipt"),
    path("finance/payments/<int:pk>/receipt/pdf", payment_receipt_pdf, name="payment-receipt-pdf"),
    path("approvals/", approval_list, name="approvals"),
    path("approvals/new/", approval_new, name="approval-new"),
    path("approvals/<str:number>/", approval_detail, name="approval"),
    path("approvals/<str:number>/approve/", approval_approve, name="approval-approve"),
    path("approvals/<str:number>/reject/", approval_reject, name="approval-reject"),
]
