"""The shipped residential policy on the same engine (issue 5, first slice): R1 reminders
every 14 days on their own track beside the R2 calls (every 7 days, S2a), then the R3
posting when the calls had no result, then the R4 visit after the posting; and X1: no
policy or template can threaten to cut water, electricity, heating or gas."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from wuye.billing.models import Contract
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.dunning.models import DunningPolicy, DunningStep, Notice
from wuye.dunning.notices import record_posting
from wuye.dunning.services import run_dunning
from wuye.dunning.validation import utility_threats, validate_policy
from wuye.testing.factories import office_account

D = dt.date


def steps_issued(account) -> list[tuple[dt.date, str]]:
    return list(
        Notice.objects.filter(account=account)
        .order_by("issued_on", "step__position")
        .values_list("issued_on", "step__code")
    )


@pytest.mark.django_db
def test_an_occupied_unit_gets_reminders_calls_then_a_posting_and_a_visit():
    """R1 every 14 days; R2/S2a a call every 7 days; R3 posting at 30 days overdue once
    the calls brought no payment (7 days after the last); R4 visit 7 days after the
    posting was recorded and at 45 days; each track at most one step a day (E2)."""
    account = office_account(
        start=D(2026, 1, 1), segment=Contract.Segment.RESIDENTIAL, dunning_policy="",
        payment_term=Contract.Term.FIXED_DAY,
    )  # fmt: skip
    issue_bills_for_project(project=account.project, period=Period.parse("2026-03"),
                            on=D(2026, 3, 2), actor="fin")  # fmt: skip
    assert account.bills.get().due_date == D(2026, 3, 31)  # E1: end of the first month
    day = D(2026, 4, 1)
    while day <= D(2026, 5, 20):
        run_dunning(as_of=day, actor="fin")
        for posting in Notice.objects.filter(account=account, action="posting", status="issued"):
            record_posting(number=posting.number, on=day, place="3座2樓梯間", photo_ref="IMG_0420",
                           staff="cs-wang")  # fmt: skip
        day += dt.timedelta(days=1)
    assert steps_issued(account) == [
        (D(2026, 4, 1), "r1_reminder"),  # R1: 1 day overdue
        (D(2026, 4, 7), "r2_call"),  # R2: 7 days overdue
        (D(2026, 4, 14), "r2_call"),  # S2a: a call every 7 days
        (D(2026, 4, 15), "r1_reminder"),  # R1: every 14 days, on its own track
        (D(2026, 4, 21), "r2_call"),
        (D(2026, 4, 28), "r2_call"),
        (D(2026, 4, 29), "r1_reminder"),
        (D(2026, 5, 5), "r3_posting"),  # R3: ≥ 30 days, 7 days after the last call, unpaid
        (D(2026, 5, 13), "r1_reminder"),
        (D(2026, 5, 15), "r4_visit"),  # R4: 45 days overdue, ≥ 7 days after the posting
    ]
    posting = Notice.objects.get(account=account, action="posting")
    assert (posting.status, posting.posting_place, posting.photo_ref) == (
        "posted", "3座2樓梯間", "IMG_0420",
    )  # fmt: skip  # R3: when, where, by whom, the photo
    assert posting.contacts.get().channel == "posting"


@pytest.mark.django_db
def test_shipped_policies_pass_the_x1_check():
    """X1: every shipped policy's steps and templates are free of utility threats."""
    policies = DunningPolicy.objects.prefetch_related("steps")
    assert {p.code for p in policies} >= {
        "office", "residential", "vacant_investment", "shop_villa", "hardship",
    }  # fmt: skip
    for policy in policies:
        validate_policy(policy)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("action", "suspend_water"), ("action", "cut_electricity"),
     ("name", "欠費停水通知"), ("name", "暫停供電警告"), ("name", "停暖")],
)  # fmt: skip
def test_no_step_can_suspend_utilities(field, value):
    """X1 (《民法典》 art. 944): a step that would cut water, electricity, heating or gas
    is refused with a validation error."""
    policy = DunningPolicy.objects.get(code="residential")
    step = DunningStep(policy=policy, position=99, code="x", name="催收", action="call",
                       role="assistant")  # fmt: skip
    setattr(step, field, value)
    with pytest.raises(ValidationError) as refused:
        step.full_clean()
    assert field in refused.value.message_dict


@pytest.mark.django_db
def test_a_template_that_threatens_utilities_is_refused(settings, tmp_path):
    """X1: an administrator's template with such a threat cannot be used by a step."""
    (tmp_path / "threat.html").write_text("如不繳費，將暫停供水。", encoding="utf-8")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    step = DunningStep(policy=DunningPolicy.objects.get(code="office"), position=99, code="x",
                       name="催收", action="notice", role="assistant", template="threat.html")  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        step.full_clean()
    assert "X1" in refused.value.message_dict["template"][0]


def test_shipped_templates_contain_no_utility_threat():
    """X1: no file the project ships as a template threatens the four utilities."""
    root = Path(__file__).resolve().parents[2]
    files = [p for p in root.rglob("templates/**/*") if p.is_file()]
    assert files
    for path in files:
        assert utility_threats(path.read_text(encoding="utf-8")) == [], path
