"""`wuye legal …`: thin commands over the services, --json everywhere, errors as JSON."""

import json

import pytest

from wuye.cli import main


def run(capsys, *args: str, user: str = "fin-li", ok: bool = True) -> dict:
    code = main([*args, "--json", "--user", user])
    captured = capsys.readouterr()
    assert code == (0 if ok else 2), captured
    return json.loads(captured.out if ok else captured.err)


@pytest.mark.django_db
def test_batch_approve_send_and_refused_payment_order(vacant_units, capsys):
    """S1 batch → manager approval → letter sent with EMS tracking → X3: the payment
    order for an owner never reached is refused; the lawsuit is not."""
    project = vacant_units[0].project.code
    batch = run(capsys, "legal", "batch", "--project", project, "--as-of", "2026-04-10")
    assert (batch["amount"], len(batch["cases"])) == ("6100.00", 2)
    run(capsys, "approvals", "approve", batch["approval"], "--role", "manager", "--on",
        "2026-04-11", user="mgr-zhao")  # fmt: skip
    cases = run(capsys, "legal", "cases", "--stage", "letter_approved")["cases"]
    number = cases[0]["number"]
    sent = run(capsys, "legal", "advance", number, "--to", "letter_sent", "--on", "2026-04-12",
               "--tracking", "EA1CN", user="legal-wu")  # fmt: skip
    assert (sent["stage"], sent["letter_tracking"]) == ("letter_sent", "EA1CN")
    error = run(capsys, "legal", "payment-order", number, "--as-of", "2026-05-01", ok=False)
    assert error["error"] == "unserviceable"
    run(capsys, "legal", "advance", number, "--to", "lawsuit", "--on", "2026-05-01")
    shown = run(capsys, "legal", "show", number, "--as-of", "2026-05-01")
    assert shown["stage"] == "lawsuit" and shown["unserviceable"]
    assert shown["claim"]["principal"] in ("3100.00", "3000.00")
    assert run(capsys, "legal", "propose", "--as-of", "2026-05-01")["cases"] == []
