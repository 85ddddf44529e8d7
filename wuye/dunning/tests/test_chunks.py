"""Issue 7 (memory bounded at a million units): the dunning run reads the accounts in
arrears in chunks of customers, reconciles the pending notices (F1) in chunks and writes
proposal lines and notices in slices. With every chunk of one, a run gives exactly what
one chunk gives: the same late fees, notices (numbers, amounts, levels, occurrences,
lines), cancellations and reissues, contacts, proposal lines and episodes (E2)."""

import datetime as dt

import pytest
from django.db import transaction

from wuye.demo.services import make_demo_data
from wuye.dunning import services
from wuye.dunning.models import Contact, Episode, Notice, NoticeLine, ProposalLine
from wuye.dunning.services import run_dunning
from wuye.ledger.models import Entry
from wuye.money import money
from wuye.payments.services import record_payment

ON = dt.date(2026, 6, 15)


@pytest.fixture
def history(db):
    make_demo_data(
        units=200, seed=1, on=ON, actor="demo",
        history_from=dt.date(2026, 3, 1), history_until=ON,
    )  # fmt: skip
    for weeks in (3, 2, 1):
        run_dunning(as_of=ON - dt.timedelta(weeks=weeks), actor="demo")
    # F1 in the run: notices not yet delivered, paid in full or in part since, whose
    # reconciliation was left to the run (payments reconcile at once otherwise)
    pending = list(Notice.objects.filter(status=Notice.Status.ISSUED).order_by("pk")[:8])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("wuye.payments.services.debts_changed", lambda *args, **kwargs: None)
        for n, notice in enumerate(pending):
            amount = money(notice.total * 3 if n % 2 else notice.total / 2)  # 3×: fees since
            record_payment(account=notice.account, amount=amount, on=ON - dt.timedelta(days=1),
                           actor="cashier")  # fmt: skip


def outcome() -> dict:
    """What the run on ON wrote or changed, by natural keys (ids differ between runs)."""
    return {
        "late fees": sorted(
            Entry.objects.filter(kind=Entry.Kind.LATE_FEE, entry_date=ON).values_list(
                "bill__number", "fee_item__code", "amount"
            )
        ),
        "notices": sorted(
            Notice.objects.filter(issued_on=ON).values_list(
                "number",
                "account__code",
                "customer_id",
                "step__position",
                "level",
                "occurrence",
                "action",
                "status",
                "principal",
                "late_fee",
                "total",
                "pay_by",
                "replaces__number",
                "settled_on",
            )
        ),
        "ended": sorted(
            Notice.objects.filter(ended_on=ON).values_list("number", "status", "end_reason")
        ),
        "lines": sorted(
            NoticeLine.objects.filter(notice__issued_on=ON).values_list(
                "notice__number", "bill__number", "fee_item__code", "principal", "late_fee"
            )
        ),
        "contacts": sorted(
            Contact.objects.filter(on=ON).values_list("notice__number", "result", "note")
        ),
        "proposal": sorted(
            ProposalLine.objects.filter(run__as_of=ON).values_list(
                "account__code", "step__position", "arrears", "oldest_due", "excluded", "outcome"
            )
        ),
        "episodes": sorted(
            Episode.objects.filter(opened_on=ON).values_list(
                "project_id", "customer_id", "account__code", "oldest_due"
            )
        )
        + sorted(Episode.objects.filter(closed_on=ON).values_list("project_id", "customer_id")),
    }


def test_a_run_in_chunks_of_one_writes_what_one_chunk_writes(history, monkeypatch):
    with transaction.atomic():
        run_dunning(as_of=ON, actor="fin")
        whole = outcome()
        transaction.set_rollback(True)
    assert outcome()["notices"] == []  # rolled back
    monkeypatch.setattr(services, "ARREARS_CHUNK", 1)
    monkeypatch.setattr(services, "ISSUE_CHUNK", 1)
    monkeypatch.setattr(services, "RECONCILE_CHUNK", 1)
    run_dunning(as_of=ON, actor="fin")
    chunked = outcome()
    # the day has a bit of everything, or the comparison proves little
    assert len(whole["notices"]) > 10 and whole["late fees"] and whole["proposal"]
    results = {result for _, result, _ in whole["contacts"]}  # F1 cancelled and reissued
    assert {Contact.Result.CANCELLED, Contact.Result.VOIDED} <= results
    for part in whole:
        assert chunked[part] == whole[part], part
