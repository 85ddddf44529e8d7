"""S2a: an evening round through a building, payments with receipts on the spot, the
hand-over of the takings to finance and the reconciliation the next day.

Two office accounts in HT-T1 (2,500.00 a month each); January's bills are issued and
signed for on 2 Jan 2026, due 7 days later (E1), unpaid; the round is on 10 March."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.models import Bill
from wuye.billing.services import issue_bills_for_project
from wuye.cli import main
from wuye.dates import Period
from wuye.errors import WuyeError
from wuye.ledger.selectors import balance
from wuye.payments.models import Payment
from wuye.rounds.models import EveningRound, RoundEvent, RoundPayment, RoundReconciliation
from wuye.rounds.services import hand_over_takings, plan_round, reconcile_round, take_payment
from wuye.testing.factories import office_account

D = dt.date
ROUND_DAY, NEXT_DAY = D(2026, 3, 10), D(2026, 3, 11)
COLLECTOR = "財務陳"


@pytest.fixture
def accounts():
    a = office_account(start=D(2025, 12, 1))
    b = office_account(start=D(2025, 12, 1))
    issue_bills_for_project(
        project=a.project, period=Period.parse("2026-01"), on=D(2026, 1, 2), actor="fin"
    )
    handover_bills(on=D(2026, 1, 2), signed_by="cs", actor="cs")
    for bill in Bill.objects.all():
        record_delivery(number=bill.number, on=D(2026, 1, 2), staff="cs", signed_by="張三")
    return a, b


def _plan(a, **kwargs):
    return plan_round(project=a.project, building=a.unit.building, on=ROUND_DAY,
                      collector=COLLECTOR, actor="supervisor", **kwargs)  # fmt: skip


@pytest.mark.django_db
def test_round_with_two_payments_and_a_hand_over_short_by_ten(accounts):
    """S2a: given two accounts in arrears in T1; when a round is planned, the collector
    takes 2,500.00 cash and 1,000.00 by WeChat with receipts on the spot, hands over
    2,490.00 cash and 1,000.00 of WeChat slips, and finance reconciles the next day; then
    the receipts are consecutive (gapless), the cash is reported 10.00 short, the ledger
    keeps both payments in full (nothing silently fixed) and the round is reconciled."""
    a, b = accounts

    round_ = _plan(a, assistants="客服李")
    paid_a = take_payment(round=round_, unit=a.unit.code, amount=Decimal("2500.00"),
                          method="cash", on=ROUND_DAY, collector=COLLECTOR)  # fmt: skip
    paid_b = take_payment(round=round_, unit=b.unit.code, amount=Decimal("1000.00"),
                          method="wechat", on=ROUND_DAY, collector=COLLECTOR)  # fmt: skip
    hand_over_takings(round=round_, counted_cash=Decimal("2490.00"), by=COLLECTOR,
                      on=NEXT_DAY, counted_other={"wechat": Decimal("1000.00")})  # fmt: skip
    result = reconcile_round(round=round_, on=NEXT_DAY, by="財務主管")

    assert [s.account_id for s in round_.stops.order_by("account_id")] == [a.pk, b.pk]
    assert int(paid_b.receipt_number[-6:]) == int(paid_a.receipt_number[-6:]) + 1
    assert set(RoundPayment.objects.values_list("payment_id", flat=True)) == {
        paid_a.pk,
        paid_b.pk,
    }
    assert [(x.method, x.taken, x.handed_over, x.difference) for x in result.lines] == [
        ("cash", Decimal("2500.00"), Decimal("2490.00"), Decimal("-10.00")),
        ("wechat", Decimal("1000.00"), Decimal("1000.00"), Decimal("0.00")),
    ]
    assert (result.balanced, result.difference) == (False, Decimal("-10.00"))
    assert RoundReconciliation.objects.get(round=round_, method="cash").difference == Decimal(
        "-10.00"
    )
    assert Payment.objects.filter(pk=paid_a.pk, amount=Decimal("2500.00")).exists()
    assert balance(a.pk, as_of=NEXT_DAY) == Decimal("0.00")  # January paid in full (P1)
    round_.refresh_from_db()
    assert round_.status == EveningRound.Status.RECONCILED
    assert list(RoundEvent.objects.filter(round=round_).values_list("to_status", flat=True)
                .order_by("id")) == ["planned", "done", "reconciled"]  # fmt: skip


@pytest.mark.django_db
def test_second_round_in_a_month_is_refused_unless_forced(accounts):
    """S2a defaults: a round per building per month; a second one in March names the
    date field and is refused; forced, it is planned and marked forced."""
    a, _ = accounts
    _plan(a)

    with pytest.raises(WuyeError) as error:
        _plan(a)
    forced = _plan(a, force=True)

    assert error.value.code == "round_exists" and error.value.message.startswith("on:")
    assert forced.forced and EveningRound.objects.count() == 2


@pytest.mark.django_db
def test_round_refuses_bad_input_and_the_collector_reconciling_own_takings(accounts):
    """S2a, roles: a method not taken at the door, another person as collector, a date
    other than the round's, and the collector reconciling their own takings are refused,
    each naming its field."""
    a, _ = accounts
    round_ = _plan(a)

    def refused(call) -> str:
        with pytest.raises(WuyeError) as error:
            call()
        return error.value.message.split(":")[0]

    pay = dict(round=round_, unit=a.unit.code, amount=Decimal("1.00"), on=ROUND_DAY)
    assert refused(lambda: take_payment(**pay, method="bank_transfer", collector=COLLECTOR)) == (
        "method"
    )
    assert refused(lambda: take_payment(**pay, method="cash", collector="別人")) == "collector"
    assert (
        refused(lambda: take_payment(**{**pay, "on": NEXT_DAY}, method="cash", collector=COLLECTOR))
        == "on"
    )
    hand_over_takings(round=round_, counted_cash=Decimal("0.00"), by=COLLECTOR, on=NEXT_DAY)
    assert refused(lambda: reconcile_round(round=round_, on=NEXT_DAY, by=COLLECTOR)) == "by"
    assert Payment.objects.count() == 0


def _json(capsys, *args: str, user: str = "財務主管"):
    code = main([*args, "--json", "--user", user])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


@pytest.mark.django_db
def test_rounds_commands_end_to_end(accounts, capsys):
    """S2a: plan, pay, hand over, reconcile and show through `wuye rounds …` with --json
    (amounts as strings); a bad amount names --amount and exits 2."""
    a, b = accounts

    plan = _json(capsys, "rounds", "plan", "--project", "HT", "--building", "T1", "--on",
                 "2026-03-10", "--collector", COLLECTOR)  # fmt: skip
    number = str(plan["round"])
    pay = _json(capsys, "rounds", "pay", number, "--unit", a.unit.code, "--amount", "2500",
                "--on", "2026-03-10")  # fmt: skip
    _json(capsys, "rounds", "pay", number, "--unit", b.unit.code, "--amount", "1000",
          "--method", "wechat", "--on", "2026-03-10")  # fmt: skip
    _json(capsys, "rounds", "handover", number, "--cash", "2490", "--wechat", "1000", "--on",
          "2026-03-11")  # fmt: skip
    reconciled = _json(capsys, "rounds", "reconcile", number, "--on", "2026-03-11")
    shown = _json(capsys, "rounds", "show", number)

    assert [s["arrears"] for s in plan["stops"]] == ["2500.00", "2500.00"]
    assert (pay["amount"], pay["method"]) == ("2500.00", "cash")
    assert (reconciled["balanced"], reconciled["difference"]) == (False, "-10.00")
    assert shown["status"] == "reconciled"
    assert shown["taken"] == {"cash": "2500.00", "wechat": "1000.00"}
    assert main(["rounds", "pay", number, "--unit", a.unit.code, "--amount", "x", "--json"]) == 2
    assert "--amount" in capsys.readouterr().err
