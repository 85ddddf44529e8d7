"""Issue 5 scenario by dates: an S1 vacant investment unit (not fitted out, nobody lives
there) owes 1,000 a month; the shipped S1 policy reminds it (R1) and calls it monthly
(S1), its arrears reach 3,000 when the March bill falls due, the S1 lawyer-letter step
escalates to the manager, and the unit goes into the batch lawyer letter with one
approval (S1, R5)."""

import datetime as dt
from decimal import Decimal

import pytest

from wuye.approvals.services import approve
from wuye.billing.models import Contract
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.dunning.models import Notice
from wuye.dunning.services import run_dunning
from wuye.legal.models import LegalCase, Stage
from wuye.legal.services import propose_lawyer_letter_batch
from wuye.testing.factories import office_account

D = dt.date


@pytest.mark.django_db
def test_a_vacant_unit_reaching_3000_goes_into_the_batch_lawyer_letter():
    unit = office_account(
        start=D(2026, 1, 1), area="40.00", segment=Contract.Segment.VACANT_INVESTMENT,
        dunning_policy="", payment_term=Contract.Term.FIXED_DAY,
    )  # fmt: skip  # 40 m² × 25.00 = 1,000.00 a month, due at the end of the month (E1)
    day = D(2026, 1, 2)
    while day <= D(2026, 4, 10):
        if day.day == 2:  # finance issues the month's bill
            issue_bills_for_project(project=unit.project, period=Period.parse(f"{day:%Y-%m}"),
                                    on=day, actor="fin")  # fmt: skip
        run_dunning(as_of=day, actor="fin")
        day += dt.timedelta(days=1)
    steps = list(
        Notice.objects.filter(account=unit).order_by("issued_on", "id")
        .values_list("issued_on", "step__code")
    )  # fmt: skip
    calls = [on for on, code in steps if code == "s1_call"]
    # S1: a phone reminder every month while in arrears (the first the day after the
    # January bill fell due on Mon 2 Feb, the 31st being a Saturday: art. 203, W1)
    assert calls == [D(2026, 2, 3), D(2026, 3, 5)]
    assert [on for on, code in steps if code == "r1_reminder"][:3] == [
        D(2026, 2, 3), D(2026, 2, 17), D(2026, 3, 3),
    ]  # fmt: skip  # R1: every 14 days
    # S1: the arrears reach 3,000 once the March bill is due (31 March): the lawyer-letter
    # step escalates to the manager the next day
    [escalation] = [n for n in Notice.objects.filter(account=unit, step__code="s1_lawyer")]
    assert (escalation.issued_on, escalation.status, escalation.principal) == (
        D(2026, 4, 1), "open", Decimal("3000.00"),
    )  # fmt: skip
    assert escalation.step.role == "manager"

    # S1, R5: the batch of all such units goes to one approval; the manager approves it
    batch = propose_lawyer_letter_batch(as_of=D(2026, 4, 10), project_code=unit.project.code,
                                        actor="fin-li")  # fmt: skip
    assert [c.account_id for c in batch["cases"]] == [unit.pk]
    approve(batch["approval"].number, on=D(2026, 4, 10), actor="mgr-zhao", role="manager")
    assert LegalCase.objects.get(account=unit).stage == Stage.LETTER_APPROVED

    # X2: the letter proven delivered restarts every due bill's limitation period; the
    # suit (the owner cannot be served: X3) restarts it again
    from wuye.ledger.limitation import limitation_by_bill
    from wuye.legal.services import advance_case, record_letter_delivery

    case = LegalCase.objects.get(account=unit)
    advance_case(number=case.number, to="letter_sent", on=D(2026, 4, 13), actor="legal",
                 tracking="EA100200300CN")  # fmt: skip
    record_letter_delivery(number=case.number, on=D(2026, 4, 15), actor="legal")
    # the January to March bills (the April bill falls due only on 30 April)
    bills = list(unit.bills.filter(due_date__lte=D(2026, 4, 15)).values_list("pk", flat=True))
    assert len(bills) == 3
    ends = limitation_by_bill(bills, as_of=D(2026, 4, 20))
    assert {(ends[b].ends_on, ends[b].evidence_kind) for b in bills} == {
        (D(2029, 4, 15), "lawyer_letter"),
    }  # fmt: skip
    advance_case(number=case.number, to="lawsuit", on=D(2026, 5, 6), actor="legal",
                 note="業主無法送達，起訴")  # fmt: skip
    ends = limitation_by_bill(bills, as_of=D(2026, 5, 6))
    assert {(ends[b].ends_on, ends[b].evidence_kind) for b in bills} == {
        (D(2029, 5, 6), "legal_action"),
    }  # fmt: skip
