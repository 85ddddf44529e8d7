"""`wuye dunning …` and `wuye notices …` end to end through `wuye.cli.main` (rules E2, E3,
F1, G1): JSON output with amounts as strings, one-line errors with exit code 2.

March 2026: bills issued and signed for on Mon 2, due Mon 9 (E1: receipt + 7 days);
Thu 12 is 3 days overdue, Mon 16 is 7, Thu 19 is 10, Sun 22 is 3 days after Thu 19.
"""

import datetime as dt
import json

import pytest

from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.services import issue_bills_for_project
from wuye.cli import main
from wuye.dates import Period
from wuye.dunning.models import Contact, DunningRun, Episode, Notice, ProposalLine
from wuye.testing.factories import office_account

D = dt.date
NO_NOTICE = "HT-N2026-999999"
FAILED_VALUES = "nobody_present, contact_absent, refused, wrong_address"


def overdue_accounts(count: int = 3) -> list:
    """Office clients of project HT with a March bill of 2,500.00 signed for on 2 March,
    so due on 9 March (E1) and unpaid."""
    accounts = [office_account(start=D(2026, 1, 1)) for _ in range(count)]
    issue_bills_for_project(
        project=accounts[0].project, period=Period.parse("2026-03"), on=D(2026, 3, 2),
        actor="fin-li",
    )  # fmt: skip
    handover_bills(on=D(2026, 3, 2), signed_by="cs-wang", actor="cs-wang")
    for account in accounts:
        record_delivery(number=account.bills.get().number, on=D(2026, 3, 2), staff="cs-wang",
                        signed_by="陳經理", relation="行政經理")  # fmt: skip
    assert {a.bills.get().due_date for a in accounts} == {D(2026, 3, 9)}
    return accounts


def wuye(capsys, *args: str) -> tuple[int, str, str]:
    """Run the command line in-process: (exit code, stdout, stderr)."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def wuye_json(capsys, *args: str):
    code, out, err = wuye(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def fails(capsys, *args: str) -> tuple[dict, str]:
    """A command that must fail: exit 2, nothing on stdout, one line on stderr; returns the
    JSON error and the plain `wuye: error: …` line."""
    code, out, err = wuye(capsys, *args, "--json")
    assert (code, out, err.count("\n")) == (2, "", 1), err
    error = json.loads(err)
    code, out, plain = wuye(capsys, *args)
    assert (code, out, plain.count("\n")) == (2, "", 1), plain
    assert plain.startswith("wuye: error: ") and "Traceback" not in plain
    return error, plain


def by_unit(lines: list[dict]) -> dict[str, dict]:
    return {line["unit"]: line for line in lines}


# --- propose, exclude, execute, run --------------------------------------------------


@pytest.mark.django_db
def test_propose_stores_a_proposal_listing_each_account_with_step_arrears_and_days(capsys):
    """E2: `dunning propose` stores one line per account in arrears (step, arrears, oldest
    due date, days overdue) and issues nothing yet."""
    # given three clients 3 days overdue with 2,500.00 each
    accounts = overdue_accounts()

    # when the run for 12 March is proposed
    data = wuye_json(capsys, "dunning", "propose", "--as-of", "2026-03-12", "--user", "fin-li")

    # then the proposal is stored and lists each account at the 1st level
    run = DunningRun.objects.get()
    assert (data["proposal"], data["as_of"], data["status"]) == (run.pk, "2026-03-12", "proposed")
    assert run.proposed_by == "fin-li"
    lines = by_unit(data["lines"])
    assert set(lines) == {a.unit.code for a in accounts}
    for account in accounts:
        line = lines[account.unit.code]
        assert line["account"] == account.code
        assert (line["step"], line["level"], line["action"]) == ("notice1", 1, "notice")
        assert (line["arrears"], line["oldest_due"], line["days_overdue"]) == (
            "2500.00", "2026-03-09", 3,
        )  # fmt: skip
        assert (line["excluded"], line["exclude_reason"], line["outcome"]) == (False, None, None)
    assert ProposalLine.objects.filter(run=run).count() == 3
    assert Notice.objects.count() == 0
    # and `dunning show` prints the same stored proposal
    assert wuye_json(capsys, "dunning", "show", str(run.pk))["lines"] == data["lines"]


@pytest.mark.django_db
def test_excluded_account_gets_no_notice_and_the_exclusion_reason_is_recorded(capsys):
    """E2: staff trim a proposal with a reason; executing it issues notices for the other
    accounts only, and the excluded line keeps its reason and who excluded it."""
    # given a proposal for three overdue clients
    kept1, left_out, kept2 = overdue_accounts()
    proposal = str(wuye_json(capsys, "dunning", "propose", "--as-of", "2026-03-12")["proposal"])

    # when one account is excluded with a reason and the proposal is executed
    excluded = wuye_json(
        capsys, "dunning", "exclude", proposal, "--account", left_out.unit.code,
        "--reason", "客戶已承諾月底前付清", "--user", "cs-chen",
    )  # fmt: skip
    data = wuye_json(capsys, "dunning", "execute", proposal, "--user", "fin-li")

    # then only the two others received the 1st notice
    assert excluded["excluded"] == 1
    assert (data["status"], data["notices_created"]) == ("executed", 2)
    assert {n.account_id for n in Notice.objects.all()} == {kept1.pk, kept2.pk}
    assert not Episode.objects.filter(account=left_out).exists()
    lines = by_unit(data["lines"])
    assert lines[left_out.unit.code]["excluded"] is True
    assert lines[left_out.unit.code]["exclude_reason"] == "客戶已承諾月底前付清"
    assert lines[kept1.unit.code]["outcome"] == lines[kept2.unit.code]["outcome"] == "issued"
    line = ProposalLine.objects.get(run_id=int(proposal), account=left_out)
    assert (line.excluded, line.excluded_by) == (True, "cs-chen")
    run = DunningRun.objects.get(pk=int(proposal))
    assert (run.status, run.executed_by, run.notices_created) == ("executed", "fin-li", 2)


@pytest.mark.django_db
def test_executing_a_proposal_twice_is_refused_and_issues_nothing_more(capsys):
    """E2: a proposal is executed once; executing or trimming it again is refused with
    run_not_open and changes nothing."""
    # given an executed proposal
    account, *_ = overdue_accounts()
    proposal = str(wuye_json(capsys, "dunning", "propose", "--as-of", "2026-03-12")["proposal"])
    assert wuye_json(capsys, "dunning", "execute", proposal)["notices_created"] == 3

    # when it is executed again
    error, plain = fails(capsys, "dunning", "execute", proposal)

    # then the error says so, and no notice was added
    assert error["error"] == "run_not_open"
    assert f"proposal {proposal} is already executed" in plain
    assert Notice.objects.count() == 3
    # and the executed proposal can no longer be trimmed either
    error, _ = fails(
        capsys, "dunning", "exclude", proposal, "--account", account.unit.code, "--reason", "x"
    )
    assert error["error"] == "run_not_open"


@pytest.mark.django_db
def test_excluding_a_unit_not_in_the_proposal_is_refused(capsys):
    """E2: an exclusion names an account of the proposal; any other unit is an error."""
    # given a proposal
    overdue_accounts(1)
    proposal = str(wuye_json(capsys, "dunning", "propose", "--as-of", "2026-03-12")["proposal"])

    # when a unit that is not in it is excluded
    error, plain = fails(
        capsys, "dunning", "exclude", proposal, "--account", "HT-T1-9999", "--reason", "x"
    )

    # then the error names the unit and nothing is excluded
    assert error["error"] == "not_in_proposal" and "HT-T1-9999" in plain
    assert not ProposalLine.objects.filter(excluded=True).exists()


@pytest.mark.django_db
def test_dry_run_shows_the_proposal_and_writes_nothing(capsys):
    """E2, STYLE §6: `dunning run --dry-run` is the same computation without the write."""
    # given three overdue clients
    accounts = overdue_accounts()

    # when a dry run for 12 March is asked for
    data = wuye_json(capsys, "dunning", "run", "--as-of", "2026-03-12", "--dry-run")

    # then it shows what would be issued, but nothing was stored
    assert (data["dry_run"], data["proposal"], data["status"]) == (True, None, "proposed")
    assert sorted(line["unit"] for line in data["lines"]) == sorted(a.unit.code for a in accounts)
    assert {line["step"] for line in data["lines"]} == {"notice1"}
    assert Notice.objects.count() == 0
    assert DunningRun.objects.count() == 0
    assert ProposalLine.objects.count() == 0
    assert Episode.objects.count() == 0
    # and the plain output says it wrote nothing
    code, out, _ = wuye(capsys, "dunning", "run", "--as-of", "2026-03-12", "--dry-run")
    assert code == 0 and out.startswith("dry run, nothing written")
    assert DunningRun.objects.count() == 0


@pytest.mark.django_db
def test_run_issues_once_and_a_rerun_for_the_same_date_issues_nothing(capsys):
    """E2: a run for a date is idempotent: running it again changes nothing."""
    # given three overdue clients and an executed run for 12 March
    overdue_accounts()
    first = wuye_json(capsys, "dunning", "run", "--as-of", "2026-03-12")

    # when the run for the same date is repeated
    again = wuye_json(capsys, "dunning", "run", "--as-of", "2026-03-12")

    # then the first issued three notices and the second none
    assert (first["status"], first["notices_created"]) == ("executed", 3)
    assert (again["status"], again["notices_created"], again["lines"]) == ("executed", 0, [])
    assert Notice.objects.count() == 3


@pytest.mark.django_db
def test_run_for_a_date_before_the_latest_executed_run_is_refused(capsys):
    """E2: a project's runs go forward in time; an earlier date than its latest executed
    run is refused, and the error names the project and both dates."""
    # given a run executed for 13 March in project HT
    overdue_accounts()
    assert wuye_json(capsys, "dunning", "run", "--as-of", "2026-03-13")["notices_created"] == 3

    # when a run for 12 March is attempted, or proposed
    error, plain = fails(capsys, "dunning", "run", "--as-of", "2026-03-12")
    proposed, _ = fails(capsys, "dunning", "propose", "--as-of", "2026-03-12", "--project", "HT")

    # then both are refused naming the project and both dates, and nothing was written
    assert error["error"] == proposed["error"] == "run_before_latest"
    assert "HT" in plain and "2026-03-13" in plain and "2026-03-12" in plain
    assert DunningRun.objects.count() == 1
    assert Notice.objects.count() == 3


# --- notices: list, show, hand-over, delivery, EMS -----------------------------------


@pytest.mark.django_db
def test_notice_delivery_posting_and_courier_delivery_are_recorded_as_contacts(capsys):
    """E2: the assistant signs for the day's notices and delivers each for signature (a
    failed attempt stays on the list); E3: a notice undelivered a day after hand-over is
    flagged for EMS, posted with carrier and tracking number, and its delivery recorded;
    X2: every attempt is a contact with its result, signer and relation."""
    # given the 1st notices issued on 12 March to three clients
    a1, a2, a3 = overdue_accounts()
    assert wuye_json(capsys, "dunning", "run", "--as-of", "2026-03-12")["notices_created"] == 3
    listed = wuye_json(capsys, "notices", "list", "--as-of", "2026-03-12")
    units = {n["unit"]: n for n in listed["notices"]}
    n1, n2, n3 = (units[a.unit.code]["number"] for a in (a1, a2, a3))
    for notice in listed["notices"]:
        assert (notice["level"], notice["step"], notice["status"]) == (
            1,
            "第一次催繳通知書",
            "issued",
        )
        # L1: 2,500.00 × 0.5‰ × 3 days; pay-by 3 days later, moved from Sunday to Monday
        assert (notice["principal"], notice["late_fee"], notice["total"]) == (
            "2500.00", "3.75", "2503.75",
        )  # fmt: skip
        assert (notice["pay_by"], notice["handed_over_on"]) == ("2026-03-16", None)
    assert wuye_json(capsys, "notices", "list", "--as-of", "2026-03-13")["notices"] == []

    # when the assistant signs for them, nobody is at client 1 that day,
    handover = wuye_json(capsys, "notices", "handover", "--on", "2026-03-12", "--by", "cs-wang")
    failed = wuye_json(
        capsys, "notices", "deliver", n1, "--on", "2026-03-12", "--failed", "nobody_present"
    )
    same_day = by_notice(wuye_json(capsys, "notices", "deliveries", "--on", "2026-03-12"))
    next_day = by_notice(wuye_json(capsys, "notices", "deliveries", "--on", "2026-03-13"))
    # client 1 signs the next day, client 2's notice goes by EMS and arrives on Monday
    signed = wuye_json(capsys, "notices", "deliver", n1, "--on", "2026-03-13",
                       "--signed-by", "陳經理", "--relation", "行政經理")  # fmt: skip
    posted = wuye_json(capsys, "notices", "post", n2, "--carrier", "EMS",
                       "--tracking", "EA123456789CN", "--on", "2026-03-13")  # fmt: skip
    arrived = wuye_json(capsys, "notices", "courier-delivered", n2, "--on", "2026-03-16")

    # then the hand-over covers the three notices
    assert handover["notices"] == sorted([n1, n2, n3]) and handover["signed_by"] == "cs-wang"
    # the failed attempt is a contact and keeps the notice on the list, not yet for EMS
    assert (failed["result"], failed["signer"]) == ("nobody_present", None)
    assert set(same_day) == {n1, n2, n3}
    assert (same_day[n1]["attempts"], same_day[n1]["last_result"]) == (1, "nobody_present")
    assert not any(row["send_by_courier"] for row in same_day.values())
    # E3: a day after the hand-over every undelivered notice is flagged for EMS
    assert all(row["send_by_courier"] for row in next_day.values())
    assert all(row["undelivered_end_of_day"] for row in next_day.values())
    # the signature records signer and relation (X2)
    assert (signed["result"], signed["signer"], signed["relation"]) == (
        "signed", "陳經理", "行政經理",
    )  # fmt: skip
    assert (posted["status"], posted["carrier"], posted["tracking_number"]) == (
        "posted", "EMS", "EA123456789CN",
    )  # fmt: skip
    assert (posted["posted_on"], arrived["courier_delivered_on"]) == ("2026-03-13", "2026-03-16")
    # only client 3's notice is left to deliver
    remaining = by_notice(wuye_json(capsys, "notices", "deliveries", "--on", "2026-03-16"))
    assert list(remaining) == [n3] and remaining[n3]["attempts"] == 0

    shown = wuye_json(capsys, "notices", "show", n1)
    assert (shown["status"], shown["delivered_on"]) == ("delivered", "2026-03-13")
    assert (shown["signer"], shown["signer_relation"]) == ("陳經理", "行政經理")
    assert [(c["on"], c["channel"], c["result"], c["signer"], c["relation"])
            for c in shown["contacts"]] == [
        ("2026-03-12", "hand", "nobody_present", None, None),
        ("2026-03-13", "hand", "signed", "陳經理", "行政經理"),
    ]  # fmt: skip
    assert [(i["bill"], i["principal"], i["late_fee"]) for i in shown["items"]] == [
        (a1.bills.get().number, "2500.00", "3.75")
    ]
    shown = wuye_json(capsys, "notices", "show", n2)
    assert [(c["on"], c["channel"], c["result"], c["note"]) for c in shown["contacts"]] == [
        ("2026-03-13", "courier", "posted", "EMS EA123456789CN"),
        ("2026-03-16", "courier", "courier_delivered", "EMS EA123456789CN"),
    ]
    assert Contact.objects.filter(notice__number=n3).count() == 0


def by_notice(data: dict) -> dict[str, dict]:
    return {row["notice"]: row for row in data["notices"]}


@pytest.mark.django_db
def test_delivering_a_notice_before_the_hand_over_is_refused(capsys):
    """E2: the assistant signs for a notice before delivering it (not_handed_over)."""
    # given an issued notice nobody has signed for yet
    overdue_accounts(1)
    wuye_json(capsys, "dunning", "run", "--as-of", "2026-03-12")
    number = Notice.objects.get().number

    # when its delivery is recorded
    error, plain = fails(
        capsys, "notices", "deliver", number, "--on", "2026-03-12", "--signed-by", "陳經理"
    )

    # then it is refused and nothing was recorded
    assert error["error"] == "not_handed_over" and number in plain
    assert Notice.objects.get().status == "issued"
    assert not Contact.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "outcome",
    [
        ["--signed-by", "陳經理", "--failed", "refused"],
        [],
    ],
    ids=["both", "neither"],
)
def test_delivery_needs_exactly_one_of_signed_by_or_failed(capsys, outcome):
    """E2, X2: an attempt is either signed (by whom) or failed (why), never both or none."""
    # given a notice signed for by the assistant
    overdue_accounts(1)
    wuye_json(capsys, "dunning", "run", "--as-of", "2026-03-12")
    wuye_json(capsys, "notices", "handover", "--on", "2026-03-12", "--by", "cs-wang")
    number = Notice.objects.get().number

    # when a delivery is recorded with both or neither
    error, plain = fails(capsys, "notices", "deliver", number, "--on", "2026-03-12", *outcome)

    # then it is refused with the usage and nothing was recorded
    assert error["error"] == "usage" and "--signed-by" in plain and "--failed" in plain
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_an_unknown_failure_reason_is_refused_naming_the_allowed_values(capsys):
    """E2, X2: the result of a failed attempt is one of a fixed list."""
    # given a notice signed for by the assistant
    overdue_accounts(1)
    wuye_json(capsys, "dunning", "run", "--as-of", "2026-03-12")
    wuye_json(capsys, "notices", "handover", "--on", "2026-03-12", "--by", "cs-wang")
    number = Notice.objects.get().number

    # when a failed attempt gives an unknown reason
    error, plain = fails(
        capsys, "notices", "deliver", number, "--on", "2026-03-12", "--failed", "on_holiday"
    )

    # then the error names the value and the allowed ones
    assert error["error"] == "invalid_result"
    assert "on_holiday" in plain and FAILED_VALUES in plain
    assert not Contact.objects.exists()


# --- escalations and policies --------------------------------------------------------


@pytest.mark.django_db
def test_escalation_is_listed_with_its_role_until_closed_with_a_note(capsys):
    """E2, G1: after the 3rd notice was delivered 3 days ago the debt is escalated to the
    supervisor and manager; it stays on their list until closed with a note."""
    # given a client who received the 1st, 2nd and 3rd notices, each signed the same day
    (account,) = overdue_accounts(1)
    for day in ("2026-03-12", "2026-03-16", "2026-03-19"):
        assert wuye_json(capsys, "dunning", "run", "--as-of", day)["notices_created"] == 1
        wuye_json(capsys, "notices", "handover", "--on", day, "--by", "cs-wang")
        number = Notice.objects.get(account=account, issued_on=day).number
        wuye_json(capsys, "notices", "deliver", number, "--on", day,
                  "--signed-by", "陳經理", "--relation", "行政經理")  # fmt: skip

    # when the run 3 days after the 3rd issues the escalation
    run = wuye_json(capsys, "dunning", "run", "--as-of", "2026-03-22")
    listed = wuye_json(capsys, "dunning", "escalations")["escalations"]

    # then it is open on the supervisor's and manager's list
    assert [line["step"] for line in run["lines"]] == ["escalate"]
    [escalation] = listed
    assert (escalation["unit"], escalation["level"], escalation["action"]) == (
        account.unit.code, 4, "escalation",
    )  # fmt: skip
    assert (escalation["status"], escalation["role"]) == ("open", "supervisor, manager")
    assert wuye_json(capsys, "dunning", "escalations", "--project", "HX")["escalations"] == []

    # when the supervisor closes it with a note
    closed = wuye_json(capsys, "dunning", "close-escalation", escalation["number"],
                       "--note", "已約見客戶財務", "--on", "2026-03-23",
                       "--user", "sup-liu")  # fmt: skip

    # then it is closed with the note and who closed it, and leaves the list
    assert (closed["status"], closed["ended_on"]) == ("closed", "2026-03-23")
    assert closed["end_reason"] == "已約見客戶財務 (sup-liu)"
    assert wuye_json(capsys, "dunning", "escalations")["escalations"] == []
    # and it cannot be closed twice
    error, _ = fails(capsys, "dunning", "close-escalation", escalation["number"],
                     "--note", "again", "--on", "2026-03-24")  # fmt: skip
    assert error["error"] == "not_open_escalation"


@pytest.mark.django_db
def test_policies_show_the_office_ladder(capsys):
    """E2, G1, STYLE §7: the office policy is data: 1st/2nd/3rd notice at 3/7/10 days
    overdue, each at least 3 days after the previous one, then escalation 3 days after."""
    # given the shipped policies; when they are printed
    data = wuye_json(capsys, "dunning", "policies")
    code, text, _ = wuye(capsys, "dunning", "policies")

    # then the office ladder is 3/7/10 days with gaps of 3, then the escalation
    office = {p["code"]: p for p in data["policies"]}["office"]
    assert (office["segments"], office["min_amount"]) == ("office", "1.00")
    assert [
        (s["position"], s["code"], s["action"], s["days_overdue"], s["gap_days"])
        for s in office["steps"]
    ] == [
        (1, "notice1", "notice", 3, 0),
        (2, "notice2", "notice", 7, 3),
        (3, "notice3", "notice", 10, 3),
        (4, "escalate", "escalation", 10, 3),
    ]
    assert [s["role"] for s in office["steps"]] == [
        "customer-service assistant", "customer-service assistant",
        "customer-service assistant", "supervisor, manager",
    ]  # fmt: skip
    assert code == 0 and "第一次催繳通知書" in text and "上報部門主管及經理" in text


# --- unknown keys --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ["dunning", "show", "999999"],
        ["dunning", "show", "abc"],
        ["dunning", "execute", "999999"],
        ["dunning", "exclude", "999999", "--account", "HT-T1-0101", "--reason", "x"],
        ["dunning", "close-escalation", NO_NOTICE, "--note", "x", "--on", "2026-03-12"],
        ["notices", "show", NO_NOTICE],
        ["notices", "deliver", NO_NOTICE, "--on", "2026-03-12", "--signed-by", "陳"],
        ["notices", "post", NO_NOTICE, "--carrier", "EMS", "--tracking", "T", "--on", "2026-03-12"],
        ["notices", "courier-delivered", NO_NOTICE, "--on", "2026-03-12"],
    ],
    ids=lambda args: "-".join(args[:2]) + ("-text" if "abc" in args else ""),
)
def test_an_unknown_proposal_or_notice_is_not_found(capsys, args):
    """E2, STYLE §8: an unknown proposal or notice is one line on stderr, exit 2."""
    # given a database with one client in arrears and nothing else
    overdue_accounts(1)

    # when a command names a proposal or notice that does not exist
    error, plain = fails(capsys, *args)

    # then it is not_found, naming the key
    assert error["error"] == "not_found"
    assert error["key"] in plain and "not found" in plain
    assert Notice.objects.count() == 0
