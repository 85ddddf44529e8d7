"""Staff pages: the account list, the account page and the task lists (issue 6), and the
URLs of today's list's actions (`wuye.web.views`).

The account list stays fast at 100,000 units: a page is first chosen from the plain
filtered accounts in unit order (an index walk, counted without any ledger sums), then
the page's 50 accounts get their balance, oldest overdue due date, segment and collector
in ONE query of correlated subqueries over the ledger entries, bills, contracts and
assignments (never a query per row). "In arrears only" is a grouped sum per account, too
dear to count over every account: that filter walks the accounts in order a chunk at a
time (`ArrearsPager`) and pages with "next page" links instead of a count, so a page
costs what its depth costs, whatever the number of units.

The account page reads the statement as `wuye accounts show` does
(`account_statement`: bills, payments, late fees, credit, balance by fee item and age,
the X2 limitation date of each open bill with its evidence) and one timeline of
everything that happened to the account, newest first, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import (
    CharField,
    DateField,
    DecimalField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.approvals.models import ApprovalEvent, ErrorReport
from wuye.billing.delivery import delivery_worklist
from wuye.billing.models import (
    Bill,
    BillReceipt,
    Contract,
    CourierDispatch,
    DeliveryAttempt,
    Dispute,
    HandOver,
)
from wuye.collection.models import AutoDebitEvent, Promise
from wuye.collection.selectors import broken_promises
from wuye.dunning.models import Action, Contact, Notice
from wuye.dunning.notices import notice_worklist
from wuye.ledger.limitation import KIND_LABELS, NO_RELATION
from wuye.ledger.models import Entry
from wuye.ledger.statements import NOT_DUE, account_statement
from wuye.legal.models import LegalEvent
from wuye.money import HALF_FEN, ZERO, money
from wuye.properties.models import Account, Building
from wuye.reports.selectors import collector_expression
from wuye.web import views
from wuye.web.access import projects_for
from wuye.web.common import PAGE_SIZE, as_of, page_of, selected_projects, shows_errors
from wuye.web.pii import PHONE, Viewer
from wuye.web.templatetags.wuye import cdate

AMOUNT = DecimalField(max_digits=14, decimal_places=2)
SEGMENTS = dict(Contract.Segment.choices)


# --- the account list -------------------------------------------------------------------


def overdue_open_bills(as_of: dt.date):
    """Per account (outer row), its bills due before `as_of` (E1) with something still
    open on it, oldest due first: a grouped subquery over the ledger entries."""
    return (
        Entry.objects.filter(
            account_id=OuterRef("pk"),
            bill__status=Bill.Status.ISSUED,
            bill__due_date__lt=as_of,
            value_date__lte=as_of,
        )
        .values("bill_id", "bill__due_date")
        .annotate(open=Sum("amount"))
        .filter(open__gt=HALF_FEN)
        .order_by("bill__due_date")
    )


def segment_on(as_of: dt.date):
    """Per account (outer row), the segment of its contract version in force."""
    return Subquery(
        Contract.objects.filter(account_id=OuterRef("pk"), effective_from__lte=as_of)
        .order_by("-effective_from", "-version")
        .values("segment")[:1],
        output_field=CharField(),
    )


def with_figures(ids: list[int], *, as_of: dt.date) -> list[Account]:
    """The accounts `ids`, in that order, each with `balance` (the sum of its ledger
    entries up to `as_of`, the statement's balance), `oldest_due` (its oldest bill still
    open past its due date), `segment` and `collector` (M4): one query for the page."""
    balance = (
        Entry.objects.filter(account_id=OuterRef("pk"), value_date__lte=as_of)
        .order_by()
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    rows = (
        Account.objects.filter(pk__in=ids)
        .select_related("unit", "customer", "project")
        .annotate(
            balance=Subquery(balance, output_field=AMOUNT),
            oldest_due=Subquery(
                overdue_open_bills(as_of).values("bill__due_date")[:1], output_field=DateField()
            ),
            segment=segment_on(as_of),
            collector=collector_expression(as_of),
        )
    )
    by_id = {account.pk: account for account in rows}
    accounts = [by_id[pk] for pk in ids if pk in by_id]
    for account in accounts:
        account.balance = money(account.balance if account.balance is not None else ZERO)
        account.overdue_days = (as_of - account.oldest_due).days if account.oldest_due else None
        account.segment_label = SEGMENTS.get(account.segment, account.segment or "")
    return accounts


def in_arrears(ids: list[int], *, as_of: dt.date) -> set[int]:
    """Of the accounts `ids`, those with a bill past its due date (E1) still open on
    `as_of`: one grouped query over their ledger entries."""
    return set(
        Entry.objects.filter(
            account_id__in=ids,
            bill__status=Bill.Status.ISSUED,
            bill__due_date__lt=as_of,
            value_date__lte=as_of,
        )
        .values("account_id", "bill_id")
        .annotate(open=Sum("amount"))
        .filter(open__gt=HALF_FEN)
        .order_by()
        .values_list("account_id", flat=True)
    )


class ArrearsPager:
    """A page of the accounts in arrears, not counted: whether an account owes past its
    due date is a grouped sum over its entries, too dear to count over 100,000 units
    (and a correlated test per account is planned as a scan of them all). So the plain
    accounts are walked in order, a chunk at a time, each chunk tested in one grouped
    query, until the page and one row more are found: the cost follows the page's depth,
    not the number of units. The same interface as a Django page for the template."""

    paginator = None
    CHUNK = 500

    def __init__(self, rows, number: str | None, *, as_of: dt.date, size: int = PAGE_SIZE,
                 after: str | None = None):  # fmt: skip
        try:
            self.number = max(1, int(number or 1))
        except ValueError:
            self.number = 1
        # "next page" carries the last account code shown (`after`): the walk starts
        # there, so every next page costs one page's walk however deep it is
        start = 0 if after else (self.number - 1) * size
        if after:
            rows = rows.filter(code__gt=after)
        rows = rows.values_list("pk", "code")
        found: list[tuple[int, str]] = []
        offset = 0
        while len(found) <= start + size:
            chunk = list(rows[offset : offset + self.CHUNK])
            if not chunk:
                break
            offset += self.CHUNK
            owing = in_arrears([pk for pk, _ in chunk], as_of=as_of)
            found += [(pk, code) for pk, code in chunk if pk in owing]
        shown = found[start : start + size]
        self.object_list = [pk for pk, _ in shown]
        self.after = shown[-1][1] if shown else None
        self._next = len(found) > start + size

    def has_next(self) -> bool:
        return self._next

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self._next or self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def in_segment(segment: str, *, as_of: dt.date):
    """The ids of the accounts whose contract version in force on `as_of` is of
    `segment` (no later version in force): a subquery planned as an anti-join."""
    later = Contract.objects.filter(
        account_id=OuterRef("account_id"),
        effective_from__lte=as_of,
        effective_from__gt=OuterRef("effective_from"),
    )
    return (
        Contract.objects.filter(segment=segment, effective_from__lte=as_of)
        .filter(~Exists(later))
        .values("account_id")
    )


class AccountFilter(forms.Form):
    q = forms.CharField(required=False, max_length=100, label=gettext_lazy("搜尋"))
    project = forms.ChoiceField(required=False, label=gettext_lazy("項目"))
    building = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=gettext_lazy("樓棟")
    )
    segment = forms.ChoiceField(
        required=False,
        choices=[("", gettext_lazy("全部類別")), *Contract.Segment.choices],
        label=gettext_lazy("客戶類別"),
    )
    arrears = forms.BooleanField(required=False, label=gettext_lazy("只顯示欠費"))

    def __init__(self, data, *, projects, buildings):
        super().__init__(data)
        self.fields["project"].choices = [("", _("全部項目"))] + [
            (p.code, f"{p.code} {p.name}") for p in projects
        ]
        self.fields["building"].choices = [("", _("全部樓棟"))] + [
            (b.pk, f"{b.project.code}-{b.code} {b.name}") for b in buildings
        ]


def account_rows(*, projects, as_of: dt.date, q: str = "", building: int | None = None,
                 segment: str = ""):  # fmt: skip
    """The ids of the accounts of `projects` matching the filters, in unit order: a plain
    query on the accounts (and the unit and customer for the search), no ledger sums.

    The order is the account code's, which is the unit's: account codes are made from
    the unit code and the start date (`A-HT-T1-0301-20250101`, by the importer and the
    demo). So a page is a walk along the account code's unique index that stops after
    the page. The project test is written `+project_id IN (…)` (unary plus, valid on
    SQLite and PostgreSQL) so that SQLite does not pick the project index instead and
    then sort every account of the project before it can return a page."""
    project_key = Func(F("project_id"), template="+%(expressions)s", output_field=IntegerField())
    rows = Account.objects.alias(project_key=project_key).filter(
        project_key__in=[p.pk for p in projects]
    )
    if q:
        rows = rows.filter(
            Q(unit__code__icontains=q) | Q(customer__name__icontains=q) | Q(code__iexact=q)
        )
    if building:
        rows = rows.filter(unit__building_id=building)
    if segment:
        rows = rows.filter(pk__in=in_segment(segment, as_of=as_of))
    return rows.order_by("code").values_list("pk", flat=True)


@login_required
@shows_errors
def account_list(request):
    """Accounts of the user's projects: search by unit code or customer name, filter by
    project, building, segment and arrears; 50 a page with balance and oldest overdue."""
    on = as_of(request)
    visible = list(projects_for(request.user))
    chosen = [p for p in visible if p.code == request.GET.get("project")] or visible
    buildings = Building.objects.filter(project__in=chosen).select_related("project")
    form = AccountFilter(
        request.GET, projects=visible, buildings=buildings.order_by("project__code", "code")
    )
    if not form.is_valid():
        context = {"form": form, "on": on, "accounts": [], "page": None}
        return render(request, "web/accounts/list.html", context, status=400)
    data = form.cleaned_data
    rows = account_rows(
        projects=chosen, as_of=on, q=data["q"].strip(), building=data["building"],
        segment=data["segment"],
    )  # fmt: skip
    if data["arrears"]:
        page = ArrearsPager(
            rows, request.GET.get("page"), as_of=on, after=request.GET.get("after") or None
        )
    else:
        page = page_of(request, rows)
    accounts = with_figures(list(page.object_list), as_of=on)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("after", None)
    context = {
        "form": form, "on": on, "page": page, "accounts": accounts,
        "query": query.urlencode(), "counted": page.paginator is not None,
    }  # fmt: skip
    return render(request, "web/accounts/list.html", context)


# --- the account page ---------------------------------------------------------------------


@dataclass
class Event:
    """One line of the account's timeline."""

    on: dt.date
    kind: str
    text: str
    staff: str = ""
    at: float = 0.0  # when it was recorded: the order within a day

    @property
    def key(self):
        return (self.on, self.at)


#: the order within its day of an event recorded without a time of its own (a task closed
#: or a bill voided by the action that day): after the day's other records
LATEST = float("inf")


def _ts(value) -> float:
    return value.timestamp() if value else 0.0


def _signer(name: str, relation: str) -> str:
    return f"{name}（{relation}）" if name and relation else name


def _contact_event(c: Contact) -> Event:
    """A contact row (X2/X3 evidence): a notice's delivery or posting, a message, a
    call (with its promise), a visit, a cancellation."""
    notice = c.notice.number if c.notice_id else ""
    result = c.get_result_display()
    who = _signer(c.signer, c.signer_relation)
    channel = c.Channel
    if c.channel == channel.CALL:
        text = f"{result}：{c.note}" if c.note else result
        kind = _("電話（R2）")
    elif c.channel == channel.VISIT:
        text = f"{result}：{c.note}" if c.note else result
        kind = _("上門（R4）")
    elif c.channel in (channel.SMS, channel.EMAIL):
        text = f"{c.get_channel_display()} → {c.signer}：{c.note}"
        kind = _("訊息（R1）")
    elif c.channel == channel.SYSTEM:
        text = f"{notice} {result}：{c.note}"
        kind = _("通知書取消") if c.result == c.Result.CANCELLED else _("通知書作廢重發")
    elif c.channel == channel.POSTING:
        text = f"{notice} {result}：{c.note}"
        kind = _("張貼（R3）")
    elif c.channel == channel.COURIER:
        text = f"{notice} {result} {c.note}"
        kind = _("通知書郵寄（E3）")
    else:  # hand delivery of a notice
        text = f"{notice} {result}" + (f"：{who}" if who else "")
        kind = _("通知書派送")
    return Event(c.on, kind, text, c.staff, _ts(c.created_at))


def account_timeline(account: Account, statement, *, as_of: dt.date) -> list[Event]:
    """Everything that happened to the account up to `as_of`, newest first: bills issued
    and voided, hand-overs (A1), delivery attempts and signatures (B1, C1), EMS postings
    and receipts (E1, E3), notices issued, delivered, posted, cancelled (E2, F1), messages
    (R1), calls and promises (R2), postings (R3), visits (R4), disputes (D2), error
    reports (D1), late fees (L1), payments, reversals and refunds, approvals, auto-debit
    (S1) and legal steps (R5). A fixed number of queries, none per event; the payments
    and refunds come from the statement already read."""
    events: list[Event] = []
    add = events.append
    bills = Bill.objects.filter(account=account, issue_date__lte=as_of).order_by("id")
    for b in bills:
        add(Event(b.issue_date, _("帳單發出"),
                  f"{b.number} {b.period_start:%Y-%m} {b.total:,.2f}", b.created_by,
                  _ts(b.created_at)))  # fmt: skip
        if b.voided_on and b.voided_on <= as_of:
            add(Event(b.voided_on, _("帳單作廢（D1）"), f"{b.number}：{b.void_reason}",
                      b.voided_by, LATEST))  # fmt: skip
    for day, by, signed_at, late, created, number in HandOver.bills.through.objects.filter(
        bill__account=account, handover__handed_over_on__lte=as_of
    ).values_list(
        "handover__handed_over_on", "handover__signed_by", "handover__signed_at",
        "handover__late", "handover__created_at", "bill__number",
    ):  # fmt: skip
        text = number + (f" {signed_at:%H:%M}" if signed_at else "")
        add(Event(day, _("交接簽收（A1）"), text + (_("（逾時）") if late else ""), by,
                  _ts(created)))  # fmt: skip
    for a in DeliveryAttempt.objects.filter(
        bill__account=account, attempted_on__lte=as_of
    ).select_related("bill"):
        who = _signer(a.signer, a.signer_relation)
        text = f"{a.bill.number} {a.get_result_display()}" + (f"：{who}" if who else "")
        add(Event(a.attempted_on, _("帳單派送（B1、C1）"), text, a.staff, _ts(a.created_at)))
    for d in CourierDispatch.objects.filter(
        bill__account=account, posted_on__lte=as_of
    ).select_related("bill"):
        add(Event(d.posted_on, _("帳單郵寄（E3）"),
                  f"{d.bill.number} {d.carrier} {d.tracking_number}", d.actor, _ts(d.created_at)))  # fmt: skip
    for r in BillReceipt.objects.filter(
        bill__account=account, received_on__lte=as_of
    ).select_related("bill"):
        due = r.bill.due_date
        text = f"{r.bill.number} {r.get_method_display()}" + (
            _("，到期日 %(due)s") % {"due": cdate(due)} if due else ""
        )
        add(Event(r.received_on, _("收到帳單（E1）"), text, r.actor, _ts(r.created_at)))
    notices = list(
        Notice.objects.filter(
            project_id=account.project_id, customer_id=account.customer_id, issued_on__lte=as_of
        ).select_related("step")
    )
    for n in notices:
        add(Event(n.issued_on, _("發出：%(action)s") % {"action": n.get_action_display()},
                  f"{n.number} {n.step.name} {n.total:,.2f}", n.actor, _ts(n.created_at)))  # fmt: skip
        if n.status == Notice.Status.CLOSED and n.ended_on and n.ended_on <= as_of:
            add(Event(n.ended_on, _("任務完成"), f"{n.number}：{n.end_reason}", "", LATEST))
    contacts = Contact.objects.filter(
        Q(account=account) | Q(notice__in=[n.pk for n in notices]), on__lte=as_of
    ).select_related("notice")
    events.extend(_contact_event(c) for c in contacts)
    for p in Promise.objects.filter(account=account, settled_on__lte=as_of).exclude(
        status=Promise.Status.OPEN
    ):
        add(Event(p.settled_on, _("承諾付款：%(status)s") % {"status": p.get_status_display()},
                  _("%(amount)s，承諾於 %(on)s 前") % {"amount": f"{p.amount:,.2f}",
                                                    "on": cdate(p.promised_on)}))  # fmt: skip
    for fee_day, total in (
        Entry.objects.filter(account=account, kind=Entry.Kind.LATE_FEE, entry_date__lte=as_of)
        .values("entry_date")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("entry_date", "total")
    ):
        add(Event(fee_day, _("違約金入帳（L1）"), f"{money(total):,.2f}"))
    for payment in statement.payments:
        add(Event(payment.paid_on, _("收款"),
                  f"{payment.receipt_number} {payment.get_method_display()} "
                  f"{payment.amount:,.2f}", payment.actor, _ts(payment.created_at)))  # fmt: skip
        reversal = getattr(payment, "reversal", None)
        if reversal is not None and reversal.reversed_on <= as_of:
            add(Event(reversal.reversed_on, _("收款沖銷"),
                      f"{payment.receipt_number}：{reversal.reason}", reversal.actor,
                      _ts(reversal.created_at)))  # fmt: skip
    for r in statement.refunds:
        add(Event(r.refunded_on, _("退款"), f"{r.number} {r.amount:,.2f}：{r.reason}", r.actor,
                  _ts(r.created_at)))  # fmt: skip
    for d in Dispute.objects.filter(bill__account=account, opened_on__lte=as_of).select_related(
        "bill"
    ):
        add(Event(d.opened_on, _("異議（D2）"), f"{d.bill.number}：{d.reason}", d.opened_by,
                  _ts(d.created_at)))  # fmt: skip
        if d.resolved_on and d.resolved_on <= as_of:
            add(Event(d.resolved_on, _("異議處理（D2）"),
                      f"{d.bill.number} {d.get_resolution_display()}：{d.resolution_note}",
                      d.resolved_by, LATEST))  # fmt: skip
    for r in ErrorReport.objects.filter(
        bill__account=account, reported_on__lte=as_of
    ).select_related("bill"):
        add(Event(r.reported_on, _("帳單錯誤報告（D1）"), f"{r.bill.number}：{r.reason}",
                  r.reported_by, _ts(r.created_at)))  # fmt: skip
    for e in ApprovalEvent.objects.filter(request__account=account, on__lte=as_of).select_related(
        "request"
    ):
        req = e.request
        text = f"{req.number} {req.get_kind_display()} {req.amount:,.2f}" + (
            f"：{e.note}" if e.note else ""
        )
        label = dict(req.Status.choices).get(e.to_status, e.to_status)
        add(Event(e.on, _("審批：%(status)s") % {"status": label}, text, e.actor,
                  _ts(e.created_at)))  # fmt: skip
    for e in LegalEvent.objects.filter(case__account=account, on__lte=as_of).select_related("case"):
        text = f"{e.case.number} {e.get_to_stage_display()}" + (f"：{e.note}" if e.note else "")
        add(Event(e.on, _("法律程序（R5）"), text, e.actor, _ts(e.created_at)))
    for e in AutoDebitEvent.objects.filter(auto_debit__account=account, on__lte=as_of):
        add(Event(e.on, _("銀行托收（S1）"), e.get_to_status_display(), e.actor,
                  _ts(e.created_at)))  # fmt: skip
    events.sort(key=lambda e: e.key, reverse=True)
    return events


def _link(name: str, account: Account) -> str | None:
    """The URL of another helper's page for this account, if that page exists."""
    try:
        return f"{reverse(name)}?account={account.pk}"
    except NoReverseMatch:
        return None


@login_required
@shows_errors
def account_page(request, pk: int):
    """The unit, the customer and contacts, the statement as `accounts show` reads it
    (by fee item and age), the X2 limitation date of each open bill, and the timeline.
    Another project's account: 404."""
    account = get_object_or_404(
        Account.objects.filter(project__in=projects_for(request.user)).select_related(
            "unit__building", "customer", "project"
        ),
        pk=pk,
    )
    on = as_of(request)
    statement = account_statement(account, as_of=on)
    segment, collector = (
        Account.objects.filter(pk=account.pk)
        .annotate(segment=segment_on(on), collector=collector_expression(on))
        .values_list("segment", "collector")
        .get()
    )
    limitation = [
        {
            "bill": b,
            "days_left": (b.limitation.ends_on - on).days,
            "kind": KIND_LABELS.get(b.limitation.evidence_kind, b.limitation.evidence_kind),
            "no_relation": b.limitation.flag == NO_RELATION,
        }
        for b in statement.bills
        if b.limitation
    ]
    statuses = dict(Notice.Status.choices)
    for notice in statement.notices:
        notice.status_label = statuses.get(notice.status, notice.status)
    aging = [
        (_("未到期") if label == NOT_DUE else _("逾期 %(days)s 日") % {"days": label}, amount)
        for label, amount in statement.aging.items()
    ]
    context = {
        "account": account, "on": on, "statement": statement,
        "contacts": list(account.customer.contacts.order_by("-is_designated", "id")),
        "segment": SEGMENTS.get(segment, segment or ""), "collector": collector,
        "limitation": limitation, "aging": aging,
        "timeline": account_timeline(account, statement, as_of=on),
        "full_phone": Viewer(request.user).sees(PHONE, account.project_id),  # wuye.web.pii
        "payment_url": _link("payment-new", account),
        "approval_url": _link("approval-new", account),
    }  # fmt: skip
    return render(request, "web/accounts/detail.html", context)


# --- the task lists -----------------------------------------------------------------------

TABS = [
    ("bills", gettext_lazy("待派送帳單")),
    ("notices", gettext_lazy("待派送通知書")),
    ("calls", gettext_lazy("電話催收")),
    ("visits", gettext_lazy("上門溝通")),
    ("postings", gettext_lazy("待張貼")),
    ("promises", gettext_lazy("承諾未履行")),
]


def _tab_rows(request, tab: str, *, on: dt.date, projects):
    """One page of one worklist, through the selector its CLI command uses; the
    details of long lists (calls) are read for the page only."""
    if tab == "bills":  # B1, C1, E3: `bills deliveries`
        rows = [r for r in delivery_worklist(on=on, projects=projects) if not r["cancelled"]]
        page = page_of(request, rows)
        views.account_links(views.with_labels(list(page.object_list)), "bill", Bill, "number")
        return page, list(page.object_list)
    if tab == "notices":  # E2, E3: `notices deliveries`
        page = page_of(request, notice_worklist(on=on, projects=projects))
        views.account_links(views.with_labels(list(page.object_list)), "notice", Notice, "number")
        return page, list(page.object_list)
    if tab == "calls":  # R2: `calls list`
        page, rows = views.call_page(request, on=on, at=views.time_of_day(on), projects=projects)
        views.account_links(views.with_labels(rows), "account", Account, "code")
        answers = views.faq_by_reason()
        for row in rows:
            row["faq"] = answers.get(row["reason"], [])
        return page, rows
    if tab == "visits":  # R4: `visits sheet`
        page = page_of(request, views.visits_due(on=on, projects=projects))
        rows = views.with_reasons(list(page.object_list), on=on, answers=views.faq_by_reason())
        return page, rows
    if tab == "postings":  # R3: `notices posting`
        postings = (
            Notice.objects.filter(
                action=Action.POSTING, status=Notice.Status.ISSUED, issued_on__lte=on,
                project__in=projects,
            )
            .select_related("account__unit", "account__customer", "step")
            .order_by("issued_on", "number")
        )  # fmt: skip
        page = page_of(request, postings)
        return page, list(page.object_list)
    # R2: broken promises not called since (`promises list --status broken`)
    promises = (
        broken_promises(on=on)
        .filter(account__project__in=projects)
        .select_related("account__unit", "account__customer", "call")
        .order_by("promised_on", "id")
    )
    page = page_of(request, promises)
    rows = views.with_reasons(list(page.object_list), on=on, answers=views.faq_by_reason())
    return page, rows


@login_required
@shows_errors
def task_lists(request):
    """The worklists by kind (tabs), paginated, in the user's projects (`?project=`)."""
    on = as_of(request)
    tab = request.GET.get("tab") or "bills"
    if tab not in dict(TABS):
        tab = "bills"
    page, rows = _tab_rows(request, tab, on=on, projects=selected_projects(request))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "on": on, "tab": tab, "tabs": TABS, "page": page, "rows": rows,
        "projects": projects_for(request.user), "project": request.GET.get("project", ""),
        "query": query.urlencode(),
    }  # fmt: skip
    return render(request, "web/tasks/list.html", context)


urlpatterns = [
    path("accounts/", account_list, name="accounts"),
    path("accounts/<int:pk>/", account_page, name="account"),
    path("tasks/", task_lists, name="tasks"),
    # today's list's actions (wuye.web.views)
    path("today/sign-for/", views.sign_for, name="today-sign-for"),
    path("today/deliver-bill/", views.deliver_bill, name="today-deliver-bill"),
    path("today/deliver-notice/", views.deliver_notice_view, name="today-deliver-notice"),
    path("today/courier-bill/", views.courier_bill, name="today-courier-bill"),
    path("today/courier-notice/", views.courier_notice, name="today-courier-notice"),
    path("today/call/", views.log_call, name="today-call"),
]
