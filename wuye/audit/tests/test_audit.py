"""The append-only audit log (issue 8; RULES.md "Who may do what": "change policies,
templates, fee items, calendars, users | administrator (every change audited)")."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from wuye.audit import triggers
from wuye.audit.check import check
from wuye.audit.context import acting_as
from wuye.audit.models import AppendOnly, AuditEvent
from wuye.audit.services import seal
from wuye.cli import main
from wuye.ledger.late_fee_run import run_late_fees
from wuye.ledger.models import Entry
from wuye.payments.services import record_payment
from wuye.policies.models import PolicySetting
from wuye.properties.models import Project
from wuye.testing.factories import ProjectFactory, office_account, staff
from wuye.web.models import Membership

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 10, 31)
POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def ledger():
    """A small ledger written by the real services: history of bills and payments, then
    a late-fee run and one more payment."""
    from wuye.demo.services import make_demo_data

    make_demo_data(
        units=30, seed=5, on=ON, actor="demo",
        history_from=dt.date(2026, 8, 1), history_until=ON,
    )  # fmt: skip
    for project in Project.objects.all():
        run_late_fees(project=project, as_of=ON, actor="finance")
    account = Entry.objects.order_by("id").first().account
    record_payment(account=account, amount=Decimal("12.34"), on=ON, actor="collector")
    return Entry.objects.count()


def refused(sql: str, params=None):
    with pytest.raises(IntegrityError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)


@contextlib.contextmanager
def triggers_off(*names: str):
    """Bypass the database's protection as a database owner could: PostgreSQL stops
    firing triggers for the session; on SQLite the named triggers are dropped, then
    created again."""
    with connection.cursor() as cursor:
        if POSTGRES:
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            for name in names:
                cursor.execute(f"DROP TRIGGER {name}")
        try:
            yield cursor
        finally:
            if POSTGRES:
                cursor.execute("SET LOCAL session_replication_role = origin")
            else:
                triggers.install(connection)


def ledger_event_of(entry_id: int) -> AuditEvent:
    for event in AuditEvent.objects.filter(table="ledger_entry"):
        if event.after["first_id"] <= entry_id <= event.after["last_id"]:
            return event
    raise AssertionError(f"no audit event covers entry {entry_id}")


# --- append-only ---------------------------------------------------------------------


def test_ledger_rows_cannot_be_updated_or_deleted_even_with_raw_sql(ledger):
    entry = Entry.objects.order_by("id").first()
    refused("UPDATE ledger_entry SET amount = amount + 1 WHERE id = %s", [entry.id])
    refused("DELETE FROM ledger_entry WHERE id = %s", [entry.id])
    refused("UPDATE ledger_entry SET reason = 'x'")
    assert Entry.objects.get(id=entry.id).amount == entry.amount


def test_audit_rows_cannot_be_changed_or_deleted_even_with_raw_sql(ledger):
    seal()
    event = AuditEvent.objects.order_by("id").first()
    refused("UPDATE audit_auditevent SET actor = 'someone' WHERE id = %s", [event.id])
    refused("UPDATE audit_auditevent SET seq = NULL, chain = '' WHERE id = %s", [event.id])
    refused("DELETE FROM audit_auditevent WHERE id = %s", [event.id])
    refused("DELETE FROM audit_auditevent")


def test_an_unsealed_event_can_only_be_sealed_not_edited():
    with acting_as("admin"):
        PolicySetting.objects.create(key="late_fee_rate", value="0.0004", changed_by="admin",
                                     changed_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC))  # fmt: skip
    event = AuditEvent.objects.get(table="policies_policysetting")
    assert event.seq is None
    refused(
        "UPDATE audit_auditevent SET seq = 999, chain = 'x', actor = 'other' WHERE id = %s",
        [event.id],
    )
    seal()
    event.refresh_from_db()
    assert event.seq is not None and len(event.chain) == 64


def test_the_application_cannot_change_or_delete_an_event():
    event = AuditEvent.objects.create(at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC), actor="a",
                                      action="create", table="t")  # fmt: skip
    event.actor = "b"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(id=event.id).update(actor="b")
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(id=event.id).delete()


def test_the_admin_shows_the_log_read_only(client):
    admin = User.objects.create_superuser("root", password="root")
    client.force_login(admin)
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    event = AuditEvent.objects.order_by("-id").first()  # the superuser's creation
    page = client.get(f"/admin/audit/auditevent/{event.id}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert (
        client.post(f"/admin/audit/auditevent/{event.id}/delete/", {"post": "yes"}).status_code
        == 403
    )


# --- money: the ledger against the log ------------------------------------------------


def test_check_passes_on_a_ledger_written_by_the_services(ledger):
    kinds = set(Entry.objects.values_list("kind", flat=True))
    assert {"charge", "payment", "late_fee"} <= kinds
    result = check()
    assert result.problems == []
    assert result.entries == ledger and result.audited_inserts > 0
    assert result.unsealed == 0 and result.events == AuditEvent.objects.count()
    if POSTGRES:  # one event per statement, not per row
        assert result.audited_inserts < ledger / 5


def test_check_names_entries_whose_insert_audit_was_deleted(ledger):
    entry = Entry.objects.filter(kind="late_fee").order_by("id").first()
    event = ledger_event_of(entry.id)
    with triggers_off("wuye_audit_no_delete") as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.id])
    result = check()
    assert not result.ok
    assert any(f"no audited insert: entry {event.after['first_id']}" in p for p in result.problems)


def test_check_names_an_entry_changed_past_the_triggers(ledger):
    entry = Entry.objects.filter(kind="payment").order_by("id").first()
    with triggers_off("wuye_ledger_no_update") as cursor:
        cursor.execute("UPDATE ledger_entry SET account_id = account_id + 1 WHERE id = %s",
                       [entry.id])  # fmt: skip
    problems = check().problems
    assert len(problems) == 1
    assert (
        f"entry {entry.id}" in problems[0]
        or f"entries {ledger_event_of(entry.id).after['first_id']}" in problems[0]
    )


def test_check_finds_a_deleted_entry_and_an_amount_changed(ledger):
    first, second = Entry.objects.filter(kind="charge").order_by("id")[:2]
    with triggers_off("wuye_ledger_no_update", "wuye_ledger_no_delete") as cursor:
        cursor.execute("DELETE FROM ledger_entry WHERE id = %s", [first.id])
        cursor.execute("UPDATE ledger_entry SET amount = amount + 1 WHERE id = %s", [second.id])
    problems = " | ".join(check().problems)
    assert "rows audited" in problems and "audited," in problems


def test_an_entry_inserted_without_audit_is_named(ledger):
    entry = Entry.objects.order_by("-id").first()
    with triggers_off("wuye_audit_ledger_insert") as cursor:
        cursor.execute(
            """INSERT INTO ledger_entry (account_id, kind, component, amount, entry_date,
              value_date, actor, created_at, reason)
            VALUES (%s, 'payment', '', -5, %s, %s, 'intruder', %s, '')""",
            [entry.account_id, ON, ON, dt.datetime(2026, 10, 31, tzinfo=dt.UTC)],
        )
    sneaked = Entry.objects.order_by("-id").first()
    assert sneaked.id > entry.id
    assert check().problems == [f"1 ledger entries have no audited insert: entry {sneaked.id}"]


def test_check_finds_a_changed_and_a_deleted_audit_event(ledger):
    seal()
    a, b = AuditEvent.objects.order_by("seq")[3:5]
    with triggers_off("wuye_audit_seal_only", "wuye_audit_no_delete") as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor = 'someone else' WHERE id = %s", [a.id])
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s AND table_name <> 'ledger_entry'",
                       [b.id])  # fmt: skip
    problems = check().problems
    assert f"audit event {a.id} (seq {a.seq}) was changed: its hash does not match" in problems
    if b.table != "ledger_entry":
        assert any(f"seq {b.seq}..{b.seq} are gone" in p for p in problems)


def test_check_reports_a_missing_trigger():
    with connection.cursor() as cursor:
        if POSTGRES:
            cursor.execute("ALTER TABLE ledger_entry DISABLE TRIGGER wuye_ledger_append_only")
        else:
            cursor.execute("DROP TRIGGER wuye_ledger_no_update")
    problems = check().problems
    name = "wuye_ledger_append_only" if POSTGRES else "wuye_ledger_no_update"
    assert problems == [f"trigger missing or disabled: ledger_entry: {name}"]


def test_wuye_audit_check_exits_non_zero_naming_what_differs(ledger, capsys):
    assert main(["audit", "check"]) == 0
    assert "audit check: OK" in capsys.readouterr().out
    entry = Entry.objects.filter(kind="charge").order_by("-id").first()
    event = ledger_event_of(entry.id)
    with triggers_off("wuye_audit_no_delete") as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.id])
    assert main(["audit", "check"]) == 1
    out = capsys.readouterr().out
    assert "DIFFERS:" in out and f"entry {event.after['first_id']}" in out
    assert main(["audit", "log", "--table", "ledger_entry", "--limit", "3"]) == 0
    assert "ledger_entry" in capsys.readouterr().out


# --- configuration: policies, memberships, users ---------------------------------------


def test_a_policy_change_in_the_admin_records_before_after_and_who(client):
    admin = User.objects.create_superuser("admin1", password="x")
    setting = PolicySetting.objects.create(
        key="late_fee_rate", value="0.0005", changed_by="seed",
        changed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    client.force_login(admin)
    response = client.post(
        f"/admin/policies/policysetting/{setting.id}/change/",
        {"key": "late_fee_rate", "project": "", "segment": "", "value": "0.0003"},
    )
    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.filter(table="policies_policysetting", action="update").get()
    assert event.actor == "admin1"
    assert (event.before["value"], event.after["value"]) == ("0.0005", "0.0003")
    assert event.after["changed_by"] == "admin1"
    assert event.seq is not None  # sealed at the end of the request
    assert check().problems == []


def test_a_policy_change_by_a_service_records_the_actor():
    with acting_as("finance-lead"):
        setting = PolicySetting.objects.create(
            key="late_fee_rate", value="0.0005", changed_by="finance-lead",
            changed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )  # fmt: skip
        setting.value = "0.0004"
        setting.save()
        setting.save()  # nothing changed: no event
    created, updated = AuditEvent.objects.filter(table="policies_policysetting").order_by("id")
    assert (created.action, created.before, created.after["value"]) == ("create", None, "0.0005")
    assert (updated.action, updated.actor) == ("update", "finance-lead")
    assert (updated.before["value"], updated.after["value"]) == ("0.0005", "0.0004")
    setting.delete()
    deleted = AuditEvent.objects.filter(table="policies_policysetting").order_by("-id").first()
    assert (deleted.action, deleted.actor, deleted.before["value"]) == (
        "delete",
        "system",
        "0.0004",
    )


def test_a_membership_change_is_audited():
    project = ProjectFactory()
    with acting_as("administrator"):
        user = staff("clerk", "assistant", project)
        membership = Membership.objects.get(user=user)
        membership.role = "collector"
        membership.save()
    events = AuditEvent.objects.filter(table="web_membership").order_by("id")
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].before["role"] == "assistant" and events[1].after["role"] == "collector"
    assert {e.actor for e in events} == {"administrator"}


def test_users_groups_and_permissions_are_audited_without_password_hashes():
    with acting_as("administrator"):
        user = User.objects.create_user("newbie", password="secret-1")
        group = Group.objects.create(name="audit-test")
        user.groups.add(group)
        user.set_password("secret-2")
        user.save()
        user.groups.remove(group)
    events = list(AuditEvent.objects.filter(actor="administrator").order_by("id"))
    text = repr([(e.before, e.after) for e in events])
    assert "pbkdf2" not in text and "secret" not in text
    created = next(e for e in events if e.table == "auth_user" and e.action == "create")
    assert created.after["username"] == "newbie" and created.after["password"] == "(set)"
    changed = next(e for e in events if e.table == "auth_user" and e.action == "update")
    assert changed.after["password"] == "(changed)"
    grants = [(e.action, e.after) for e in events if e.table == "auth_user_groups"]
    assert grants == [
        ("grant", {"user": "newbie", "groups": ["audit-test"]}),
        ("revoke", {"user": "newbie", "groups": ["audit-test"]}),
    ]


def test_a_login_is_not_a_configuration_change(client):
    User.objects.create_user("someone", password="pw")
    before = AuditEvent.objects.count()
    assert client.login(username="someone", password="pw")
    assert AuditEvent.objects.count() == before


# --- the test suite's reset still works -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_protected_tables_and_protection_stays_on():
    account = office_account()
    record_payment(account=account, amount=Decimal("10.00"), on=ON, actor="collector")
    assert Entry.objects.exists() and AuditEvent.objects.exists()
    refused("DELETE FROM ledger_entry")
    if POSTGRES:  # TRUNCATE too, but for the flush (committed rows: no pending FK checks)
        refused("TRUNCATE ledger_entry CASCADE")
        refused("TRUNCATE audit_auditevent")
    call_command("flush", interactive=False, verbosity=0)
    assert not Entry.objects.exists()
    assert not AuditEvent.objects.filter(table="ledger_entry").exists()
    assert AuditEvent.objects.exists()  # the roles' permissions, granted again after the flush
    refused("DELETE FROM audit_auditevent")
    with connection.cursor() as cursor:
        if POSTGRES:
            cursor.execute("SELECT current_setting('wuye.allow_flush', true)")
            assert cursor.fetchone()[0] in (None, "", "off")
        else:
            cursor.execute("SELECT open FROM audit_guard")
            assert cursor.fetchone()[0] == 0


def test_entries_from_before_the_audit_are_covered_by_the_migrations_baseline(ledger):
    """A database that had a ledger before migration audit 0001: one baseline event."""
    import importlib

    migration = importlib.import_module("wuye.audit.migrations.0001_initial")
    with triggers_off("wuye_audit_no_delete") as cursor:  # as if never audited
        cursor.execute("DELETE FROM audit_auditevent WHERE table_name = 'ledger_entry'")
    assert "no audited insert" in " ".join(check().problems)
    with connection.cursor() as cursor:
        migration.baseline(cursor, connection.vendor)
    event = AuditEvent.objects.get(action="baseline")
    assert event.after["rows"] == ledger
    assert check().problems == []
