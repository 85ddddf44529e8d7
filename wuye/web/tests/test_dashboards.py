"""The dashboard with charts and the report downloads (issue 6; M4: the monthly arrears
list, recovery per collector and the bonus; the collection-rate defaults of RULES.md; B1:
the same-day delivery rate; D2 disputes; G1 escalations).

Data: the three office accounts of the reports tests in HT building T1 (A owes January
and February, pays 1,000.00 on 20 March; B pays on time; C pays January late and owes
February), plus D in building T2 with a vacant-investment contract owing both months,
and E in another project, LY, owing January. A dispute on C's February bill is open
from 1 March. The dashboard is for 15 March 2026, months January to March."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from wuye.billing.delivery import handover_bills, record_delivery, same_day_delivery_rate
from wuye.billing.disputes import open_dispute, open_disputes
from wuye.billing.models import Bill, Contract
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.reports import exports
from wuye.reports.selectors import arrears_list, collection_rate, recovery_by_collector
from wuye.reports.tests.scenario import three_accounts
from wuye.testing.factories import (
    BuildingFactory,
    ProjectFactory,
    UnitFactory,
    office_account,
    staff,
)
from wuye.web import charts
from wuye.web.pages.dashboards import AGING_HEADERS, RATE_HEADERS

D = dt.date
ON = D(2026, 3, 15)
MONTHS = ["2026-01", "2026-02", "2026-03"]
FILTERS = {"start": "2026-01", "until": "2026-03", "on": ON.isoformat()}


@pytest.fixture
def data(db):
    ht = ProjectFactory(code="HT")
    ly = ProjectFactory(code="LY", name="麗苑")
    d = office_account(
        start=D(2025, 12, 1),
        unit=UnitFactory(building=BuildingFactory(project=ht, code="T2")),
        segment=Contract.Segment.VACANT_INVESTMENT,
    )
    e = office_account(
        start=D(2025, 12, 1), unit=UnitFactory(building=BuildingFactory(project=ly, code="L1"))
    )
    # LY's January bill is issued first: the scenario's hand-over and deliveries of
    # 2 January then take it along
    issue_bills_for_project(project=ly, period=Period.parse("2026-01"), on=D(2026, 1, 2),
                            actor="fin")  # fmt: skip
    scenario = three_accounts()
    c_february = Bill.objects.get(account=scenario.c, period_start=D(2026, 2, 1))
    open_dispute(number=c_february.number, on=D(2026, 3, 1), reason="面積有誤", actor="cs")
    return {"ht": ht, "ly": ly, "a": scenario.a, "c": scenario.c, "d": d, "e": e}


@pytest.fixture
def ht_finance(client, data):
    client.force_login(staff("fin-ht", "finance", data["ht"]))
    return client


def dashboard(client, **filters):
    return client.get(reverse("dashboard"), {**FILTERS, **filters})


def aging_by_bucket(project, **narrowing) -> dict[str, tuple[int, Decimal]]:
    """What the arrears list says, summed by its 賬齡 column (the selector's figures)."""
    result: dict[str, tuple[int, Decimal]] = {}
    for row in arrears_list(project=project, as_of=ON, **narrowing).rows:
        count, total = result.get(row.age, (0, Decimal("0.00")))
        result[row.age] = (count + 1, total + row.total)
    return result


def shown_aging(response) -> dict[str, tuple[int, Decimal]]:
    return {
        label: (figures["accounts"], figures["total"])
        for label, figures in response.context["figures"]["aging"]["totals"].items()
        if figures["accounts"]
    }


def test_the_dashboard_shows_the_selectors_figures_with_charts(ht_finance, data):
    """Every figure is the selector's for the same filters, and each chart shows its
    labels and values as text."""
    ht = data["ht"]
    response = dashboard(ht_finance, project="HT")
    assert response.status_code == 200
    figures = response.context["figures"]
    html = response.content.decode()

    expected = [collection_rate(project=ht, period=Period.parse(m)) for m in MONTHS]
    assert figures["rates"] == expected
    for rate in expected:
        if rate["current_rate"] is not None:
            assert f"{rate['current_rate']}%" in html

    assert shown_aging(response) == aging_by_bucket(ht)
    assert shown_aging(response)["31-90"][0] == 3  # A, C (February) and D

    recovery = recovery_by_collector(project=ht, start=D(2026, 1, 1), until=D(2026, 3, 31))
    assert [(r["collector"], r["recovered"], r["bonus"]) for r in figures["recovery"]] == [
        (r.collector, r.recovered, r.bonus) for r in recovery["collectors"]
    ]
    assert recovery["recovered"] > 0

    rate = same_day_delivery_rate(start=D(2026, 1, 1), until=D(2026, 3, 31), project_code="HT")
    assert {r["code"]: r["rate"] for r in figures["delivery"]["projects"]} == {
        code: r["rate"] for code, r in rate["projects"].items()
    }
    disputes = open_disputes(as_of=ON, project_code="HT")
    assert figures["disputes"]["projects"][0]["count"] == len(disputes) == 1
    assert figures["disputes"]["projects"][0]["oldest"] == 14
    assert figures["escalations"]["count"] == 0

    svgs = html.count("<svg")
    assert svgs == 5 and html.count('role="img"') == 5
    for label in [*MONTHS, "0-30", "31-90", "李四", "王五", "cs"]:
        assert f">{label}</text>" in html  # an axis label of a chart
    for _, total in aging_by_bucket(ht).values():
        assert f">{charts.amount(total)}</text>" in html  # the bar's value
    assert "<script" not in html.split("</header>")[1]  # no chart library


def test_building_and_segment_filters_change_the_figures(ht_finance, data):
    """Building T2 and the vacant-investment segment are account D alone; T1 is the
    others; together they make the whole project."""
    ht = data["ht"]
    whole = aging_by_bucket(ht)
    t1 = shown_aging(dashboard(ht_finance, project="HT", building="T1"))
    t2 = shown_aging(dashboard(ht_finance, project="HT", building="T2"))
    vacant = shown_aging(dashboard(ht_finance, project="HT", segment="vacant_investment"))
    assert t1 == aging_by_bucket(ht, building="T1") != whole
    assert t2 == aging_by_bucket(ht, building="T2") == vacant
    assert t2 == {"31-90": (1, Decimal("5000.00"))}
    assert sum(t for _, t in t1.values()) + sum(t for _, t in t2.values()) == sum(
        t for _, t in whole.values()
    )

    response = dashboard(ht_finance, project="HT", building="T2")
    rates = response.context["figures"]["rates"]
    assert rates[0]["billed"] == collection_rate(
        project=ht, period=Period.parse("2026-01"), building="T2"
    )["billed"] == Decimal("2500.00")  # fmt: skip
    assert response.context["figures"]["recovery"] == []  # D paid nothing
    assert response.context["figures"]["disputes"]["count"] == 0  # the dispute is C's (T1)
    office = dashboard(ht_finance, project="HT", segment="office")
    assert office.context["figures"]["disputes"]["count"] == 1


def test_a_user_sees_only_their_projects(ht_finance, data):
    """Without a project filter: the user's projects only; another project's code is
    404 (the user learns nothing about it)."""
    response = dashboard(ht_finance)
    assert response.status_code == 200
    assert {r["project"] for r in response.context["figures"]["rates"]} == {"HT"}
    assert "LY" not in response.content.decode().split("<main>")[1]
    assert dashboard(ht_finance, project="LY").status_code == 404
    assert dashboard(ht_finance, project="NOPE").status_code == 404


def test_a_company_wide_manager_sees_every_project(client, data):
    client.force_login(staff("boss", "manager", company_wide=True))
    response = dashboard(client)
    assert {r["project"] for r in response.context["figures"]["rates"]} == {"HT", "LY"}
    aging = response.context["figures"]["aging"]["rows"]
    assert sum(r["accounts"] for r in aging if r["project"].code == "LY") == 1
    assert response.content.decode().count("<svg") == 5


def test_bad_filters_are_shown_on_the_form(ht_finance, data):
    response = dashboard(ht_finance, start="2026-13")
    assert response.status_code == 400
    assert "不是月份" in response.content.decode()
    response = dashboard(ht_finance, start="2026-03", until="2026-01")
    assert response.status_code == 400
    assert "起始月份晚於結束月份" in response.content.decode()


def test_the_dashboard_reads_a_fixed_number_of_queries_per_project(ht_finance, data):
    """Set-based: more accounts in arrears do not mean more queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        dashboard(ht_finance, project="HT")
    arrears = len(list(arrears_list(project=data["ht"], as_of=ON).rows))
    for _ in range(3):
        office_account(start=D(2025, 12, 1), unit=UnitFactory(building=data["d"].unit.building))
    on = D(2026, 3, 2)
    issue_bills_for_project(project=data["ht"], period=Period.parse("2026-03"), on=on, actor="f")
    handover_bills(on=on, signed_by="cs2", actor="cs2")
    for bill in Bill.objects.filter(issue_date=on):
        record_delivery(number=bill.number, on=on, staff="cs2", signed_by="張三", relation="本人")
    assert len(list(arrears_list(project=data["ht"], as_of=ON).rows)) >= arrears + 3
    with CaptureQueriesContext(connection) as after:
        dashboard(ht_finance, project="HT")
    assert len(after) <= len(before)


# --- report downloads ------------------------------------------------------------------


def download(client, report: str, fmt: str, **filters):
    response = client.get(reverse("reports"), {**FILTERS, "report": report, "format": fmt,
                                               **filters})  # fmt: skip
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def test_the_reports_page_lists_the_downloads(ht_finance, data):
    response = ht_finance.get(reverse("reports"))
    assert response.status_code == 200
    html = response.content.decode()
    for label in ["每月業主欠費清單", "欠費賬齡", "收繳率"]:
        assert label in html


def test_the_arrears_list_downloads_as_xlsx(ht_finance, data):
    """M4: the monthly arrears list, written by the writer of `wuye reports arrears`."""
    response, body = download(ht_finance, "arrears", "xlsx", project="HT")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="arrears-HT-2026-03-15.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(body)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    listing = arrears_list(project=data["ht"], as_of=ON)
    assert rows[0] == exports.headers(listing)
    units = [r[0] for r in rows[1:]]
    assert units == [r.unit for r in listing.rows]
    assert data["d"].unit.code in units and data["a"].unit.code in units
    assert data["e"].unit.code not in units  # LY's account


def test_the_arrears_list_downloads_as_csv_with_filters(ht_finance, data):
    response, body = download(ht_finance, "arrears", "csv", project="HT", building="T2")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:2] == ["單元 unit", "業主 owner"]
    assert [r[0] for r in rows[1:]] == [data["d"].unit.code]
    assert rows[1][rows[0].index("合計 total")] == "5000.00"


def test_aging_and_collection_rate_download_for_the_users_projects_only(ht_finance, data):
    """Without a project the reports cover the user's projects: LY is left out."""
    response, body = download(ht_finance, "aging", "csv")
    assert response.status_code == 200
    assert 'filename="aging-all-2026-03-15.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == AGING_HEADERS
    assert {r[0] for r in rows[1:]} == {"HT"}
    shown = {r[1]: (int(r[2]), Decimal(r[4])) for r in rows[1:] if int(r[2])}
    assert shown == aging_by_bucket(data["ht"])

    response, body = download(ht_finance, "collection-rate", "xlsx")
    sheet = load_workbook(io.BytesIO(body)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == RATE_HEADERS
    assert [(r[0], r[1]) for r in rows[1:]] == [("HT", m) for m in MONTHS]
    january = collection_rate(project=data["ht"], period=Period.parse("2026-01"))
    assert Decimal(str(rows[1][2])) == january["billed"]
    assert Decimal(str(rows[1][3])) == january["collected"]


def test_another_projects_report_is_not_found_and_bad_input_is_400(ht_finance, data):
    assert download(ht_finance, "arrears", "xlsx", project="LY")[0].status_code == 404
    assert download(ht_finance, "arrears", "pdf", project="HT")[0].status_code == 400
    assert download(ht_finance, "nonsense", "csv", project="HT")[0].status_code == 400


def test_a_manager_of_several_projects_chooses_one_for_the_arrears_list(client, data):
    client.force_login(staff("boss", "manager", company_wide=True))
    response, body = download(client, "arrears", "csv")
    assert response.status_code == 400
    assert "請選擇項目" in body.decode()
    response, body = download(client, "aging", "csv")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert {r[0] for r in rows[1:]} == {"HT", "LY"}


# --- the chart helper ------------------------------------------------------------------


def test_a_bar_chart_has_its_labels_and_values_as_text():
    svg = charts.bar_chart(
        title="欠費 <賬齡>",
        labels=["0-30", "31-90"],
        series=[charts.Series("金額", [Decimal("1234.5"), None])],
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "欠費 &lt;賬齡&gt;" in svg and "<賬齡>" not in svg  # escaped
    assert ">0-30</text>" in svg and ">31-90</text>" in svg
    assert ">1,234.50</text>" in svg and ">–</text>" in svg  # the value, a missing one
    assert svg.count("<rect") == 1
    assert "0-30：1,234.50；31-90：–" in svg  # the description reads the figures


def test_grouped_bars_and_a_legend_for_several_series():
    svg = charts.bar_chart(
        title="t", labels=["HT", "LY"], fmt=charts.count,
        series=[charts.Series("異議", [1, 0]), charts.Series("上報", [2, 3])],
    )  # fmt: skip
    assert svg.count("<rect") == 4 + 2  # four bars, two legend keys
    assert ">異議</text>" in svg and ">上報</text>" in svg


def test_a_line_chart_breaks_at_a_missing_value():
    svg = charts.line_chart(
        title="收繳率",
        labels=["2026-01", "2026-02", "2026-03", "2026-04"],
        series=[charts.Series("HT", [Decimal("50.00"), Decimal("75.5"), None, Decimal("100")])],
        fmt=charts.percent,
        unit="%",
    )
    assert svg.count("<polyline") == 1  # Jan–Feb joined, Apr alone
    assert svg.count("<circle") == 3
    assert ">75.5%</text>" in svg and ">100%</text>" in svg  # the tick and the value
    with pytest.raises(ValueError):
        charts.line_chart(title="x", labels=["a"], series=[charts.Series("s", [1, 2])])


def test_axis_ticks_are_round_numbers():
    assert charts.nice_ticks(0, Decimal("5600")) == [0, 2000, 4000, 6000]
    assert charts.nice_ticks(Decimal("-300"), 1200) == [-500, 0, 500, 1000, 1500]
    assert charts.nice_ticks(0, Decimal("93.3")) == [0, 20, 40, 60, 80, 100]
    assert charts.nice_ticks(0, 0) == [0, 1]
    assert charts.nice_ticks(0, Decimal("0.07"))[1] == Decimal("0.02")
