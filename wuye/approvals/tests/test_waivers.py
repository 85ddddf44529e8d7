"""Late-fee waivers: requested, approved by the right role, posted as ledger entries
(rules L1, M1, S3, RULES.md "Who may do what")."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from wuye.approvals.models import ApprovalEvent, ApprovalRequest, Notification
from wuye.approvals.services import approve, reject, request_approval, withdraw
from wuye.approvals.tests.helpers import make_overdue_bill, open_late_fee
from wuye.billing.services import void_bill
from wuye.errors import WuyeError
from wuye.ledger import selectors
from wuye.ledger.late_fee_run import run_late_fees
from wuye.ledger.models import Entry
from wuye.ledger.statements import account_statement
from wuye.payments.services import record_payment
from wuye.policies.models import PolicySetting

D = Decimal
ON = dt.date(2026, 4, 8)
NEXT_DAY = dt.date(2026, 4, 9)


def ask(bill, amount, *, actor="cs-wang", on=ON, bill_number=True, kind="waiver"):
    return request_approval(
        kind=kind, account=bill.account, amount=D(amount), reason="M1: 滲水維修延誤",
        on=on, actor=actor, bill_number=bill.number if bill_number else None,
    )  # fmt: skip


def waivers(account):
    return list(
        Entry.objects.filter(account=account, kind=Entry.Kind.WAIVER)
        .order_by("bill_line__fee_item__sort_order")
        .values_list("bill_line__fee_item__code", "component", "amount", "value_date", "actor")
    )


@pytest.mark.django_db
def test_supervisor_approves_a_waiver_within_the_limit_and_it_posts_on_approval(bill):
    """L1, M1, roles: a waiver of 30.00 (≤ 1,000) is approved by a supervisor; only then
    are `waiver` entries posted on the late fee, split 37.50 : 5.00 by largest remainder."""
    # given an open late fee of 42.50 and a request for 30.00
    assert open_late_fee(bill) == {"PMF": D("37.50"), "ELV": D("5.00")}
    request = ask(bill, "30.00")
    assert request.number == f"{bill.project.code}-A2026-000001"
    assert request.status == ApprovalRequest.Status.REQUESTED
    assert waivers(bill.account) == []  # nothing is posted at request time

    # when a supervisor approves it
    approved = approve(request.number, on=NEXT_DAY, actor="lee", role="supervisor", note="ok")

    # then the waiver is posted on the approval date, pro rata, never above what is open
    assert (approved.status, approved.decided_by, approved.decided_role) == (
        "approved", "lee", "supervisor",
    )  # fmt: skip
    assert approved.decided_on == NEXT_DAY
    assert waivers(bill.account) == [
        ("PMF", "late_fee", D("-26.47"), NEXT_DAY, "lee"),
        ("ELV", "late_fee", D("-3.53"), NEXT_DAY, "lee"),  # 3.529… has the larger remainder
    ]
    assert approved.entries.count() == 2
    assert open_late_fee(bill) == {"PMF": D("11.03"), "ELV": D("1.47")}
    assert [(e.from_status, e.to_status, e.role) for e in approved.events.order_by("id")] == [
        ("", "requested", ""),
        ("requested", "approved", "supervisor"),
    ]


@pytest.mark.django_db
def test_the_next_late_fee_run_posts_only_new_days_and_never_the_waived_part(bill):
    """L1: a run counts only late-fee entries as posted, so an approved waiver stays waived;
    the next run posts the days accrued since, and a rerun posts nothing."""
    # given the whole 42.50 waived on 2026-04-08
    request = ask(bill, "42.50")
    approve(request.number, on=ON, actor="lee", role="supervisor")
    assert open_late_fee(bill) == {}

    # when late fees run again ten days later
    result = run_late_fees(project=bill.project, as_of=dt.date(2026, 4, 18), actor="fin")

    # then only the ten new days are posted: 2500 × 0.5‰ × 40 = 50.00 (+12.50) and
    # 333.33 × 0.5‰ × 40 = 6.67 (+1.67); the waived 42.50 stays waived
    assert result.posted == D("14.17")
    assert open_late_fee(bill) == {"PMF": D("12.50"), "ELV": D("1.67")}
    assert sum(e[2] for e in waivers(bill.account)) == D("-42.50")
    again = run_late_fees(project=bill.project, as_of=dt.date(2026, 4, 18), actor="fin")
    assert again.entries == 0


@pytest.mark.django_db
def test_the_statement_shows_the_waived_amount_and_a_lower_open_amount(bill):
    """L1, M1: the statement shows the late fee, the waived part and what is still open."""
    approve(ask(bill, "30.00").number, on=ON, actor="lee", role="supervisor")

    [row] = account_statement(bill.account, as_of=ON).bills

    assert (row.amount, row.late_fees, row.waived, row.paid) == (
        D("2833.33"), D("42.50"), D("30.00"), D("0.00"),
    )  # fmt: skip
    assert row.open == row.amount + row.late_fees - row.waived - row.paid == D("2845.83")


@pytest.mark.django_db
def test_over_the_limit_a_supervisor_is_refused_and_a_manager_approves():
    """roles: a supervisor approves waivers up to 1,000 yuan (policy
    approval_supervisor_limit); above it a manager; a refusal writes nothing."""
    # given 2000 m²: 60 days on 50,000.00 and 333.33 → 1,510.00 of late fee
    bill = make_overdue_bill(area="2000.00", as_of=dt.date(2026, 5, 8))
    request = ask(bill, "1200.00", on=dt.date(2026, 5, 8))
    # the manager is the one notified: a supervisor could not approve it
    assert list(request.notifications.values_list("recipient_role", flat=True)) == ["manager"]

    # when a supervisor tries to approve it, then it is refused and nothing is written
    with pytest.raises(WuyeError) as refused:
        approve(request.number, on=dt.date(2026, 5, 9), actor="lee", role="supervisor")
    assert refused.value.code == "not_authorised" and refused.value.details["needs"] == "manager"
    request.refresh_from_db()
    assert request.status == "requested" and request.events.count() == 1
    assert waivers(bill.account) == []

    # when a manager approves it, then it posts
    approve(request.number, on=dt.date(2026, 5, 9), actor="chan", role="manager")
    assert sum(e[2] for e in waivers(bill.account)) == D("-1200.00")


@pytest.mark.django_db
def test_the_supervisor_limit_is_policy_data_per_project():
    """roles, STYLE §7: raising the project's approval_supervisor_limit lets a supervisor
    approve what was a manager's before."""
    bill = make_overdue_bill(area="2000.00", as_of=dt.date(2026, 5, 8))
    PolicySetting.objects.create(
        key="approval_supervisor_limit", project=bill.project, value="1500.00",
        changed_by="admin", changed_at=timezone.now(),
    )  # fmt: skip
    request = ask(bill, "1200.00", on=dt.date(2026, 5, 8))
    assert request.notifications.get().recipient_role == "supervisor"

    approve(request.number, on=dt.date(2026, 5, 8), actor="lee", role="supervisor")

    assert sum(e[2] for e in waivers(bill.account)) == D("-1200.00")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["supervisor", "manager"])
def test_the_requester_may_never_approve_their_own_request(bill, role):
    """roles: four eyes: whoever asked for a waiver cannot approve it, in any role."""
    request = ask(bill, "10.00", actor="lee")

    with pytest.raises(WuyeError) as refused:
        approve(request.number, on=ON, actor="lee", role=role)

    assert refused.value.code == "own_request"
    assert waivers(bill.account) == []
    request.refresh_from_db()
    assert request.status == "requested"


@pytest.mark.django_db
def test_a_rejection_needs_a_role_and_a_note_and_posts_nothing(bill):
    """M1: a rejected waiver is recorded with who, role, date and why; nothing posts, and a
    rejected request cannot be approved later."""
    request = ask(bill, "10.00")
    with pytest.raises(WuyeError) as no_note:
        reject(request.number, on=ON, actor="lee", role="supervisor", note=" ")
    assert no_note.value.code == "note_required"
    with pytest.raises(WuyeError) as no_role:
        reject(request.number, on=ON, actor="lee", role="finance", note="no")
    assert no_role.value.code == "invalid_role"

    rejected = reject(request.number, on=ON, actor="lee", role="supervisor", note="無證據")

    assert (rejected.status, rejected.decided_role, rejected.decision_note) == (
        "rejected", "supervisor", "無證據",
    )  # fmt: skip
    assert waivers(bill.account) == [] and rejected.entries.count() == 0
    with pytest.raises(WuyeError) as late:
        approve(request.number, on=ON, actor="chan", role="manager")
    assert late.value.code == "invalid_transition"


@pytest.mark.django_db
def test_waiving_more_than_is_open_is_refused_and_writes_nothing(bill):
    """L1: never more than the open late fee: refused at request time (no request, no
    number used, no notification) …"""
    with pytest.raises(WuyeError) as refused:
        ask(bill, "42.51")

    assert refused.value.code == "waiver_exceeds_open"
    assert refused.value.details["open_late_fee"] == "42.50"
    assert not ApprovalRequest.objects.exists() and not Notification.objects.exists()
    assert ask(bill, "42.50").number.endswith("-A2026-000001")  # the number was not used


@pytest.mark.django_db
def test_the_open_late_fee_is_checked_again_at_approval(bill):
    """L1, P1: … and again when approved: a payment made meanwhile paid part of the late
    fee (late fee before principal), so the request no longer fits and nothing posts."""
    request = ask(bill, "40.00")
    record_payment(account=bill.account, amount=D("10.00"), on=ON, actor="fin")
    assert sum(open_late_fee(bill).values()) == D("32.50")

    with pytest.raises(WuyeError) as refused:
        approve(request.number, on=ON, actor="lee", role="supervisor")

    assert refused.value.code == "waiver_exceeds_open"
    assert waivers(bill.account) == []
    request.refresh_from_db()
    assert request.status == "requested"


@pytest.mark.django_db
def test_without_a_bill_the_waiver_spreads_over_every_open_late_fee_of_the_account(bill):
    """L1, M1: no bill given → all open late fees of the account (here two bills), pro
    rata by largest remainder; each line keeps a non-negative open late fee."""
    # given a second bill (April) with its own late fee
    from wuye.billing.delivery import handover_bills, record_delivery
    from wuye.billing.services import issue_bills_for_project
    from wuye.dates import Period

    april = dt.date(2026, 4, 1)
    issue_bills_for_project(project=bill.project, period=Period.parse("2026-04"), on=april,
                            actor="fin")  # fmt: skip
    handover_bills(on=april, signed_by="cs", actor="cs")
    second = bill.account.bills.get(period_start=april)
    record_delivery(number=second.number, on=april, staff="cs", signed_by="張三")
    as_of = dt.date(2026, 4, 18)
    run_late_fees(project=bill.project, as_of=as_of, actor="fin")
    before = {**open_late_fee(bill), **{f"2:{k}": v for k, v in open_late_fee(second).items()}}
    total = sum(before.values())

    request = ask(bill, "20.00", on=as_of, bill_number=False)
    approve(request.number, on=as_of, actor="lee", role="supervisor")

    posted = Entry.objects.filter(kind=Entry.Kind.WAIVER)
    assert {e.bill_id for e in posted} == {bill.pk, second.pk}
    assert sum(e.amount for e in posted) == D("-20.00")
    after = {**open_late_fee(bill), **{f"2:{k}": v for k, v in open_late_fee(second).items()}}
    assert sum(after.values()) == total - D("20.00")
    assert all(v >= 0 for v in after.values())


@pytest.mark.django_db
def test_a_kind_without_a_handler_is_refused_up_front(bill, monkeypatch):
    """R5: a kind whose handler is not registered (lawyer letters come from their own
    app) is refused at request time, nothing is written."""
    from wuye.approvals.services import HANDLERS

    monkeypatch.delitem(HANDLERS, "lawyer_letter", raising=False)
    with pytest.raises(WuyeError) as refused:
        ask(bill, "10.00", kind="lawyer_letter")
    assert refused.value.code == "not_supported" and "not yet supported" in refused.value.message
    assert not ApprovalRequest.objects.exists()


@pytest.mark.django_db
def test_only_the_requester_withdraws_and_a_withdrawn_request_cannot_be_approved(bill):
    """M1: a request not yet decided can be withdrawn by whoever asked; it stays on record."""
    request = ask(bill, "10.00", actor="cs-wang")
    with pytest.raises(WuyeError) as other:
        withdraw(request.number, on=ON, actor="lee")
    assert other.value.code == "not_requester"

    withdrawn = withdraw(request.number, on=ON, actor="cs-wang", note="client paid")

    assert withdrawn.status == "withdrawn" and withdrawn.decided_on is None
    assert ApprovalEvent.objects.filter(request=request, to_status="withdrawn").count() == 1
    with pytest.raises(WuyeError) as late:
        approve(request.number, on=ON, actor="lee", role="supervisor")
    assert late.value.code == "invalid_transition"


@pytest.mark.django_db
def test_voiding_a_bill_with_a_waiver_turns_no_waiver_into_credit(bill):
    """D1, L1: a void reverses the waiver together with the late fee it waived, so the
    account neither owes nor is credited anything for that bill."""
    approve(ask(bill, "30.00").number, on=ON, actor="lee", role="supervisor")

    void_bill(number=bill.number, reason="wrong area", on=NEXT_DAY, actor="fin")

    assert selectors.balance(bill.account_id) == D("0.00")
    assert selectors.credit(bill.account_id) == D("0.00")


@pytest.mark.django_db
def test_a_waiver_request_on_a_voided_bill_cannot_be_approved(bill):
    """D1: the bill was voided after the request: approving it is refused."""
    request = ask(bill, "10.00")
    void_bill(number=bill.number, reason="wrong area", on=ON, actor="fin")

    with pytest.raises(WuyeError) as refused:
        approve(request.number, on=ON, actor="lee", role="supervisor")

    assert refused.value.code == "bill_void"
    assert waivers(bill.account) == []


@pytest.mark.django_db
def test_numbers_are_gapless_per_project_and_year(bill):
    """Numbers: HT-A2026-000001, -000002 …; a new year starts again at 000001."""
    first = ask(bill, "1.00")
    second = ask(bill, "1.00")
    next_year = ask(bill, "1.00", on=dt.date(2027, 1, 4))
    code = bill.project.code
    assert [first.number, second.number, next_year.number] == [
        f"{code}-A2026-000001", f"{code}-A2026-000002", f"{code}-A2027-000001",
    ]  # fmt: skip


@pytest.mark.django_db
def test_a_back_dated_payment_after_a_waiver_takes_back_the_waiver_excess(bill):
    """L1, M1: the whole 42.50 was waived; then a payment dated the day after the due date
    is recorded, so the fee is really 1.42 and the run corrects 41.08 down. The waiver
    covered the fee; the client is owed nothing."""
    approve(ask(bill, "42.50").number, on=ON, actor="lee", role="supervisor")
    record_payment(account=bill.account, amount=D("2833.33"), on=dt.date(2026, 3, 10),
                   actor="fin")  # fmt: skip

    run_late_fees(project=bill.project, as_of=NEXT_DAY, actor="fin")

    assert selectors.credit(bill.account_id) == D("0.00")
    assert selectors.balance(bill.account_id) == D("0.00")
