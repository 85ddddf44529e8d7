"""Today's list (issue 6): per section what waits to be signed for, delivered, called,
approved or resolved in the user's projects, and the actions done right on it — sign
for a hand-over batch (A1), a delivery attempt for a bill or a notice (B1, C1), an
EMS/courier posting (E3), a call with its reason, amount and promise (R2).

Views are thin (STYLE §9): they read through the same selectors and write through the
same services as the command line (`bills handover`, `notices handover`, `bills
deliver`, `notices deliver`, `bills courier`, `notices post`, `calls record`). Each
action is a POST with CSRF, validated by a form (errors name the field, 400, nothing
written), checked against the role table (403), one transaction, then a `messages` line
and a redirect to the list; an htmx request gets the section re-rendered instead."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from wuye.approvals.selectors import approvals
from wuye.billing.delivery import (
    delivery_worklist,
    dispatch_courier,
    handover_bills,
    pending_handovers,
    record_delivery,
)
from wuye.billing.disputes import open_disputes
from wuye.billing.models import Bill, DeliveryAttempt
from wuye.collection.models import CallOutcome, Reason
from wuye.collection.selectors import broken_promises, call_worklist, faq, latest_reasons
from wuye.collection.services import record_call
from wuye.dunning.models import Action, Contact, Notice
from wuye.dunning.notices import (
    deliver_notice,
    handover_notices,
    notice_worklist,
    post_notice,
)
from wuye.errors import NotFound, WuyeError
from wuye.properties.models import Account
from wuye.web.access import ACTIONS, Forbidden, projects_for, require, roles_for
from wuye.web.common import as_of, now, page_of
from wuye.web.pii import mask_rows
from wuye.web.templatetags.wuye import cdate, money

SHOWN = 50  # rows per list on this page; the task lists (/tasks/) page through the rest
SECTIONS = ("handovers", "deliveries", "notices", "calls")


# --- reads shared with the task lists ---------------------------------------------------


def call_accounts(*, on: dt.date, projects):
    """R2: the ids of the accounts on the caller's list — an open call task or a broken
    promise not called since — ordered by project and unit: a plain query to count and
    page, so that the list's details (`call_worklist`) are read for one page only."""
    tasks = Notice.objects.filter(
        action=Action.CALL, status=Notice.Status.OPEN, issued_on__lte=on, project__in=projects
    ).values("account_id")
    broken = broken_promises(on=on).filter(account__project__in=projects).values("account_id")
    # one semi-join on the UNION: `pk IN (tasks) OR pk IN (broken)` is two subplans that
    # PostgreSQL hashes only while each fits in work_mem; past that (184,000 call tasks
    # at a million units) it rescans them for every account and the page never returns
    return (
        Account.objects.filter(pk__in=tasks.order_by().union(broken.order_by()))
        .order_by("project__code", "unit__code", "pk")
        .values_list("pk", flat=True)
    )


def call_page(request, *, on: dt.date, at: dt.time | None, projects):
    """One page of the caller's list (`page_of`) and its rows from `call_worklist`, the
    selector `calls list` uses, read for that page's accounts only."""
    page = page_of(request, call_accounts(on=on, projects=projects))
    ids = list(page.object_list)
    rows = call_worklist(on=on, at=at, projects=projects, account_ids=ids) if ids else []
    return page, mask_rows(rows, request.user)  # phones per role (wuye.web.pii)


def faq_by_reason() -> dict[str, list]:
    """R4: the prepared answers (the FAQ) per reason category, in one query."""
    answers: dict[str, list] = {}
    for entry in faq():
        answers.setdefault(entry.reason, []).append(entry)
    return answers


def visits_due(*, on: dt.date, projects):
    """R4: the open visit tasks the dunning engine issued, oldest first."""
    return (
        Notice.objects.filter(
            action=Action.VISIT, status=Notice.Status.OPEN, issued_on__lte=on,
            project__in=projects,
        )
        .select_related("account__unit", "account__customer", "step")
        .order_by("issued_on", "number")
    )  # fmt: skip


def with_reasons(rows: list, *, on: dt.date, answers: dict, key=lambda row: row.account_id):
    """Each visit task (or promise) with the latest reason heard on its account and the
    FAQ answers for it (one query for the rows' reasons)."""
    reasons = latest_reasons(sorted({key(row) for row in rows}), on)
    for row in rows:
        reason = reasons.get(key(row))
        row.reason = reason[0] if reason else None
        row.reason_label = Reason(reason[0]).label if reason else ""
        row.faq = answers.get(row.reason, [])
    return rows


RESULTS = {**dict(Contact.Result.choices), **dict(DeliveryAttempt.Result.choices)}
CHANNELS = dict(Contact.Channel.choices)


def with_labels(rows: list[dict]) -> list[dict]:
    """The worklists' result and channel codes in the user's words (已簽收, 無人, 電話)."""
    for row in rows:
        if row.get("last_result"):
            row["last_result_label"] = RESULTS.get(row["last_result"], row["last_result"])
        contact = row.get("last_contact")
        if contact:
            contact["channel_label"] = CHANNELS.get(contact["channel"], contact["channel"])
            contact["result_label"] = RESULTS.get(contact["result"], contact["result"])
    return rows


def account_links(rows: list[dict], key: str, model, field: str) -> None:
    """Add `account_id` to each row (for a link to the account page): one query for the
    rows' bills, notices or accounts, by number or code."""
    values = {row[key] for row in rows}
    if not values:
        return
    ids = dict(
        model.objects.filter(**{f"{field}__in": values}).values_list(
            field, "pk" if model is Account else "account_id"
        )
    )
    for row in rows:
        row["account_id"] = ids.get(row[key])


def allowed(user) -> dict[str, bool]:
    """Which of the list's actions the user's roles allow somewhere (one query); each
    POST checks the project of its item again (`require`)."""
    held = roles_for(user)
    return {
        action: bool(user.is_superuser or ACTIONS[action] & held)
        for action in ("sign_for", "record_delivery", "record_posting", "record_call")
    }


# --- today's list ------------------------------------------------------------------------


def time_of_day(on: dt.date) -> dt.time | None:
    """The local time of an action or a list: now on today's list; on another day none
    (a hand-over is then not late by the clock, a call not held by the quiet hours)."""
    current = now()
    return current.time().replace(microsecond=0) if on == current.date() else None


def _section(request, name: str, on: dt.date, projects) -> dict:
    """The rows and count of one section of today's list (its own selector only)."""
    at = time_of_day(on)
    if name == "handovers":
        rows = pending_handovers(on=on, at=at or dt.time(10, 0), projects=projects)
        return {"handovers": rows, "count": len(rows)}
    if name == "deliveries":
        rows = [r for r in delivery_worklist(on=on, projects=projects) if not r["cancelled"]]
        shown = with_labels(rows[:SHOWN])
        account_links(shown, "bill", Bill, "number")
        return {"deliveries": shown, "count": len(rows)}
    if name == "notices":
        rows = notice_worklist(on=on, projects=projects)
        shown = with_labels(rows[:SHOWN])
        account_links(shown, "notice", Notice, "number")
        return {"notices": shown, "count": len(rows)}
    if name == "calls":
        page, rows = call_page(request, on=on, at=at, projects=projects)
        account_links(rows, "account", Account, "code")
        answers = faq_by_reason()
        for row in rows:
            row["faq"] = answers.get(row["reason"], [])
        return {"calls": rows, "count": page.paginator.count}
    raise Http404(name)


def _context(request, on: dt.date, *, only: str | None = None, errors=None) -> dict:
    projects = projects_for(request.user)
    context = {
        "on": on,
        "can": allowed(request.user),
        "failed_results": FAILED_RESULTS,
        "reasons": Reason.choices,
        "call_outcomes": CallOutcome.choices,
        "errors": errors or {},
        "counts": {},
    }
    for name in [only] if only else SECTIONS:
        section = _section(request, name, on, projects)
        context["counts"][name] = section.pop("count")
        context.update(section)
    if only is None:
        escalations = Notice.objects.filter(
            action=Action.ESCALATION, status=Notice.Status.OPEN, project__in=projects
        )
        waiting = approvals(status="requested", projects=projects)
        disputes = open_disputes(as_of=on, projects=projects)
        context["counts"].update(
            escalations=escalations.count(), approvals=waiting.count(), disputes=len(disputes)
        )
        context["escalations"] = list(
            escalations.select_related("account__unit", "step").order_by("issued_on", "number")[
                :SHOWN
            ]
        )
        visits = visits_due(on=on, projects=projects)
        context["counts"]["visits"] = visits.count()
        context["visits"] = with_reasons(list(visits[:SHOWN]), on=on, answers=faq_by_reason())
        context["approvals"] = list(waiting[:SHOWN])
        context["disputes"] = disputes[:SHOWN]
    return context


@login_required
def today(request):
    """Today's list in the user's projects: what waits to be signed for, delivered,
    called, approved, resolved (`?on=` for another day). `?section=` with htmx renders
    one section."""
    try:
        on = as_of(request)
    except WuyeError as error:
        return render(request, "web/today.html", {"error": _text(error)}, status=400)
    section = request.GET.get("section")
    if request.htmx and section in SECTIONS:
        return _fragment(request, section, on)
    return render(request, "web/today.html", _context(request, on))


#: sections whose action changes other sections too: htmx reloads the whole list
RELOADS = {"handovers"}


def _fragment(request, section: str, on: dt.date, *, status: int = 200, errors=None):
    context = _context(request, on, only=section, errors=errors)
    context["fragment"] = True  # the section shows the messages itself
    return render(request, f"web/tasks/today_{section}.html", context, status=status)


def _text(error: WuyeError) -> str:
    """A service's error in the user's language (Chinese unless English was chosen)."""
    return error.message if (get_language() or "").startswith("en") else error.message_zh


def _act(request, section: str, form_class, do):
    """One action of today's list: validate the form, do it (one transaction), report
    the result as a `messages` line, then redirect (or re-render the section for htmx)."""
    form = form_class(request.POST)
    if not form.is_valid():
        on = form.cleaned_data.get("on") or as_of_or_today(request)
        if request.htmx:
            return _fragment(request, section, on, status=400, errors={section: form})
        context = _context(request, on, errors={section: form})
        return render(request, "web/today.html", context, status=400)
    on = form.cleaned_data["on"]
    try:
        with transaction.atomic():
            text = do(form.cleaned_data, request.user.get_username())
    except WuyeError as error:
        status = (
            403 if isinstance(error, Forbidden) else 404 if isinstance(error, NotFound) else 400
        )
        if not request.htmx:
            return render(request, "web/error.html", {"error": error}, status=status)
        messages.error(request, _text(error))
        return _fragment(request, section, on, status=status)
    messages.success(request, text)
    if request.htmx and section in RELOADS:
        return HttpResponseClientRefresh()  # what was signed for moves to other sections
    if request.htmx:
        return _fragment(request, section, on)
    return redirect(f"{reverse('today')}?on={on.isoformat()}")


def as_of_or_today(request) -> dt.date:
    try:
        return as_of(request)
    except WuyeError:
        return now().date()


# --- the actions -------------------------------------------------------------------------

FAILED_RESULTS = [(v, label) for v, label in DeliveryAttempt.Result.choices if v != "signed"]


class SignForm(forms.Form):
    """A1: the assistant signs for the issued bills and notices of one project."""

    project = forms.CharField(max_length=20, label=gettext_lazy("項目"))
    on = forms.DateField(label=gettext_lazy("日期"))
    at = forms.TimeField(required=False, label=gettext_lazy("時間"))


class DeliveryForm(forms.Form):
    """B1, C1: one attempt to hand a bill or a notice to the designated contact."""

    number = forms.CharField(max_length=40, label=gettext_lazy("編號"))
    on = forms.DateField(label=gettext_lazy("日期"))
    result = forms.ChoiceField(
        choices=[("signed", gettext_lazy("已簽收")), *FAILED_RESULTS],
        label=gettext_lazy("結果"),
    )
    signer = forms.CharField(required=False, max_length=200, label=gettext_lazy("簽收人"))
    relation = forms.CharField(required=False, max_length=60, label=gettext_lazy("關係"))
    note = forms.CharField(required=False, max_length=300, label=gettext_lazy("備註"))

    def clean(self):
        data = super().clean()
        if data.get("result") == "signed" and not (data.get("signer") or "").strip():
            self.add_error("signer", _("簽收須填寫簽收人姓名（X2）"))
        return data


class CourierForm(forms.Form):
    """E3: a bill or a notice sent by EMS/courier, with carrier and tracking number."""

    number = forms.CharField(max_length=40, label=gettext_lazy("編號"))
    on = forms.DateField(label=gettext_lazy("寄出日期"))
    carrier = forms.CharField(max_length=60, label=gettext_lazy("快遞公司"))
    tracking = forms.CharField(max_length=60, label=gettext_lazy("運單號"))


class CallForm(forms.Form):
    """R2: a call about an account's arrears (its open call task, if any)."""

    account = forms.IntegerField(label=gettext_lazy("帳戶"))
    task = forms.CharField(required=False, max_length=40, label=gettext_lazy("任務"))
    on = forms.DateField(label=gettext_lazy("日期"))
    at = forms.TimeField(required=False, label=gettext_lazy("時間"))
    reason = forms.ChoiceField(choices=Reason.choices, label=gettext_lazy("欠費原因"))
    amount = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"), label=gettext_lazy("所述欠款")
    )
    outcome = forms.ChoiceField(choices=CallOutcome.choices, label=gettext_lazy("結果"))
    promise_on = forms.DateField(required=False, label=gettext_lazy("承諾付款日"))
    promise_amount = forms.DecimalField(
        required=False, max_digits=14, decimal_places=2, min_value=Decimal("0.01"),
        label=gettext_lazy("承諾金額"),
    )  # fmt: skip
    note = forms.CharField(required=False, max_length=300, label=gettext_lazy("備註"))

    def clean(self):
        data = super().clean()
        if (data.get("promise_on") is None) != (data.get("promise_amount") is None):
            field = "promise_amount" if data.get("promise_on") else "promise_on"
            self.add_error(field, _("承諾付款須同時填寫日期及金額"))
        return data


def _visible_bill(user, number: str) -> Bill:
    bill = Bill.objects.filter(number=number, project__in=projects_for(user)).first()
    if bill is None:
        raise Http404(number)
    return bill


def _visible_notice(user, number: str) -> Notice:
    notice = Notice.objects.filter(number=number, project__in=projects_for(user)).first()
    if notice is None:
        raise Http404(number)
    return notice


@login_required
@require_POST
def sign_for(request):
    """A1: sign for the project's batch (the services of `bills handover` and `notices
    handover`, in one transaction)."""

    def do(data, user):
        project = projects_for(request.user).filter(code=data["project"]).first()
        if project is None:
            raise Http404(data["project"])
        require(request.user, "sign_for", project)
        at = data["at"] or time_of_day(data["on"])
        batches = handover_bills(
            on=data["on"], signed_by=user, actor=user, project_code=project.code, at=at
        )
        bills = sum(batch.bills.count() for batch in batches)
        notices = handover_notices(
            on=data["on"], signed_by=user, actor=user, project_code=project.code
        )
        late = any(batch.late for batch in batches)
        return _("%(project)s：已簽收 %(bills)s 張帳單、%(notices)s 份通知書%(late)s") % {
            "project": project.code, "bills": bills, "notices": len(notices),
            "late": _("（逾時，A1）") if late else "",
        }  # fmt: skip

    return _act(request, "handovers", SignForm, do)


@login_required
@require_POST
def deliver_bill(request):
    """B1, C1: a delivery attempt for a bill (`bills deliver`): signed → its receipt
    date and due date (E1); failed → it stays on the list."""

    def do(data, user):
        bill = _visible_bill(request.user, data["number"])
        require(request.user, "record_delivery", bill.project_id)
        signed = data["result"] == "signed"
        attempt = record_delivery(
            number=bill.number, on=data["on"], staff=user,
            signed_by=data["signer"].strip() if signed else None,
            relation=data["relation"].strip(), failed=None if signed else data["result"],
            note=data["note"],
        )  # fmt: skip
        if signed:
            bill.refresh_from_db()
            return _("%(bill)s：已送達，簽收人 %(signer)s，到期日 %(due)s") % {
                "bill": bill.number,
                "signer": attempt.signer,
                "due": cdate(bill.due_date) or "-",
            }
        return _("%(bill)s：未送達（%(result)s），仍在派送清單") % {
            "bill": bill.number,
            "result": attempt.get_result_display(),
        }

    return _act(request, "deliveries", DeliveryForm, do)


@login_required
@require_POST
def deliver_notice_view(request):
    """E2: a delivery attempt for a notice (`notices deliver`); every attempt is a
    contact row, the X2 evidence."""

    def do(data, user):
        notice = _visible_notice(request.user, data["number"])
        require(request.user, "record_delivery", notice.project_id)
        signed = data["result"] == "signed"
        contact = deliver_notice(
            number=notice.number, on=data["on"], staff=user,
            signed_by=data["signer"].strip() if signed else None,
            relation=data["relation"].strip(), failed=None if signed else data["result"],
            note=data["note"],
        )  # fmt: skip
        if signed:
            return _("%(notice)s：已送達，簽收人 %(signer)s") % {
                "notice": notice.number,
                "signer": contact.signer,
            }
        return _("%(notice)s：未送達（%(result)s），仍在派送清單") % {
            "notice": notice.number,
            "result": contact.get_result_display(),
        }

    return _act(request, "notices", DeliveryForm, do)


@login_required
@require_POST
def courier_bill(request):
    """E3: the bill goes by EMS/courier (`bills courier`)."""

    def do(data, user):
        bill = _visible_bill(request.user, data["number"])
        require(request.user, "record_posting", bill.project_id)
        dispatch = dispatch_courier(
            number=bill.number, carrier=data["carrier"].strip(),
            tracking=data["tracking"].strip(), posted_on=data["on"], actor=user,
        )  # fmt: skip
        return _("%(bill)s：已交 %(carrier)s 寄出，運單號 %(tracking)s") % {
            "bill": bill.number, "carrier": dispatch.carrier,
            "tracking": dispatch.tracking_number,
        }  # fmt: skip

    return _act(request, "deliveries", CourierForm, do)


@login_required
@require_POST
def courier_notice(request):
    """E3: the notice goes by EMS/courier (`notices post`)."""

    def do(data, user):
        notice = _visible_notice(request.user, data["number"])
        require(request.user, "record_posting", notice.project_id)
        posted = post_notice(
            number=notice.number, carrier=data["carrier"].strip(),
            tracking=data["tracking"].strip(), on=data["on"], actor=user,
        )  # fmt: skip
        return _("%(notice)s：已交 %(carrier)s 寄出，運單號 %(tracking)s") % {
            "notice": notice.number, "carrier": posted.carrier,
            "tracking": posted.tracking_number,
        }  # fmt: skip

    return _act(request, "notices", CourierForm, do)


@login_required
@require_POST
def log_call(request):
    """R2: a call logged from the caller's list (`calls record`): with the account's
    open call task it carries that task out; a promise to pay is recorded with it."""

    def do(data, user):
        account = (
            Account.objects.filter(pk=data["account"], project__in=projects_for(request.user))
            .select_related("unit")
            .first()
        )
        if account is None:
            raise Http404(data["account"])
        require(request.user, "record_call", account.project_id)
        task = (data["task"] or "").strip() or None
        if task and not Notice.objects.filter(number=task, account=account).exists():
            raise Http404(task)
        call = record_call(
            number=task, unit_code=None if task else account.unit.code, on=data["on"],
            staff=user, reason=data["reason"], amount_stated=data["amount"],
            outcome=data["outcome"], promise_on=data["promise_on"],
            promise_amount=data["promise_amount"], note=data["note"],
            at=data["at"] or time_of_day(data["on"]),
        )  # fmt: skip
        text = _("%(unit)s：已登記電話（%(outcome)s，%(reason)s）") % {
            "unit": account.unit.code, "outcome": call.get_outcome_display(),
            "reason": call.get_reason_display(),
        }  # fmt: skip
        if data["promise_on"]:
            text += _("，承諾 %(on)s 前付 %(amount)s") % {
                "on": cdate(data["promise_on"]),
                "amount": money(data["promise_amount"]),
            }
        return text

    return _act(request, "calls", CallForm, do)
