"""Runs and payments at the same time on PostgreSQL (issue 8, Faults): the result equals
some serial order, with no lost update and no double allocation.

Each actor is a thread with its own database connection (Django's connections are per
thread; each is closed when its thread ends). To make them really overlap, a blocker
thread first takes a row lock the actors need (the project's run mark, the account, the
notice number sequence) and keeps it until every actor is seen waiting for a lock in
`pg_stat_activity`; then it lets go and they race. SQLite is left out: it has one writer
at a time (the runs' transactions are BEGIN IMMEDIATE), so nothing there can overlap.

Existing tests cover two dunning runs as two processes without a forced overlap
(wuye/dunning/tests/test_concurrent_runs.py) and two concurrent message senders
(wuye/messaging/tests/test_concurrent_senders.py); these force the overlap and add
payments.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from wuye.billing import numbers
from wuye.billing.delivery import handover_bills, record_delivery
from wuye.billing.models import Bill, NumberSequence
from wuye.billing.services import bill_number_key, issue_bills_for_project
from wuye.dates import Period
from wuye.dunning.models import DunningRun, Notice, RunMark
from wuye.dunning.services import run_dunning
from wuye.ledger import selectors as ledger_selectors
from wuye.ledger.models import Entry
from wuye.messaging.models import Message
from wuye.messaging.tests.helpers import RUN_DAY, accounts_with_phones
from wuye.payments.models import Payment
from wuye.payments.services import record_payment
from wuye.properties.models import Account

pytestmark = [
    pytest.mark.postgres_only(
        reason="overlapping writers need row locks; SQLite runs one writer at a time"
    ),
    # threads see only committed rows: transactional tests, the seeded rows (fee items,
    # policies) reloaded before each from the copy taken when the test database was made
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(scope="module", autouse=True)
def _no_leftovers(django_db_setup, django_db_blocker):
    """An earlier transactional test's flush ran the post-migrate handlers, which made the
    role groups again; the seeded copy holds them too, so empty the database first (once:
    the flush after a serialized-rollback test leaves the handlers out)."""
    if connection.vendor != "postgresql":
        return  # the tests are skipped there
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)


@pytest.fixture(autouse=True)
def _sequences_past_the_seeded_rows(_no_leftovers):
    """The reloaded rows keep their ids, the sequences do not follow: move them on."""
    if connection.vendor != "postgresql":
        return
    from django.apps import apps
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
            cursor.execute(sql)


D = dt.date
ZERO = Decimal("0.00")
# L1: 2,500.00 × 0.05% a day for 10, 11 and 12 March, whichever comes first, payment or run
LATE_FEE_ON_RUN_DAY = Decimal("3.75")
LIVE = (Notice.Status.ISSUED, Notice.Status.OPEN, Notice.Status.DELIVERED, Notice.Status.POSTED)


# --- threads, locks and barriers ----------------------------------------------------------


class Actors:
    """Threads that each run one function on their own connection; errors are kept."""

    def __init__(self):
        self.threads: list[threading.Thread] = []
        self.results: dict[str, object] = {}
        self.errors: dict[str, BaseException] = {}

    def start(self, name: str, fn) -> None:
        def run():
            try:
                self.results[name] = fn()
            except BaseException as error:  # reported by join, not lost in the thread
                self.errors[name] = error
            finally:
                connection.close()

        thread = threading.Thread(target=run, name=name, daemon=True)
        self.threads.append(thread)
        thread.start()

    def join(self, timeout: float = 120) -> None:
        for thread in self.threads:
            thread.join(timeout)
            assert not thread.is_alive(), f"{thread.name} hangs (a deadlock?)"
        assert not self.errors, self.errors

    def done(self, name: str) -> bool:
        return name in self.results or name in self.errors


@contextmanager
def holding(lock):
    """Run `lock()` in a transaction of a thread of its own and keep that transaction
    (and so the row locks it took) open until the block ends."""
    locked, release = threading.Event(), threading.Event()
    failed: list[BaseException] = []

    def hold():
        try:
            with transaction.atomic():
                lock()
                locked.set()
                release.wait(120)
        except BaseException as error:
            failed.append(error)
            locked.set()
        finally:
            connection.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert locked.wait(30) and not failed, failed
    try:
        yield
    finally:
        release.set()
        thread.join(30)


def lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def wait_for_waiters(count: int, actors: Actors | None = None, timeout: float = 60) -> None:
    """Until `count` backends wait for a lock: the actors are really inside, overlapping."""
    deadline = time.monotonic() + timeout
    while lock_waiters() < count:
        if actors is not None:
            assert not actors.errors, actors.errors
        assert time.monotonic() < deadline, f"{lock_waiters()} of {count} waiting"
        time.sleep(0.02)


# --- data -----------------------------------------------------------------------------------


def overdue_accounts(count: int) -> list[Account]:
    """Office accounts of HT with one March bill (2,500.00 each), signed for on 2 March and
    due on 9 March, and a one-step SMS policy due 3 days after (E1, E2, R1); a dunning
    run on RUN_DAY (12 March) issues one SMS notice per account."""
    accounts = accounts_with_phones(count, action="sms")
    issue_bills_for_project(
        project=accounts[0].project, period=Period.parse("2026-03"), on=D(2026, 3, 2), actor="fin"
    )
    handover_bills(on=D(2026, 3, 2), signed_by="cs", actor="cs")
    for account in accounts:
        record_delivery(number=account.bills.get().number, on=D(2026, 3, 2), staff="cs",
                        signed_by="張三", relation="行政經理")  # fmt: skip
    RunMark.objects.get_or_create(project=accounts[0].project)  # committed: the blocker locks it
    return accounts


def balance(account: Account) -> Decimal:
    return Entry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or ZERO


def assert_notices_once_and_gapless() -> None:
    """E2: one notice per account, step and occurrence; numbers 1…n per project and year."""
    keys = list(
        Notice.objects.filter(replaces__isnull=True)
        .exclude(status=Notice.Status.CANCELLED)
        .values_list("episode_id", "level", "occurrence")
    )
    assert len(keys) == len(set(keys))
    for sequence in NumberSequence.objects.filter(key__startswith="notice:"):
        _, project, year = sequence.key.split(":")
        found = sorted(
            int(n.rpartition("-")[2])
            for n in Notice.objects.filter(number__startswith=f"{project}-N{year}-").values_list(
                "number", flat=True
            )
        )
        assert found == list(range(1, sequence.last + 1)), sequence.key
    messages = list(Message.objects.exclude(notice=None).values_list("notice_id", flat=True))
    assert len(messages) == len(set(messages))  # one outbox message per notice (R1)


def assert_payment_booked_by_p1(payments: list[Payment], charged: Decimal) -> None:
    """P1: every payment is booked in full; together they pay at most what was charged
    (no bill line below zero) and the rest is credit; in receipt order, the first paid
    as much of the debt as it could (a serial order: first receipt first)."""
    receipts = sorted(p.receipt_number for p in payments)
    assert len(set(receipts)) == len(payments)
    seqs = sorted(int(r.rpartition("-")[2]) for r in receipts)
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # consecutive: no gap, no repeat
    open_debt = charged
    for payment in sorted(payments, key=lambda p: p.receipt_number):
        entries = Entry.objects.filter(payment=payment, kind=Entry.Kind.PAYMENT)
        assert entries.aggregate(s=Sum("amount"))["s"] == -payment.amount
        allocated = -(
            entries.filter(bill_line__isnull=False).aggregate(s=Sum("amount"))["s"] or ZERO
        )
        assert allocated == min(payment.amount, open_debt), payment.receipt_number
        open_debt -= allocated
    assert_no_line_overpaid()


def assert_paid_up(account: Account) -> None:
    """P1: an account whose balance is zero owes nothing on any bill line and holds no
    credit: a payment's credit is never left beside a debt it should have paid."""
    open_lines = (
        Entry.objects.filter(account=account, bill_line__isnull=False)
        .values("bill_line", "component")
        .annotate(s=Sum("amount"))
        .exclude(s=0)
    )
    assert not open_lines.exists(), list(open_lines)


def assert_no_line_overpaid() -> None:
    """P1: no bill line (principal or late fee) is paid below zero: nothing allocated twice."""
    for row in (
        Entry.objects.filter(bill_line__isnull=False)
        .values("bill_line", "component")
        .annotate(s=Sum("amount"))
    ):
        assert row["s"] >= 0, row  # no line paid twice (no double allocation)


# --- the tests --------------------------------------------------------------------------------


def test_two_dunning_runs_forced_to_overlap_issue_each_notice_once():
    """E2, R1: two runs for the same day start while the project's run mark is locked, so
    both are inside at once; one issues every notice, the other none, numbers gapless,
    one message per notice."""
    accounts = overdue_accounts(4)
    actors = Actors()
    with holding(lambda: list(RunMark.objects.select_for_update())):
        actors.start("first", lambda: run_dunning(as_of=RUN_DAY, actor="a").notices_created)
        actors.start("second", lambda: run_dunning(as_of=RUN_DAY, actor="b").notices_created)
        wait_for_waiters(2, actors)
    actors.join()
    assert sorted(actors.results.values()) == [0, len(accounts)]
    assert Notice.objects.count() == len(accounts)
    assert Message.objects.count() == len(accounts)
    assert DunningRun.objects.filter(status=DunningRun.Status.EXECUTED).count() == 2
    assert_notices_once_and_gapless()


def test_two_payments_for_one_account_at_once_equal_a_serial_order():
    """P1: two payments (1,500.00 and 1,800.00) for one account with a 2,500.00 bill are
    entered at the same moment; the result is the serial one: the first receipt pays
    1,500.00 of the bill, the second the remaining 1,000.00 and leaves 800.00 credit;
    no lost update, no double allocation, consecutive receipt numbers."""
    (account,) = overdue_accounts(1)
    charged = Bill.objects.get(account=account).total
    assert charged == Decimal("2500.00")
    actors = Actors()
    with holding(lambda: Account.objects.select_for_update().get(pk=account.pk)):
        for name, amount in (("a", "1500.00"), ("b", "1800.00")):
            actors.start(
                name,
                lambda amount=amount: record_payment(
                    account=account, amount=Decimal(amount), on=D(2026, 3, 5), actor="cashier"
                ),
            )
        wait_for_waiters(2, actors)
    actors.join()
    payments = list(Payment.objects.filter(account=account))
    assert len(payments) == 2
    assert_payment_booked_by_p1(payments, charged)
    assert balance(account) == charged - Decimal("3300.00")


def test_many_payments_for_one_account_at_once_never_over_allocate():
    """P1 under a crowd: six payments of 600.00 against 2,500.00 at once: 2,500.00 is
    paid, 1,100.00 is credit, each receipt number once."""
    (account,) = overdue_accounts(1)
    charged = Bill.objects.get(account=account).total
    actors = Actors()
    with holding(lambda: Account.objects.select_for_update().get(pk=account.pk)):
        for n in range(6):
            actors.start(
                f"p{n}",
                lambda: record_payment(
                    account=account, amount=Decimal("600.00"), on=D(2026, 3, 5), actor="cashier"
                ),
            )
        wait_for_waiters(6, actors)
    actors.join()
    payments = list(Payment.objects.filter(account=account))
    assert len(payments) == 6
    assert_payment_booked_by_p1(payments, charged)
    assert balance(account) == charged - Decimal("3600.00")


def test_a_payment_during_a_dunning_run_leaves_no_live_notice_for_a_paid_debt():
    """F1, E2: the run has decided who gets a notice and waits for the notice numbers
    (held by the blocker) when a payment settles one of those accounts in full. Serially,
    either the payment comes first (no notice) or the run does (the notice, then cancelled
    by F1 as paid before delivery); never a live notice for a debt already paid."""
    accounts = overdue_accounts(3)
    payer = accounts[0]
    charged = Bill.objects.get(account=payer).total
    due = charged + LATE_FEE_ON_RUN_DAY
    key = f"notice:HT:{RUN_DAY.year}"
    with transaction.atomic():
        numbers.reserve(key, 0)  # the counter row exists (committed), for the blocker
    actors = Actors()
    with holding(lambda: NumberSequence.objects.select_for_update().get(key=key)):
        actors.start("run", lambda: run_dunning(as_of=RUN_DAY, actor="fin").notices_created)
        wait_for_waiters(1, actors)  # decided, now waiting for its notice numbers
        actors.start(
            "payment",
            lambda: record_payment(account=payer, amount=due, on=RUN_DAY, actor="cashier"),
        )
        deadline = time.monotonic() + 10  # the payment may pass, or wait for the run
        while not actors.done("payment") and lock_waiters() < 2:
            assert time.monotonic() < deadline, "the payment neither finished nor waits"
            time.sleep(0.02)
    actors.join()
    assert balance(payer) == ZERO
    assert_paid_up(payer)
    live = Notice.objects.filter(account=payer, status__in=LIVE)
    assert not live.exists(), [(n.number, n.status, n.total) for n in live]
    for other in accounts[1:]:  # the others are dunned once
        assert Notice.objects.filter(account=other, status__in=LIVE).count() == 1
    assert_notices_once_and_gapless()


def test_a_payment_and_a_run_started_together_end_as_a_serial_order():
    """F1, E2, P1: a payment in full and the run start at the same moment (both wait on
    the payer's account lock); whichever wins, the payer has no live notice, the others
    one each, and the payment is booked in full."""
    accounts = overdue_accounts(3)
    payer = accounts[0]
    charged = Bill.objects.get(account=payer).total
    due = charged + LATE_FEE_ON_RUN_DAY
    actors = Actors()
    with holding(lambda: Account.objects.select_for_update().get(pk=payer.pk)):
        actors.start("run", lambda: run_dunning(as_of=RUN_DAY, actor="fin").notices_created)
        actors.start(
            "payment",
            lambda: record_payment(account=payer, amount=due, on=RUN_DAY, actor="cashier"),
        )
        wait_for_waiters(1, actors)  # the payment waits; the run goes on or waits too
    actors.join()
    assert balance(payer) == ZERO
    assert_paid_up(payer)
    assert not Notice.objects.filter(account=payer, status__in=LIVE).exists()
    for other in accounts[1:]:
        assert Notice.objects.filter(account=other, status__in=LIVE).count() == 1
    (payment,) = Payment.objects.filter(account=payer)
    booked = Entry.objects.filter(payment=payment, kind=Entry.Kind.PAYMENT)
    assert booked.aggregate(s=Sum("amount"))["s"] == -due
    assert_no_line_overpaid()
    assert_notices_once_and_gapless()


def assert_no_credit_beside_debt(account: Account) -> None:
    """P1: credit (預收款) never sits unused while the same account owes on a bill."""
    credit = ledger_selectors.unallocated([account.pk], credit_only=True).get(account.pk, ZERO)
    debts = ledger_selectors.open_debts([account.pk]).get(account.pk, [])
    assert credit == ZERO or not debts, (credit, debts)


def test_a_payment_during_a_bill_run_is_applied_as_in_a_serial_order():
    """P1, issue 2: the April bill run has computed its bills and waits for its bill
    numbers (held by the blocker) when the client pays March and 1,000.00 ahead. Serially,
    either the payment leaves 1,000.00 credit that the bill run applies to April, or the
    run issues April first and the payment pays both; never credit beside an open bill."""
    (account,) = overdue_accounts(1)
    project = account.project
    april = Period.parse("2026-04")
    key = bill_number_key(project, april)
    with transaction.atomic():
        numbers.reserve(key, 0)  # the counter row exists (committed), for the blocker
    actors = Actors()
    with holding(lambda: NumberSequence.objects.select_for_update().get(key=key)):
        actors.start(
            "bill run",
            lambda: (
                issue_bills_for_project(
                    project=project, period=april, on=D(2026, 3, 5), actor="fin"
                ).created
            ),
        )
        wait_for_waiters(1, actors)  # computed, now waiting for its numbers
        actors.start(
            "payment",
            lambda: record_payment(
                account=account, amount=Decimal("3500.00"), on=D(2026, 3, 5), actor="cashier"
            ),
        )
        deadline = time.monotonic() + 10  # the payment may pass, or wait for the run
        while not actors.done("payment") and lock_waiters() < 2:
            assert time.monotonic() < deadline, "the payment neither finished nor waits"
            time.sleep(0.02)
    actors.join()
    assert actors.results["bill run"] == 1
    assert Bill.objects.filter(account=account).count() == 2
    assert balance(account) == Decimal("5000.00") - Decimal("3500.00")
    assert_no_credit_beside_debt(account)
    assert_no_line_overpaid()
