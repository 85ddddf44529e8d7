"""Pauses and exclusions of dunning at every level (project, segment, account, bill), the
policy's minimum amount, and accounts without a policy (rules E2, D2).

March 2026: bills issued and signed for on Mon 2, due Mon 9 (E1: receipt + 7 days);
Thu 12 is 3 days overdue, Mon 16 is 7, Thu 19 is 10. February's bills, signed for on
Mon 2 February, were due on Mon 9 February.
"""

import datetime as dt
import json
from decimal import Decimal

import pytest

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.services import issue_bills_for_project
from wuye.cli import main
from wuye.dates import Period
from wuye.dunning.models import DunningPolicy, Exclusion, Notice, ProposalLine
from wuye.dunning.notices import deliver_notice, handover_notices
from wuye.dunning.services import execute_run, pause_dunning, propose_run, run_dunning
from wuye.errors import WuyeError
from wuye.payments.services import record_payment
from wuye.testing.factories import BuildingFactory, ProjectFactory, UnitFactory, office_account

D = dt.date


def bill_and_deliver(period: str, on: dt.date, *projects) -> None:
    """Issue the period's bills of each project and have every client sign for its bill
    the same day (B1, C1)."""
    for project in projects:
        issue_bills_for_project(project=project, period=Period.parse(period), on=on, actor="fin-li")
    handover_bills(on=on, signed_by="cs-wang", actor="cs-wang")
    for project in projects:
        for bill in project.bills.filter(period_start=Period.parse(period).start):
            record_delivery(number=bill.number, on=on, staff="cs-wang", signed_by="陳經理",
                            relation="行政經理")  # fmt: skip


def hx_account(**kwargs):
    hx = ProjectFactory(code="HX", name="匯信中心")
    return office_account(
        start=D(2026, 1, 1), unit=UnitFactory(building=BuildingFactory(project=hx, code="A")),
        **kwargs,
    )  # fmt: skip


def levels(account) -> list[tuple[dt.date, int]]:
    return [
        (n.issued_on, n.level)
        for n in Notice.objects.filter(account=account).order_by("issued_on", "id")
    ]


def pause(**kwargs) -> Exclusion:
    kwargs.setdefault("project_code", "HT")
    kwargs.setdefault("starts_on", D(2026, 3, 1))
    return pause_dunning(actor="cs-chen", **kwargs)


def line_of(run, account) -> ProposalLine:
    return run.lines.get(account=account)


# --- each scope ----------------------------------------------------------------------


@pytest.mark.django_db
def test_project_pause_stops_every_account_of_that_project_only():
    """E2: a pause of a project, with its reason, holds dunning for all its accounts;
    another project is still chased."""
    # given two overdue clients in HT and one in HX
    ht1 = office_account(start=D(2026, 1, 1))
    ht2 = office_account(start=D(2026, 1, 1))
    hx1 = hx_account()
    bill_and_deliver("2026-03", D(2026, 3, 2), ht1.project, hx1.project)

    # when project HT is paused and the run for 12 March executes
    exclusion = pause(scope="project", reason="業主大會協商物業費")
    run = run_dunning(as_of=D(2026, 3, 12), actor="fin-li")

    # then only the HX client receives the 1st notice
    assert (exclusion.scope, exclusion.project.code, exclusion.reason) == (
        "project", "HT", "業主大會協商物業費",
    )  # fmt: skip
    assert levels(ht1) == levels(ht2) == []
    assert levels(hx1) == [(D(2026, 3, 12), 1)]
    assert run.notices_created == 1
    for account in (ht1, ht2):
        line = line_of(run, account)
        assert (line.excluded, line.exclude_reason) == (True, "paused: 業主大會協商物業費")


@pytest.mark.django_db
def test_segment_pause_stops_that_segment_of_that_project_only():
    """E2: a pause of a contract segment within a project; other segments of the project
    and the same segment in another project are still chased."""
    # given overdue office and shop clients in HT (both on the office policy) and an
    # office client in HX
    office = office_account(start=D(2026, 1, 1))
    shop = office_account(start=D(2026, 1, 1), segment="shop_villa", dunning_policy="office")
    other_project = hx_account()
    bill_and_deliver("2026-03", D(2026, 3, 2), office.project, other_project.project)

    # when the office segment of HT is paused
    exclusion = pause(scope="segment", segment="office", reason="管理處整改期間暫停催繳")
    run = run_dunning(as_of=D(2026, 3, 12), actor="fin-li")

    # then the HT office client gets nothing; the shop client and HX are chased
    assert (exclusion.segment, exclusion.reason) == ("office", "管理處整改期間暫停催繳")
    assert levels(office) == []
    assert levels(shop) == levels(other_project) == [(D(2026, 3, 12), 1)]
    assert line_of(run, office).exclude_reason == "paused: 管理處整改期間暫停催繳"


@pytest.mark.django_db
def test_account_pause_by_unit_stops_only_that_account():
    """E2: a pause of one account, found by its unit, with a reason."""
    # given two overdue clients
    paused = office_account(start=D(2026, 1, 1))
    chased = office_account(start=D(2026, 1, 1))
    bill_and_deliver("2026-03", D(2026, 3, 2), paused.project)

    # when the first client's unit is paused
    exclusion = pause(scope="account", unit_code=paused.unit.code, reason="客戶申請分期付款")
    run_dunning(as_of=D(2026, 3, 12), actor="fin-li")

    # then only the other client receives the 1st notice
    assert (exclusion.account_id, exclusion.reason) == (paused.pk, "客戶申請分期付款")
    assert levels(paused) == []
    assert levels(chased) == [(D(2026, 3, 12), 1)]


@pytest.mark.django_db
def test_a_paused_bill_that_is_the_only_overdue_one_issues_no_notice():
    """E2, D2: a paused bill is held out of the arrears; with nothing else overdue the
    account is not chased and does not appear in the proposal."""
    # given a client whose only overdue bill is paused
    account = office_account(start=D(2026, 1, 1))
    bill_and_deliver("2026-03", D(2026, 3, 2), account.project)
    bill = account.bills.get()
    exclusion = pause(scope="bill", bill_number=bill.number, reason="單價待合同覆核")

    # when the run for 12 March executes
    run = run_dunning(as_of=D(2026, 3, 12), actor="fin-li")

    # then no notice is issued and there is no line for the account
    assert (exclusion.bill_id, exclusion.reason) == (bill.pk, "單價待合同覆核")
    assert levels(account) == []
    assert not run.lines.exists() and run.notices_created == 0


@pytest.mark.django_db
def test_a_paused_bill_is_left_out_and_the_notice_lists_only_the_other_overdue_bill():
    """E2, D2: the arrears and the level follow the oldest bill that is not paused, and
    the notice lists only the bills dunning may chase."""
    # given a client with February's and March's bills unpaid, February's paused
    account = office_account(start=D(2026, 1, 1))
    bill_and_deliver("2026-02", D(2026, 2, 2), account.project)
    bill_and_deliver("2026-03", D(2026, 3, 2), account.project)
    february = account.bills.get(period_start=D(2026, 2, 1))
    march = account.bills.get(period_start=D(2026, 3, 1))
    assert (february.due_date, march.due_date) == (D(2026, 2, 9), D(2026, 3, 9))
    pause(scope="bill", bill_number=february.number, reason="面積爭議待測量")

    # when the run for 12 March is proposed and executed
    run = propose_run(as_of=D(2026, 3, 12), actor="fin-li")
    line = line_of(run, account)
    execute_run(run_id=run.pk, actor="fin-li")

    # then the proposal counts March only: 2,500.00, 3 days overdue (not 31)
    assert (line.step.code, line.arrears, line.oldest_due, line.days_overdue) == (
        "notice1", Decimal("2500.00"), D(2026, 3, 9), 3,
    )  # fmt: skip
    # and the 1st notice lists March's bill only, with its late fee so far (L1)
    [notice] = Notice.objects.filter(account=account)
    assert notice.level == 1
    assert [(ln.bill_id, ln.principal, ln.late_fee) for ln in notice.lines.all()] == [
        (march.pk, Decimal("2500.00"), Decimal("3.75"))
    ]
    assert (notice.principal, notice.late_fee, notice.total) == (
        Decimal("2500.00"), Decimal("3.75"), Decimal("2503.75"),
    )  # fmt: skip


# --- end dates and proposals ---------------------------------------------------------


@pytest.mark.django_db
def test_a_pause_lapses_after_its_end_date_and_dunning_resumes_at_the_next_level():
    """E2: a pause with an end date holds dunning through that day (inclusive); the next
    run goes on at the next level, never skipping one, however overdue the debt is."""
    # given a client who received the 1st notice on 12 March (signed the same day)
    account = office_account(start=D(2026, 1, 1))
    bill_and_deliver("2026-03", D(2026, 3, 2), account.project)
    # and a pause of the account from 13 to 21 March
    pause(
        scope="account", unit_code=account.unit.code, reason="客戶出差，3月22日回來",
        starts_on=D(2026, 3, 13), ends_on=D(2026, 3, 21),
    )  # fmt: skip

    # when the run executes every day, each notice signed the day it is issued
    runs = {}
    for day in range(12, 26):
        on = D(2026, 3, day)
        runs[on] = run_dunning(as_of=on, actor="fin-li")
        handover_notices(on=on, signed_by="cs-wang", actor="cs-wang")
        for notice in Notice.objects.filter(account=account, status=Notice.Status.ISSUED):
            deliver_notice(number=notice.number, on=on, staff="cs-wang", signed_by="陳經理",
                           relation="行政經理")  # fmt: skip

    # then nothing is issued while paused, including on the end date (12 days overdue,
    # when the 2nd would be due), and the proposal says why
    last_paused = line_of(runs[D(2026, 3, 21)], account)
    assert (last_paused.excluded, last_paused.exclude_reason, last_paused.step.position) == (
        True, "paused: 客戶出差，3月22日回來", 2,
    )  # fmt: skip
    # and on 22 March (13 days overdue) the 2nd follows, not the 3rd; the 3rd 3 days later
    assert levels(account) == [
        (D(2026, 3, 12), 1),
        (D(2026, 3, 22), 2),
        (D(2026, 3, 25), 3),
    ]


@pytest.mark.django_db
def test_a_proposal_shows_a_paused_account_as_an_excluded_line_with_the_reason():
    """E2: the proposal lists an account under a pause as excluded by the system with
    "paused: <reason>"; executing it issues nothing for that account."""
    # given two overdue clients, one paused
    paused = office_account(start=D(2026, 1, 1))
    chased = office_account(start=D(2026, 1, 1))
    bill_and_deliver("2026-03", D(2026, 3, 2), paused.project)
    pause(scope="account", unit_code=paused.unit.code, reason="破產重整中")

    # when the run for 12 March is proposed and executed
    run = propose_run(as_of=D(2026, 3, 12), actor="fin-li")
    proposed = line_of(run, paused)
    execute_run(run_id=run.pk, actor="fin-li")

    # then the paused account is an excluded line with the pause's reason
    assert (proposed.excluded, proposed.exclude_reason, proposed.excluded_by) == (
        True, "paused: 破產重整中", "system",
    )  # fmt: skip
    assert (proposed.step.code, proposed.arrears, proposed.days_overdue) == (
        "notice1", Decimal("2500.00"), 3,
    )  # fmt: skip
    assert line_of(run, chased).excluded is False
    # and only the other account was chased
    assert levels(paused) == []
    assert levels(chased) == [(D(2026, 3, 12), 1)]


@pytest.mark.django_db
def test_a_pause_added_after_the_proposal_holds_the_line_when_it_is_executed():
    """E2: execution recomputes each line; a pause that began after the proposal was made
    holds the account, and the line's outcome says so."""
    # given a proposal with a line for the client
    account = office_account(start=D(2026, 1, 1))
    bill_and_deliver("2026-03", D(2026, 3, 2), account.project)
    run = propose_run(as_of=D(2026, 3, 12), actor="fin-li")
    assert line_of(run, account).excluded is False

    # when the account is paused before the proposal is executed
    pause(scope="account", unit_code=account.unit.code, reason="客戶投訴處理中")
    execute_run(run_id=run.pk, actor="fin-li")

    # then no notice is issued and the line records the pause
    assert levels(account) == []
    assert line_of(run, account).outcome == "paused: 客戶投訴處理中"


@pytest.mark.django_db
def test_a_pause_recorded_from_the_command_line_holds_dunning(capsys):
    """E2: `wuye dunning pause` records the pause with its scope, dates and reason."""
    # given an overdue client
    account = office_account(start=D(2026, 1, 1))
    bill_and_deliver("2026-03", D(2026, 3, 2), account.project)

    # when its account is paused from the command line
    code = main(["dunning", "pause", "--scope", "account", "--project", "HT",
                 "--unit", account.unit.code, "--reason", "客戶申請分期付款",
                 "--from", "2026-03-10", "--until", "2026-03-31", "--user", "cs-chen",
                 "--json"])  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    run_dunning(as_of=D(2026, 3, 12), actor="fin-li")

    # then the pause is stored as given and no notice is issued
    assert code == 0
    assert (data["scope"], data["from"], data["until"], data["reason"]) == (
        "account", "2026-03-10", "2026-03-31", "客戶申請分期付款",
    )  # fmt: skip
    exclusion = Exclusion.objects.get(pk=data["id"])
    assert (exclusion.account_id, exclusion.created_by) == (account.pk, "cs-chen")
    assert levels(account) == []


# --- invalid input -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "code", "names"),
    [
        ({"scope": "account", "unit_code": "UNIT", "reason": "  "}, "reason_required", "--reason"),
        ({"scope": "building", "reason": "r"}, "invalid_scope", "building"),
        (
            {"scope": "account", "unit_code": "UNIT", "reason": "r", "ends_on": D(2026, 2, 28)},
            "invalid_date",
            "--until",
        ),
        ({"scope": "account", "unit_code": "HT-T1-9999", "reason": "r"}, "not_found", "HT-T1-9999"),
        (
            {"scope": "bill", "bill_number": "HT-B2026-999999", "reason": "r"},
            "not_found",
            "HT-B2026-999999",
        ),
        ({"scope": "project", "project_code": "NOPE", "reason": "r"}, "not_found", "NOPE"),
        ({"scope": "segment", "reason": "r"}, "segment_required", "--segment"),
    ],
    ids=[
        "no-reason",
        "unknown-scope",
        "until-before-from",
        "unknown-unit",
        "unknown-bill",
        "unknown-project",
        "segment-without-segment",
    ],
)
def test_an_invalid_pause_is_refused_with_a_clear_code(kwargs, code, names):
    """E2, STYLE §8: a pause needs a reason, a known scope, an end not before its start,
    and a project, unit, bill or segment that exists; nothing is stored otherwise."""
    # given a project with an account and its bill
    account = office_account(start=D(2026, 1, 1))
    bill_and_deliver("2026-03", D(2026, 3, 2), account.project)
    kwargs = {k: (account.unit.code if v == "UNIT" else v) for k, v in kwargs.items()}

    # when the pause is asked for
    with pytest.raises(WuyeError) as raised:
        pause(**kwargs)

    # then it is refused with the code, naming what is wrong
    assert raised.value.code == code
    assert names in raised.value.message
    assert not Exclusion.objects.exists()


# --- the policy's minimum and accounts without a policy ------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("paid", "left", "chased"),
    [("2499.50", "0.50", False), ("2499.01", "0.99", False), ("2499.00", "1.00", True)],
)
def test_arrears_below_the_policy_minimum_are_not_chased(paid, left, chased):
    """E2, STYLE §7: arrears below the policy's minimum amount (1.00 for the office
    policy) are not chased; from the minimum on they are."""
    # given a client who paid all but a small rest of March's bill before its due date
    account = office_account(start=D(2026, 1, 1))
    bill_and_deliver("2026-03", D(2026, 3, 2), account.project)
    record_payment(account=account, amount=Decimal(paid), on=D(2026, 3, 5), actor="fin-li")
    assert DunningPolicy.objects.get(code="office").min_amount == Decimal("1.00")

    # when the run for 12 March executes
    run = run_dunning(as_of=D(2026, 3, 12), actor="fin-li")

    # then the rest is chased only from the minimum on
    if chased:
        assert levels(account) == [(D(2026, 3, 12), 1)]
        assert Notice.objects.get(account=account).principal == Decimal(left)
    else:
        assert levels(account) == []
        assert not run.lines.exists()


@pytest.mark.django_db
def test_an_account_without_a_policy_for_its_segment_is_not_chased():
    """E2: an account uses its contract's policy, else the one listing its segment; with
    neither a run does not chase it."""
    # given an overdue residential client without a named policy, where the administrator
    # has taken the residential segment off every policy, and an office client
    residential = office_account(start=D(2026, 1, 1), segment="residential", dunning_policy="")
    office = office_account(start=D(2026, 1, 1))
    bill_and_deliver("2026-03", D(2026, 3, 2), office.project)
    DunningPolicy.objects.filter(code="residential").update(segments="")
    assert not DunningPolicy.objects.filter(segments__contains="residential").exists()

    # when the run for 12 March executes
    run = run_dunning(as_of=D(2026, 3, 12), actor="fin-li")

    # then only the office client is chased; the other has no line at all
    assert levels(residential) == []
    assert levels(office) == [(D(2026, 3, 12), 1)]
    assert list(run.lines.values_list("account_id", flat=True)) == [office.pk]
