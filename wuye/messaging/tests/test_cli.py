"""`wuye messages …` end to end through wuye.cli.main: JSON with ISO date-times, one-line
errors with exit code 2 (M5 broadcast, X1 refusal, send, list, review)."""

from __future__ import annotations

import json

import pytest

from wuye.cli import main
from wuye.messaging.models import Message
from wuye.messaging.tests.helpers import accounts_with_phones, notices_for


def wuye(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.django_db
def test_broadcast_send_list_and_review_from_the_command_line(capsys, gateway, monkeypatch):
    accounts_with_phones(2)
    monkeypatch.setenv("WUYE_SMS_URL", gateway.url)
    code, out, err = wuye(capsys, "messages", "broadcast", "--project", "HT", "--text",
                          "週六停車場清潔，請移車。", "--on", "2026-03-12", "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["messages_created"] == 2

    gateway.plan = ["200", "sleep"]
    gateway.sleep = 1.2
    monkeypatch.setenv("WUYE_SMS_TIMEOUT", "0.5")
    code, out, err = wuye(capsys, "messages", "send", "--now", "2026-03-12T10:00", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["sent"], data["unknown"], data["now"]) == (1, 1, "2026-03-12T10:00:00+08:00")

    code, out, err = wuye(capsys, "messages", "list", "--status", "unknown", "--json")
    (row,) = json.loads(out)["messages"]
    assert row["sent_at"] == "2026-03-12T02:00:00+00:00"
    code, out, err = wuye(capsys, "messages", "review", str(row["id"]), "--resolution",
                          "failed", "--json", "--user", "supervisor")  # fmt: skip
    assert code == 0, err
    assert (json.loads(out)["status"], json.loads(out)["reviewed_by"]) == ("failed", "supervisor")

    code, out, err = wuye(capsys, "messages", "list", "--project", "HT")
    assert code == 0 and "2 messages" in out


@pytest.mark.django_db
def test_enqueue_from_the_command_line_and_x1_refusal(capsys):
    accounts = accounts_with_phones()
    notices_for(accounts)
    assert Message.objects.get().status == "queued"  # R1: the run put it in the outbox
    code, out, err = wuye(capsys, "messages", "enqueue", "--as-of", "2026-03-12", "--json")
    assert (code, json.loads(out)["created"], json.loads(out)["existing"]) == (0, 0, 1), err
    assert Message.objects.count() == 1  # enqueuing again adds nothing (idempotency key)

    code, out, err = wuye(capsys, "messages", "broadcast", "--project", "HT", "--text",
                          "欠費者下月停水", "--on", "2026-03-12")  # fmt: skip
    assert (code, out, err.count("\n")) == (2, "", 1)
    assert "X1" in err
    code, out, err = wuye(capsys, "messages", "review", "999", "--resolution", "sent")
    assert code == 2 and "not found" in err
