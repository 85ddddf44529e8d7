"""A delivered office bill with late fees on two lines, built the way staff build it:
bill run, hand-over (A1), signed delivery (B1, E1: due receipt + 7), late-fee run (L1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.models import Bill, ContractLine
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.ledger import selectors
from wuye.ledger.allocation import LATE_FEE
from wuye.ledger.late_fee_run import run_late_fees
from wuye.testing.factories import add_line, office_account

D = Decimal
ISSUED = dt.date(2026, 3, 2)  # received the same day → due 2026-03-09
LATE_AS_OF = dt.date(2026, 4, 8)  # 30 days overdue


def make_overdue_bill(*, area: str = "100.00", as_of: dt.date = LATE_AS_OF) -> Bill:
    """March 2026: property fee area × 25.00 and an elevator fee of 333.33; delivered on
    2026-03-02, due 2026-03-09, late fees posted up to `as_of` (0.5‰ a day per line).
    With 100 m² and 30 days: 2500.00 → 37.50 and 333.33 → 5.00, 42.50 in all."""
    account = office_account(area=area, start=dt.date(2026, 1, 1))
    add_line(account.contracts.get(), "ELV", ContractLine.Basis.FIXED, "333.33")
    project = account.project
    issue_bills_for_project(project=project, period=Period.parse("2026-03"), on=ISSUED, actor="fin")
    bill = account.bills.get()
    handover_bills(on=ISSUED, signed_by="cs", actor="cs", project_code=project.code)
    record_delivery(number=bill.number, on=ISSUED, staff="cs", signed_by="張三", relation="經理")
    run_late_fees(project=project, as_of=as_of, actor="fin")
    bill.refresh_from_db()
    assert bill.due_date == dt.date(2026, 3, 9)
    return bill


def open_late_fee(bill: Bill, *, as_of: dt.date | None = None) -> dict[str, Decimal]:
    """The open late fee of each fee item of a bill."""
    debts = selectors.open_debts([bill.account_id], as_of=as_of).get(bill.account_id, [])
    codes = dict(bill.lines.values_list("id", "fee_item__code"))
    return {
        codes[d.bill_line_id]: d.open
        for d in debts
        if d.bill_id == bill.pk and d.component == LATE_FEE
    }
