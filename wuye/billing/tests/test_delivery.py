"""Hand-over and delivery of bills: rules A1, B1, C1, D1, E1, E3, X2."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from wuye.billing.delivery import (
    delivery_worklist,
    dispatch_courier,
    handover_bills,
    record_courier_delivery,
    record_delivery,
    same_day_delivery_rate,
    settle_courier_receipts,
)
from wuye.billing.models import BillReceipt, DeliveryAttempt, HandOver
from wuye.billing.services import issue_bills_for_project, void_bill
from wuye.cli import main
from wuye.dates import Period
from wuye.errors import WuyeError
from wuye.testing.factories import office_account

MON = dt.date(2026, 3, 2)  # a Monday


def issued_bill(**kwargs):
    account = office_account(start=dt.date(2026, 1, 1), **kwargs)
    issue_bills_for_project(project=account.project, period=Period.parse("2026-03"), on=MON,
                            actor="fin")  # fmt: skip
    return account, account.bills.get()


@pytest.mark.django_db
def test_handover_batches_the_issued_bills_and_marks_a_late_signature():
    """A1: the assistant signs for the batch (who, when, which bills); after the project's
    hand-over time (09:00) the batch is late."""
    _account, bill = issued_bill()
    [batch] = handover_bills(on=MON, signed_by="cs-wang", actor="cs-wang",
                             at=dt.time(9, 30))  # fmt: skip
    assert list(batch.bills.all()) == [bill] and batch.late and batch.signed_by == "cs-wang"
    assert handover_bills(on=MON, signed_by="cs-wang", actor="cs-wang") == []  # nothing left


@pytest.mark.django_db
def test_failed_attempt_then_signature_sets_receipt_and_due_date():
    """C1: a failed attempt is logged and the bill stays on the list, flagged at the end
    of the day; B1/E1: the signature the next day is the receipt date, due 7 days later;
    X2: the signer's name and relation are kept."""
    _account, bill = issued_bill()
    handover_bills(on=MON, signed_by="cs-wang", actor="cs-wang")
    record_delivery(number=bill.number, on=MON, staff="cs-wang", failed="nobody_present")
    [row] = delivery_worklist(on=MON)
    assert row["attempts"] == 1 and row["last_result"] == "nobody_present"
    assert not row["undelivered_end_of_day"]
    [row] = delivery_worklist(on=MON + dt.timedelta(days=1))
    assert row["undelivered_end_of_day"] and not row["send_by_courier"]
    record_delivery(number=bill.number, on=MON + dt.timedelta(days=1), staff="cs-wang",
                    signed_by="張小姐", relation="行政經理")  # fmt: skip
    bill.refresh_from_db()
    assert bill.receipt_date == dt.date(2026, 3, 3) and bill.due_date == dt.date(2026, 3, 10)
    assert bill.receipt.signer == "張小姐" and bill.receipt.signer_relation == "行政經理"
    assert delivery_worklist(on=MON + dt.timedelta(days=1)) == []
    assert DeliveryAttempt.objects.filter(bill=bill).count() == 2


@pytest.mark.django_db
def test_delivery_needs_a_hand_over_and_one_outcome():
    """A1 before B1; an attempt is either signed or failed with a known reason."""
    _account, bill = issued_bill()
    with pytest.raises(WuyeError) as error:
        record_delivery(number=bill.number, on=MON, staff="cs", signed_by="張")
    assert error.value.code == "not_handed_over"
    handover_bills(on=MON, signed_by="cs", actor="cs")
    for kwargs in ({}, {"signed_by": "張", "failed": "refused"}):
        with pytest.raises(WuyeError):
            record_delivery(number=bill.number, on=MON, staff="cs", **kwargs)
    with pytest.raises(WuyeError) as error:
        record_delivery(number=bill.number, on=MON, staff="cs", failed="lost")
    assert error.value.code == "invalid_result"


@pytest.mark.django_db
def test_undelivered_after_five_days_goes_by_courier_and_its_delivery_is_the_receipt():
    """E1/E3: flagged for EMS 5 days (policy) after hand-over; the recorded delivery date
    is the receipt date."""
    _account, bill = issued_bill()
    handover_bills(on=MON, signed_by="cs", actor="cs")
    assert not delivery_worklist(on=MON + dt.timedelta(days=4))[0]["send_by_courier"]
    assert delivery_worklist(on=MON + dt.timedelta(days=5))[0]["send_by_courier"]
    dispatch_courier(number=bill.number, carrier="EMS", tracking="EA123456789CN",
                     posted_on=dt.date(2026, 3, 7), actor="cs")  # fmt: skip
    assert delivery_worklist(on=dt.date(2026, 3, 8)) == []  # off the hand delivery list
    record_courier_delivery(number=bill.number, delivered_on=dt.date(2026, 3, 9), actor="cs")
    bill.refresh_from_db()
    assert bill.receipt_date == dt.date(2026, 3, 9)
    assert bill.receipt.method == BillReceipt.Method.COURIER
    assert bill.due_date == dt.date(2026, 3, 16)


@pytest.mark.django_db
def test_courier_posting_without_delivery_record_counts_as_received_three_days_later():
    """E1: no recorded delivery → posting + 3 days (policy) is the receipt date."""
    _account, bill = issued_bill()
    handover_bills(on=MON, signed_by="cs", actor="cs")
    dispatch_courier(number=bill.number, carrier="SF", tracking="SF100", posted_on=MON,
                     actor="cs")  # fmt: skip
    assert settle_courier_receipts(as_of=dt.date(2026, 3, 4), actor="cs") == []
    assert settle_courier_receipts(as_of=dt.date(2026, 3, 5), actor="cs") == [bill.number]
    bill.refresh_from_db()
    assert bill.receipt_date == dt.date(2026, 3, 5)
    assert settle_courier_receipts(as_of=dt.date(2026, 3, 9), actor="cs") == []


@pytest.mark.django_db
def test_reissued_bill_goes_back_on_the_delivery_list():
    """D1: the corrected bill is delivered again: it joins the next hand-over."""
    _account, bill = issued_bill()
    handover_bills(on=MON, signed_by="cs", actor="cs")
    _old, new = void_bill(number=bill.number, reason="面積錯誤", on=MON, actor="fin",
                          reissue=True)  # fmt: skip
    [batch] = handover_bills(on=MON, signed_by="cs", actor="cs")
    assert list(batch.bills.all()) == [new]
    assert [r["bill"] for r in delivery_worklist(on=MON)] == [new.number]


@pytest.mark.django_db
def test_same_day_delivery_rate_per_project_and_assistant():
    """B1: the same-day delivery rate is a tracked figure."""
    _a, first = issued_bill()
    _b, second = issued_bill()
    handover_bills(on=MON, signed_by="cs-wang", actor="cs-wang")
    record_delivery(number=first.number, on=MON, staff="cs-wang", signed_by="甲")
    record_delivery(number=second.number, on=MON + dt.timedelta(days=1), staff="cs-wang",
                    signed_by="乙")  # fmt: skip
    rate = same_day_delivery_rate(start=MON, until=MON)
    assert rate["projects"]["HT"] == {"bills": 2, "same_day": 1, "rate": "50.0%"}
    assert rate["assistants"]["cs-wang"]["rate"] == "50.0%"
    assert HandOver.objects.count() == 1


@pytest.mark.django_db
def test_cli_handover_deliver_and_worklist(capsys):
    _account, bill = issued_bill()
    assert main(["bills", "handover", "--on", "2026-03-02", "--by", "cs-wang", "--at", "08:45",
                 "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["handovers"][0]["late"] is False
    assert main(["bills", "deliver", bill.number, "--on", "2026-03-02", "--failed",
                 "refused"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["bills", "deliveries", "--on", "2026-03-03", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["deliveries"][0]["last_result"] == "refused"
    assert main(["bills", "deliver", bill.number, "--on", "2026-03-03", "--signed-by", "張",
                 "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert out["due_date"] == "2026-03-10"
    assert main(["bills", "deliver", bill.number, "--on", "2026-03-03"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["bills", "handover", "--by", "x", "--on", "2026-03-03", "--at", "9pm"]) == 2
    assert Decimal(bill.total) == Decimal("2500.00")


@pytest.mark.django_db
def test_a_bill_paid_before_delivery_has_its_delivery_cancelled():
    """F1: a payment is seen at once: the delivery task of a bill paid in full before it
    reached the client is cancelled with the reason, and it is not sent by courier."""
    from wuye.payments.services import record_payment

    account, bill = issued_bill()
    handover_bills(on=MON, signed_by="cs-wang", actor="cs-wang")
    record_payment(account=account, amount=bill.total, on=MON, actor="fin")
    [row] = delivery_worklist(on=MON + dt.timedelta(days=6))
    assert row["cancelled"] == "paid in full before delivery (F1)"
    assert not row["send_by_courier"]


@pytest.mark.django_db
def test_an_unsigned_batch_shows_as_late_after_the_handover_time(capsys):
    """A1: issued bills nobody has signed for are listed per project, late once the
    project's hand-over time (09:00) has passed; signing for them clears the list."""
    issued_bill()
    args = ["bills", "handover-pending", "--on", str(MON), "--json"]
    assert main([*args, "--at", "08:30"]) == 0
    [row] = json.loads(capsys.readouterr().out)["pending"]
    assert (row["project"], row["bills"], row["notices"], row["late"]) == ("HT", 1, 0, False)
    assert main([*args, "--at", "09:15"]) == 0
    assert json.loads(capsys.readouterr().out)["pending"][0]["late"] is True
    handover_bills(on=MON, signed_by="cs-wang", actor="cs-wang")
    assert main([*args, "--at", "09:15"]) == 0
    assert json.loads(capsys.readouterr().out)["pending"] == []


@pytest.mark.django_db
def test_fixed_due_day_bills_are_not_signed_for_nor_pending(capsys):
    """A1/E1: bills of a fixed-due-day contract are posted or messaged, not signed for:
    no hand-over takes them and they never show as a late hand-over."""
    from wuye.billing.models import Contract

    issued_bill(payment_term=Contract.Term.FIXED_DAY)
    assert handover_bills(on=MON, signed_by="cs-wang", actor="cs-wang") == []
    assert main(["bills", "handover-pending", "--on", str(MON), "--at", "10:00", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pending"] == []
