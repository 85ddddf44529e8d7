"""Reductions (S3), write-offs (M2) and goodwill (M1): requested, approved by the role
RULES.md "Who may do what" names, posted only on approval; never more than is open."""

import datetime as dt
from decimal import Decimal

import pytest

from wuye.approvals.models import ApprovalRequest
from wuye.approvals.services import approve, request_approval
from wuye.billing.models import Contract
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.dunning.models import Episode
from wuye.dunning.services import run_dunning
from wuye.errors import WuyeError
from wuye.ledger import selectors
from wuye.ledger.late_fee_run import run_late_fees
from wuye.ledger.models import Entry
from wuye.testing.factories import office_account

D = Decimal
ON = dt.date(2026, 4, 8)


def open_of(bill, component):
    debts = selectors.open_debts([bill.account_id]).get(bill.account_id, [])
    return sum((d.open for d in debts if d.bill_id == bill.pk and d.component == component), D(0))


def ask(bill, kind, amount=None, **kwargs):
    return request_approval(
        kind=kind, account=bill.account, amount=amount, reason="特殊戶", on=ON, actor="cs-li",
        bill_number=bill.number, **kwargs,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_reduction_lowers_the_principal_and_the_next_late_fee_run_accrues_on_less(bill):
    """S3, L1: given the March bill (2,833.33 principal, 42.50 late fee to 04-08), when a
    supervisor approves a reduction of 500.00, then `reduction` entries lower the principal
    pro rata over the lines, and the run to 04-18 accrues on 2,333.33 only."""
    request = ask(bill, "reduction", D("500.00"))
    assert open_of(bill, "principal") == D("2833.33")  # S3: nothing posted on request
    approve(request.number, on=ON, actor="sup-wang", role="supervisor")
    reductions = Entry.objects.filter(bill=bill, kind=Entry.Kind.REDUCTION)
    assert sorted(reductions.values_list("component", "amount")) == [
        ("principal", D("-441.18")), ("principal", D("-58.82")),
    ]  # fmt: skip  # S3: pro rata 2500.00 : 333.33, largest remainder
    assert open_of(bill, "principal") == D("2333.33")
    run_late_fees(project=bill.account.project, as_of=dt.date(2026, 4, 18), actor="fin")
    # L1: 10 more days at 0.5‰ on what is left per line: 2058.82 → 10.29, 274.51 → 1.37
    assert open_of(bill, "late_fee") == D("42.50") + D("10.29") + D("1.37")


@pytest.mark.django_db
def test_a_reduction_over_the_limit_needs_a_manager_and_never_more_than_open(bill):
    """S3, roles: a supervisor approves reductions up to 1,000.00; above, a manager; more
    than the open principal is refused at request; the requester never approves."""
    with pytest.raises(WuyeError) as refused:
        ask(bill, "reduction", D("2833.34"))
    assert refused.value.code == "reduction_exceeds_open"
    request = ask(bill, "reduction", D("1000.01"))
    with pytest.raises(WuyeError) as refused:
        approve(request.number, on=ON, actor="sup-wang", role="supervisor")
    assert refused.value.code == "not_authorised"
    with pytest.raises(WuyeError) as refused:
        approve(request.number, on=ON, actor="cs-li", role="manager")
    assert refused.value.code == "own_request"  # four eyes
    approve(request.number, on=ON, actor="mgr-zhao", role="manager")
    assert open_of(bill, "principal") == D("1833.32")


@pytest.mark.django_db
def test_a_write_off_clears_the_bill_and_needs_a_manager(bill):
    """M2, roles: a write-off settles all that is open (principal and late fee) and only
    a manager approves it; the amount must be what is open."""
    with pytest.raises(WuyeError) as refused:
        ask(bill, "write_off", D("100.00"))
    assert refused.value.code == "write_off_amount_differs"
    request = ask(bill, "write_off")  # the amount defaults to what is open
    assert request.amount == D("2875.83")
    with pytest.raises(WuyeError) as refused:
        approve(request.number, on=ON, actor="sup-wang", role="supervisor")
    assert refused.value.code == "not_authorised"
    approve(request.number, on=ON, actor="mgr-zhao", role="manager")
    assert open_of(bill, "principal") == open_of(bill, "late_fee") == 0
    assert selectors.balance(bill.account_id) == 0  # M2: the account starts clean
    written = Entry.objects.filter(bill=bill, kind=Entry.Kind.WRITE_OFF)
    assert sum(written.values_list("amount", flat=True)) == D("-2875.83")
    run_late_fees(project=bill.account.project, as_of=dt.date(2026, 5, 8), actor="fin")
    assert selectors.balance(bill.account_id) == 0  # L1: no principal, no late fee


@pytest.mark.django_db
def test_a_write_off_ends_the_arrears_episode():
    """M2, E2: a hardship household in arrears has an open episode (R1 sent); the approved
    write-off leaves nothing overdue, so the episode ends on the approval date."""
    account = office_account(
        start=dt.date(2026, 1, 1), segment=Contract.Segment.HARDSHIP, dunning_policy="",
        payment_term=Contract.Term.FIXED_DAY,
    )  # fmt: skip
    issue_bills_for_project(project=account.project, period=Period.parse("2026-03"),
                            on=dt.date(2026, 3, 2), actor="fin")  # fmt: skip
    run_dunning(as_of=dt.date(2026, 4, 1), actor="fin")
    episode = Episode.objects.get(customer=account.customer)
    assert episode.closed_on is None
    request = request_approval(kind="write_off", account=account, amount=None, reason="M2",
                               on=dt.date(2026, 4, 20), actor="cs-li")  # fmt: skip
    approve(request.number, on=dt.date(2026, 4, 20), actor="mgr-zhao", role="manager")
    episode.refresh_from_db()
    assert episode.closed_on == dt.date(2026, 4, 20)  # E2 via F1 debts_changed


@pytest.mark.django_db
def test_goodwill_records_what_was_given_and_posts_nothing(bill):
    """M1: non-cash goodwill is recorded (what, value), approved by a supervisor, and
    changes nothing in the ledger."""
    with pytest.raises(WuyeError) as refused:
        ask(bill, "goodwill", D("300.00"))
    assert refused.value.code == "given_required"
    before = selectors.balance(bill.account_id)
    request = ask(bill, "goodwill", D("300.00"), given="免費修復滲水")
    approved = approve(request.number, on=ON, actor="sup-wang", role="supervisor")
    assert (approved.status, approved.given, approved.amount) == (
        ApprovalRequest.Status.APPROVED, "免費修復滲水", D("300.00"),
    )  # fmt: skip
    assert not approved.entries.exists()
    assert selectors.balance(bill.account_id) == before
