"""Three office accounts in HT-T1 with January and February 2026 bills (M4 reports).

- A: property fee (100 m² × 25.00 = 2,500.00) and parking (300.00 fixed) a month;
  contract collector 王五, assigned to 李四 from 1 March; pays nothing by 15 March; a
  call on 10 March (hardship, promise of 1,000.00 by 31 March); pays 1,000.00 on 20 March.
- B: the same fees; pays each bill (2,800.00) before it falls due (5 Jan, 5 Feb).
- C: property fee only; contract collector 王五; pays 2,500.00 on 1 Feb, after the
  January bill fell due (arrears recovered), and nothing for February.

Bills are issued, signed for and delivered on 2 Jan and 2 Feb (due 7 days after, E1)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.models import Bill, ContractLine
from wuye.billing.services import issue_bills_for_project
from wuye.collection.services import record_call
from wuye.dates import Period
from wuye.payments.services import record_payment
from wuye.properties.models import Account
from wuye.reports.services import assign_collector
from wuye.testing.factories import add_line, office_account

D = dt.date
AS_OF = D(2026, 3, 15)


@dataclass
class Scenario:
    a: Account
    b: Account
    c: Account


def _bill_month(project, month: str, on: dt.date) -> None:
    issue_bills_for_project(project=project, period=Period.parse(month), on=on, actor="fin")
    handover_bills(on=on, signed_by="cs", actor="cs")
    for bill in Bill.objects.filter(issue_date=on):
        record_delivery(number=bill.number, on=on, staff="cs", signed_by="張三", relation="本人")


def _pay(account: Account, amount: str, on: dt.date) -> None:
    record_payment(account=account, amount=Decimal(amount), on=on, actor="fin")


def three_accounts(*, with_late_payment: bool = True) -> Scenario:
    a = office_account(start=D(2025, 12, 1), collector="王五")
    add_line(a.contracts.get(), "PARK", ContractLine.Basis.FIXED, "300.00")
    b = office_account(start=D(2025, 12, 1))
    add_line(b.contracts.get(), "PARK", ContractLine.Basis.FIXED, "300.00")
    c = office_account(start=D(2025, 12, 1), collector="王五")
    project = a.project
    _bill_month(project, "2026-01", D(2026, 1, 2))
    _pay(b, "2800.00", D(2026, 1, 5))
    _pay(c, "2500.00", D(2026, 2, 1))
    _bill_month(project, "2026-02", D(2026, 2, 2))
    _pay(b, "2800.00", D(2026, 2, 5))
    assign_collector(unit_code=a.unit.code, collector="李四", on=D(2026, 3, 1), actor="mgr")
    record_call(
        unit_code=a.unit.code,
        on=D(2026, 3, 10),
        staff="cs",
        reason="hardship",
        amount_stated=Decimal("5600.00"),
        outcome="reached",
        promise_on=D(2026, 3, 31),
        promise_amount=Decimal("1000.00"),
    )
    if with_late_payment:
        _pay(a, "1000.00", D(2026, 3, 20))
    return Scenario(a=a, b=b, c=c)
