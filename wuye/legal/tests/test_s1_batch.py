"""S1: vacant investment units whose arrears reach 3,000 go into ONE batch lawyer-letter
approval, which only a manager may give (RULES.md roles); an owner who was never reached
cannot be served, so the case goes to a lawsuit, never a payment order (X3)."""

import datetime as dt
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.utils import timezone

from wuye.approvals.models import ApprovalRequest
from wuye.approvals.services import approve
from wuye.dunning.models import Contact
from wuye.errors import WuyeError
from wuye.ledger.models import Entry
from wuye.legal.letters import render_letter
from wuye.legal.models import LegalCase, Stage
from wuye.legal.selectors import get_case
from wuye.legal.services import advance_case, payment_order_data, propose_lawyer_letter_batch
from wuye.x1 import find_supply_threats

D = dt.date
AS_OF = D(2026, 4, 10)


def _batch(accounts):
    return propose_lawyer_letter_batch(as_of=AS_OF, project_code=accounts[0].project.code,
                                       actor="fin-li")  # fmt: skip


@pytest.mark.django_db
def test_units_reaching_3000_go_into_one_approval_that_only_a_manager_gives(vacant_units):
    """S1: 3,100 and 3,000 reach the threshold (≥), 2,000 does not; one lawyer-letter
    request for the batch, to a manager; a supervisor is refused; the manager's approval
    moves both cases to letter_approved and posts nothing to the ledger (R5)."""
    reach_a, reach_b, below = vacant_units
    entries_before = Entry.objects.count()

    result = _batch(vacant_units)

    request = result["approval"]
    assert {c.account_id for c in result["cases"]} == {reach_a.pk, reach_b.pk}  # S1: ≥ 3,000
    assert not LegalCase.objects.filter(account=below).exists()
    assert ApprovalRequest.objects.count() == 1  # S1: one approval for the batch
    assert request.kind == "lawyer_letter"
    assert request.amount == Decimal("6100.00")
    assert "batch of 2 accounts" in request.reason
    assert request.notifications.get().recipient_role == "manager"  # roles: a manager

    with pytest.raises(WuyeError) as refused:
        approve(request.number, on=AS_OF, actor="sup-chen", role="supervisor")
    assert refused.value.code == "not_authorised"
    assert set(LegalCase.objects.values_list("stage", flat=True)) == {Stage.PROPOSED}

    approve(request.number, on=D(2026, 4, 11), actor="mgr-zhao", role="manager")

    cases = LegalCase.objects.filter(approval=request)
    assert set(cases.values_list("stage", flat=True)) == {Stage.LETTER_APPROVED}
    assert Entry.objects.count() == entries_before  # no ledger entries for a letter
    event = cases.first().events.order_by("pk").last()
    assert (event.from_stage, event.to_stage, event.actor) == ("proposed", "letter_approved",
                                                               "mgr-zhao")  # fmt: skip


@pytest.mark.django_db
def test_a_second_batch_leaves_cases_waiting_for_approval_alone(vacant_units):
    """S1: a rerun while the batch waits for the manager makes no second request."""
    _batch(vacant_units)
    with pytest.raises(WuyeError) as nothing:
        _batch(vacant_units)
    assert nothing.value.code == "no_accounts"
    assert ApprovalRequest.objects.count() == 1
    assert LegalCase.objects.count() == 2


def _sent_case(vacant_units):
    request = _batch(vacant_units)["approval"]
    approve(request.number, on=D(2026, 4, 11), actor="mgr-zhao", role="manager")
    case = LegalCase.objects.get(account=vacant_units[0])
    return advance_case(number=case.number, to=Stage.LETTER_SENT, on=D(2026, 4, 12),
                        actor="legal-wu", tracking="EA123456789CN")  # fmt: skip


@pytest.mark.django_db
def test_an_unreachable_owner_goes_to_a_lawsuit_not_a_payment_order(vacant_units):
    """X3: a vacant unit's owner never reached (no signature, delivery, or call that got
    through) cannot be served: the payment order is refused with a clear error, the
    lawsuit is allowed."""
    case = _sent_case(vacant_units)
    assert (case.letter_sent_on, case.letter_tracking) == (D(2026, 4, 12), "EA123456789CN")

    with pytest.raises(WuyeError) as refused:
        advance_case(number=case.number, to=Stage.PAYMENT_ORDER, on=D(2026, 5, 1), actor="legal-wu")
    assert refused.value.code == "unserviceable"
    assert "lawsuit" in refused.value.message
    with pytest.raises(WuyeError):
        payment_order_data(case, as_of=D(2026, 5, 1))

    case = advance_case(number=case.number, to=Stage.LAWSUIT, on=D(2026, 5, 1), actor="legal-wu")
    assert case.stage == Stage.LAWSUIT
    assert list(case.events.values_list("to_stage", flat=True).order_by("pk")) == [
        "proposed", "letter_approved", "letter_sent", "lawsuit",
    ]  # fmt: skip


@pytest.mark.django_db
def test_a_reached_owner_gets_payment_order_data_without_a_late_fee_claim(vacant_units):
    """X3: once the owner was reached (a call that got through), a payment order may be
    applied for: the debt per period, no late fee without a contract clause, evidence."""
    case = _sent_case(vacant_units)
    Contact.objects.create(account=case.account, channel="call", on=D(2026, 4, 20),
                           staff="cs-wang", result="reached", created_at=timezone.now())  # fmt: skip

    data = payment_order_data(get_case(case.number), as_of=D(2026, 5, 1))

    assert [(d["due_date"], d["principal"], d["late_fee"]) for d in data["debts"]] == [
        (D(2026, 3, 31), Decimal("3100.00"), Decimal("0.00")),
    ]  # fmt: skip
    assert data["late_fee"] == 0 and data["amount_claimed"] == Decimal("3100.00")  # X3
    assert data["debtor"]["unit"] == case.account.unit.code
    assert [c["result"] for c in data["evidence"]["contacts"]] == ["reached"]
    case = advance_case(number=case.number, to=Stage.PAYMENT_ORDER, on=D(2026, 5, 1),
                        actor="legal-wu")  # fmt: skip
    assert case.stage == Stage.PAYMENT_ORDER


@pytest.mark.django_db
def test_the_letter_is_refused_before_approval(vacant_units, tmp_path):
    """R5: a lawyer letter needs the manager's approval first."""
    _batch(vacant_units)
    case = LegalCase.objects.get(account=vacant_units[0])
    with pytest.raises(WuyeError) as refused:
        render_letter(number=case.number, on=AS_OF, out=tmp_path / "l.pdf")
    assert refused.value.code == "not_approved"


@pytest.mark.django_db
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
def test_the_letter_pdf_shows_unit_and_amount_and_no_utility_threat(vacant_units, tmp_path):
    """R5/S1: the printed 律師函 shows the unit, the amount per bill and in total, a
    deadline; X1: no threat to cut water, electricity, heating or gas; X3: no late fee
    without the clause."""
    request = _batch(vacant_units)["approval"]
    approve(request.number, on=D(2026, 4, 11), actor="mgr-zhao", role="manager")
    case = LegalCase.objects.get(account=vacant_units[0])
    out = tmp_path / "letter.pdf"

    render_letter(number=case.number, on=D(2026, 4, 12), out=out)

    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert "律師函" in text
    assert case.account.unit.code in text
    assert "3,100.00" in text
    assert "參仟壹佰元整" in text
    assert "2026年04月27日" in text  # deadline: 15 days (policy lawyer_letter_pay_within_days)
    assert "違約金條款" not in text  # X3: no clause, no late-fee claim
    assert find_supply_threats(text) == []  # X1
