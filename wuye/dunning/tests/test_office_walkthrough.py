"""Four office clients walked through Part 1 of the procedures by dates (issue 4).

Client 1 pays nothing until escalated, then pays; next month a part payment reissues an
undelivered notice and full payment cancels one. Client 2's dispute holds dunning.
Client 3's project missed a week of runs: no burst. Client 4's bill never reaches anyone
and goes by EMS; so does its notice. The daily run (`run_dunning`) is the scheduler's.

March 2026 (no holidays in mainland China): Mon 2 bills issued; Tue 10 due; Fri 13 is 3
days overdue, Tue 17 is 7, Fri 20 is 10; Mon 23 is 3 days after Fri 20.
"""

import datetime as dt
from decimal import Decimal

import pytest

from wuye.billing.delivery import (
    delivery_worklist,
    dispatch_courier,
    handover_bills,
    record_delivery,
    settle_courier_receipts,
)
from wuye.billing.disputes import open_dispute, resolve_dispute
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.dunning.models import Contact, Episode, Notice
from wuye.dunning.notices import (
    deliver_notice,
    handover_notices,
    notice_worklist,
    post_notice,
)
from wuye.dunning.services import run_dunning
from wuye.ledger.selectors import balance
from wuye.payments.services import record_payment
from wuye.testing.factories import BuildingFactory, ProjectFactory, UnitFactory, office_account

D = dt.date


def issue(project, period: str, on: dt.date) -> None:
    issue_bills_for_project(project=project, period=Period.parse(period), on=on, actor="fin-li")


def notices(account, **filters) -> list[Notice]:
    return list(Notice.objects.filter(account=account, **filters).order_by("issued_on", "id"))


def ladder(account) -> list[tuple[dt.date, int, str, str]]:
    return [(n.issued_on, n.level, n.action, n.status) for n in notices(account)]


def deliver_new(account, on: dt.date, *, signer: str = "陳經理") -> list[str]:
    """The assistant signs for the day's notices and hands the client's to its contact."""
    handover_notices(on=on, signed_by="cs-wang", actor="cs-wang")
    done = []
    for notice in notices(account, status=Notice.Status.ISSUED):
        deliver_notice(
            number=notice.number, on=on, staff="cs-wang", signed_by=signer, relation="行政經理"
        )
        done.append(notice.number)
    return done


@pytest.mark.django_db
def test_four_office_clients_through_the_procedure():
    ht = ProjectFactory(code="HT")
    hx = ProjectFactory(code="HX", name="匯信中心")
    c1 = office_account(start=D(2026, 1, 1))  # 100 m² × 25.00 = 2,500.00 a month
    c2 = office_account(start=D(2026, 1, 1))
    c4 = office_account(start=D(2026, 1, 1))
    c3 = office_account(
        start=D(2026, 1, 1), unit=UnitFactory(building=BuildingFactory(project=hx, code="A"))
    )

    def run(on: dt.date, *projects) -> None:
        for project in projects or (ht, hx):
            run_dunning(as_of=on, actor="fin-li", project_code=project.code)

    # A1, B1, C1: bills issued Mon 2 March, signed for by the assistant the same day
    issue(ht, "2026-03", D(2026, 3, 2))
    issue(hx, "2026-03", D(2026, 3, 2))
    handover_bills(on=D(2026, 3, 2), signed_by="cs-wang", actor="cs-wang")
    bill1, bill2, bill3, bill4 = (c.bills.get() for c in (c1, c2, c3, c4))
    # C1: nobody at client 1 on Monday; the retry stays on the list and signs on Tuesday
    record_delivery(number=bill1.number, on=D(2026, 3, 2), staff="cs-wang", failed="nobody_present")
    for bill in (bill1, bill2, bill3):
        record_delivery(number=bill.number, on=D(2026, 3, 3), staff="cs-wang",
                        signed_by="陳經理", relation="行政經理")  # fmt: skip
    for bill in (bill1, bill2, bill3):
        bill.refresh_from_db()
        assert bill.receipt_date == D(2026, 3, 3) and bill.due_date == D(2026, 3, 10)  # B1, E1

    # client 4: nobody ever there (C1); after 5 days (policy) the bill goes by EMS (E3)
    for day in range(2, 7):
        record_delivery(number=bill4.number, on=D(2026, 3, day), staff="cs-wang",
                        failed="contact_absent")  # fmt: skip
    [row] = [r for r in delivery_worklist(on=D(2026, 3, 6)) if r["bill"] == bill4.number]
    assert row["undelivered_end_of_day"] and not row["send_by_courier"]  # C1: flagged
    [row] = [r for r in delivery_worklist(on=D(2026, 3, 7)) if r["bill"] == bill4.number]
    assert row["send_by_courier"]  # E1/E3: 5 days after hand-over
    dispatch_courier(number=bill4.number, carrier="EMS", tracking="EA123456789CN",
                     posted_on=D(2026, 3, 7), actor="cs-wang")  # fmt: skip

    # client 2 queries the amount on day 2 overdue (D2)
    open_dispute(number=bill2.number, on=D(2026, 3, 12), reason="面積與合同不符", actor="cs-wang")

    # the daily runs; project HX misses its runs from 11 to 20 March
    for day in range(11, 21):
        on = D(2026, 3, day)
        settle_courier_receipts(as_of=on, actor="system")
        run(on, ht)
        deliver_new(c1, on)
        if day == 20:  # client 4's notice cannot be handed over either
            handover_notices(on=on, signed_by="cs-wang", actor="cs-wang")
            [n4] = notices(c4)
            deliver_notice(number=n4.number, on=on, staff="cs-wang", failed="nobody_present")
    bill4.refresh_from_db()
    assert bill4.receipt_date == D(2026, 3, 10)  # E1: posting + 3 days, no delivery recorded
    assert bill4.due_date == D(2026, 3, 17)  # E1: receipt + 7 days

    # client 1: 1st/2nd/3rd at 3/7/10 days overdue, each delivered the same day (E2)
    assert ladder(c1) == [
        (D(2026, 3, 13), 1, "notice", "delivered"),
        (D(2026, 3, 17), 2, "notice", "delivered"),
        (D(2026, 3, 20), 3, "notice", "delivered"),
    ]
    first = notices(c1)[0]
    # E2: the notice keeps the amounts it stated; L1: the late fee so far (3 days)
    assert (first.principal, first.late_fee, first.total) == (
        Decimal("2500.00"), Decimal("3.75"), Decimal("2503.75"),
    )  # fmt: skip
    assert first.number.startswith("HT-N2026-") and first.pay_by >= D(
        2026, 3, 16
    )  # E2: numbered; pay-by a working day
    assert [(ln.bill_id, ln.principal) for ln in first.lines.all()] == [
        (bill1.pk, Decimal("2500.00"))
    ]
    # D2: the disputed bill is held out of dunning
    assert notices(c2) == []  # D2
    # client 4: 1st notice 3 days after its later due date; not delivered
    assert ladder(c4) == [
        (D(2026, 3, 20), 1, "notice", "issued")
    ]  # E1/E2: 3 days after its own due date

    # E3: the undelivered notice is flagged for EMS the next day and posted
    flagged = {r["notice"]: r for r in notice_worklist(on=D(2026, 3, 21))}
    assert flagged[notices(c4)[0].number]["send_by_courier"]  # E3
    post_notice(number=notices(c4)[0].number, carrier="EMS", tracking="EA987654321CN",
                on=D(2026, 3, 21), actor="cs-wang")  # fmt: skip

    # client 3: the first run after a missed week (11 days overdue) issues the 1st only
    run(D(2026, 3, 21), hx)
    assert ladder(c3) == [(D(2026, 3, 21), 1, "notice", "issued")]  # E2: no burst
    deliver_new(c3, D(2026, 3, 21))
    run(D(2026, 3, 21), ht)

    for day in range(22, 26):
        on = D(2026, 3, day)
        if day == 25:  # D2: the dispute is rejected, dunning resumes at the 1st level
            resolve_dispute(number=bill2.number, on=on, resolution="rejected", actor="fin-li")
        run(on)
        deliver_new(c3, on)
        deliver_new(c2, on)

    # G1: escalation 3 days after the 3rd was delivered, open for supervisor and manager
    assert ladder(c1)[-1] == (D(2026, 3, 23), 4, "escalation", "open")
    escalation = notices(c1)[-1]
    assert escalation.step.role == "supervisor, manager"  # G1
    # E2: client 3's 2nd follows 3 days after the delivery of its 1st
    assert ladder(c3) == [
        (D(2026, 3, 21), 1, "notice", "delivered"),
        (D(2026, 3, 24), 2, "notice", "delivered"),
    ]
    # E3: a posting counts like a delivery for the next level (posted 21 → 2nd on 24)
    assert [(n.issued_on, n.level) for n in notices(c4)] == [
        (D(2026, 3, 20), 1), (D(2026, 3, 24), 2),
    ]  # fmt: skip
    assert Contact.objects.filter(
        notice=notices(c4)[0], channel="courier"
    ).exists()  # E3, X2: the posting is evidence
    # D2/E2: after the rejected dispute, the 1st notice (not the 3rd); L1: the late fee
    # accrued during the dispute is posted now: 2,500 × 0.5‰ × 15 days
    [n2] = notices(c2)
    assert (n2.issued_on, n2.level, n2.late_fee) == (D(2026, 3, 25), 1, Decimal("18.75"))

    # client 1 pays everything: the episode ends and the escalation closes with it (E2, G1)
    record_payment(account=c1, amount=balance(c1.pk) + Decimal("1.25"), on=D(2026, 3, 26),
                   actor="fin-li")  # fmt: skip
    escalation.refresh_from_db()
    assert escalation.status == "closed"  # G1
    assert not Episode.objects.filter(
        account=c1, closed_on__isnull=True
    ).exists()  # E2: the episode ended
    run(D(2026, 3, 27))
    assert ladder(c3)[-1] == (D(2026, 3, 27), 3, "notice", "issued")  # 10 days, 3 after 2nd

    # April: a new arrears episode for client 1 starts again at the 1st (E2)
    issue(ht, "2026-04", D(2026, 4, 1))
    handover_bills(on=D(2026, 4, 1), signed_by="cs-wang", actor="cs-wang")
    april = c1.bills.get(period_start=D(2026, 4, 1))
    record_delivery(number=april.number, on=D(2026, 4, 1), staff="cs-wang",
                    signed_by="陳經理", relation="行政經理")  # fmt: skip
    april.refresh_from_db()
    assert april.due_date == D(2026, 4, 8)  # E1
    for day in range(2, 12):
        run(D(2026, 4, day))
    [april_first] = notices(c1, issued_on=D(2026, 4, 11))
    assert (april_first.level, april_first.total) == (1, Decimal("2503.75"))  # E2, L1
    handover_notices(on=D(2026, 4, 11), signed_by="cs-wang", actor="cs-wang")

    # F1: a part payment before delivery voids the notice and reissues the same level
    record_payment(account=c1, amount=Decimal("1000.00"), on=D(2026, 4, 11), actor="fin-li")
    april_first.refresh_from_db()
    assert april_first.status == "void" and "F1" in april_first.end_reason  # F1
    reissue = april_first.replaced_by
    assert (reissue.level, reissue.status, reissue.principal, reissue.late_fee) == (
        1, "issued", Decimal("1503.75"), Decimal("0.00"),
    )  # fmt: skip  # P1: the late fee was paid first, then principal
    assert reissue.number != april_first.number  # F1: a new number
    run(D(2026, 4, 11))
    assert len(notices(c1, issued_on=D(2026, 4, 11))) == 2  # nothing new on a rerun
    deliver_new(c1, D(2026, 4, 12))
    for day in range(12, 16):
        run(D(2026, 4, day))
    [april_second] = notices(c1, issued_on=D(2026, 4, 15))
    # L1: the part payment lowered the late fee: 3.75 paid, then 1,503.75 × 0.5‰ × 4 days
    # (instead of 2,500 × 0.5‰ × 7 = 8.75 unpaid)
    assert (april_second.level, april_second.late_fee) == (2, Decimal("3.01"))
    handover_notices(on=D(2026, 4, 15), signed_by="cs-wang", actor="cs-wang")

    # F1: full payment before delivery cancels the undelivered notice, with the reason
    record_payment(account=c1, amount=balance(c1.pk), on=D(2026, 4, 15), actor="fin-li")
    april_second.refresh_from_db()
    assert april_second.status == "cancelled" and "paid in full" in april_second.end_reason  # F1
    assert not any(
        r["notice"] == april_second.number for r in notice_worklist(on=D(2026, 4, 15))
    )  # F1: off the assistant's list
    for day in range(16, 21):
        run(D(2026, 4, day))
    assert notices(c1, issued_on__gt=D(2026, 4, 15)) == []  # E2: nothing more after payment
    # every level of every episode was issued once (a reissue is not a repeat)
    for account in (c1, c2, c3, c4):
        for episode in Episode.objects.filter(account=account):
            levels = [n.level for n in episode.notices.filter(replaces__isnull=True)
                      .exclude(status="cancelled").order_by("issued_on", "id")]  # fmt: skip
            assert levels == sorted(set(levels)) == list(range(1, len(levels) + 1))  # E2
