"""M4: the monthly arrears list (每月業主欠費清單) per project, as XLSX and CSV: one row
per account in arrears with months and amounts per fee item, age, reason, last contact,
open promise, dunning stage and responsible collector. See scenario.py for the dates."""

import csv
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from wuye.dunning.models import Notice
from wuye.dunning.services import run_dunning
from wuye.ledger.models import Entry
from wuye.reports.selectors import arrears_list, collectors
from wuye.reports.services import assign_collector, export_arrears_list
from wuye.reports.tests.scenario import AS_OF, three_accounts

D = dt.date


def _dec(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.mark.django_db
def test_arrears_list_as_xlsx_has_a_row_per_account_in_arrears(tmp_path):
    """M4, defaults (aging buckets), R2 (reason, promise), E2 (stage): given A owing
    January and February (property fee and parking), C owing February's property fee and
    B paid up; when the list for 15 March is written as XLSX; then it has A and C, with
    two months per fee item for A, the oldest debt's age bucket, the call's reason and
    promise, the dunning step and the assigned collector (李四 over the contract's 王五)."""
    s = three_accounts(with_late_payment=False)
    run_dunning(as_of=D(2026, 3, 12), actor="fin")
    stage = (
        Notice.objects.filter(customer=s.a.customer)
        .exclude(status__in=["cancelled", "void"])
        .latest("issued_on", "level", "id")
        .step.name
    )
    oldest_due = s.a.bills.order_by("period_start").first().due_date

    result = export_arrears_list(project_code="HT", as_of=AS_OF, out=tmp_path / "list.xlsx")

    late_fees = {  # L1: the dunning run posts the late fees accrued so far
        account.pk: sum(
            Entry.objects.filter(account=account, kind="late_fee").values_list("amount", flat=True),
            Decimal("0.00"),
        )
        for account in (s.a, s.c)
    }
    assert late_fees[s.a.pk] > 0
    assert (result["rows"], result["total"]) == (2, Decimal("8100.00") + sum(late_fees.values()))
    sheet = load_workbook(tmp_path / "list.xlsx", read_only=True).active
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header[:6] == [
        "單元 unit",
        "業主 owner",
        "物業服務費 月數 months",
        "物業服務費 金額 amount",
        header[4],
        header[5],
    ]
    assert header[4].endswith("月數 months") and header[5].endswith("金額 amount")
    row = dict(zip(header, rows[0], strict=True))
    assert row["單元 unit"] == s.a.unit.code
    assert row["業主 owner"] == s.a.customer.name
    assert (row["物業服務費 月數 months"], _dec(row["物業服務費 金額 amount"])) == (
        2,
        Decimal("5000.00"),
    )
    assert (rows[0][4], _dec(rows[0][5])) == (2, Decimal("600.00"))
    assert _dec(row["違約金 late fee"]) == late_fees[s.a.pk]
    assert _dec(row["合計 total"]) == Decimal("5600.00") + late_fees[s.a.pk]
    assert row["最早到期日 oldest due"].date() == oldest_due
    assert row["逾期天數 days overdue"] == (AS_OF - oldest_due).days
    assert row["賬齡 age"] == "31-90"
    assert row["欠費原因 reason"] == "經濟困難"
    assert row["最近聯絡 last contact"].date() == D(2026, 3, 10)
    assert row["聯絡方式 channel"] == "電話"
    assert row["承諾付款日 promise date"].date() == D(2026, 3, 31)
    assert _dec(row["承諾金額 promise amount"]) == Decimal("1000.00")
    assert row["催繳階段 stage"] == stage != ""
    assert row["負責收款員 collector"] == "李四"
    c_row = dict(zip(header, rows[1], strict=True))
    assert c_row["單元 unit"] == s.c.unit.code
    assert (c_row["物業服務費 月數 months"], _dec(c_row["物業服務費 金額 amount"])) == (
        1,
        Decimal("2500.00"),
    )
    assert (rows[1][4], _dec(rows[1][5])) == (0, Decimal("0.00"))
    assert c_row["負責收款員 collector"] == "王五"  # M4: the contract's, never assigned
    assert c_row["承諾付款日 promise date"] is None


@pytest.mark.django_db
def test_arrears_list_as_csv_is_utf8_with_bom_and_amounts_as_text(tmp_path):
    """M4: given the same accounts; when the list is written as CSV; then the file starts
    with a UTF-8 BOM (Excel) and carries amounts with two decimals."""
    s = three_accounts(with_late_payment=False)

    export_arrears_list(project_code="HT", as_of=AS_OF, out=tmp_path / "list.csv")

    raw = (tmp_path / "list.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with (tmp_path / "list.csv").open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    row = dict(zip(header, rows[0], strict=True))
    assert [r[0] for r in rows] == [s.a.unit.code, s.c.unit.code]
    assert row["物業服務費 金額 amount"] == "5000.00"
    assert (rows[0][4], rows[0][5]) == ("2", "600.00")
    assert row["合計 total"] == "5600.00"
    assert row["承諾付款日 promise date"] == "2026-03-31"
    assert row["欠費原因 reason"] == "經濟困難"


@pytest.mark.django_db
def test_arrears_list_takes_the_same_queries_for_more_accounts():
    """M4, set-based: given the list read in chunks of one account; when it is read for
    two accounts; then each chunk takes a fixed number of queries, none per row."""
    three_accounts(with_late_payment=False)

    with CaptureQueriesContext(connection) as one_chunk:
        rows = list(arrears_list(project=_project(), as_of=AS_OF, chunk=10).rows)
    with CaptureQueriesContext(connection) as two_chunks:
        list(arrears_list(project=_project(), as_of=AS_OF, chunk=1).rows)

    assert len(rows) == 2
    per_chunk = len(two_chunks) - len(one_chunk)
    assert 0 < per_chunk <= 6
    assert len(one_chunk) <= 10


def _project():
    from wuye.properties.models import Project

    return Project.objects.get(code="HT")


@pytest.mark.django_db
def test_collector_is_the_latest_assignment_else_the_contract():
    """M4: given A assigned to 李四 from 1 March over the contract's 王五; then on
    28 February A's collector is 王五 and on 1 March 李四; C stays 王五; B has none."""
    s = three_accounts(with_late_payment=False)

    before = collectors([s.a.pk, s.b.pk, s.c.pk], as_of=D(2026, 2, 28))
    after = collectors([s.a.pk, s.b.pk, s.c.pk], as_of=D(2026, 3, 1))

    assert before == {s.a.pk: "王五", s.b.pk: "", s.c.pk: "王五"}
    assert after == {s.a.pk: "李四", s.b.pk: "", s.c.pk: "王五"}


@pytest.mark.django_db
def test_a_second_assignment_on_the_same_day_is_refused():
    """M4: an assignment is never edited in place: the same unit and day twice fails,
    naming the field."""
    from wuye.errors import WuyeError

    s = three_accounts(with_late_payment=False)

    with pytest.raises(WuyeError) as error:
        assign_collector(unit_code=s.a.unit.code, collector="趙六", on=D(2026, 3, 1), actor="m")

    assert error.value.code == "already_assigned"
    assert error.value.message.startswith("on:")
