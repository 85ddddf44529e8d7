"""`wuye late-fees run` (rule L1): JSON with amounts as strings, idempotent, errors."""

import json

import pytest

from wuye.cli import main
from wuye.ledger.tests.test_late_fees import _overdue_office_bill


@pytest.mark.django_db
def test_late_fees_run_prints_json_and_a_rerun_posts_nothing(capsys):
    account, _bill = _overdue_office_bill()
    args = ["late-fees", "run", "--as-of", "2026-03-19", "--project", account.project.code]
    assert main([*args, "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["dry_run"] is True and dry["projects"][0]["posted"] == "12.50"
    assert main([*args, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)["projects"][0]
    assert first["posted"] == "12.50" and first["entries"] == 1
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["projects"][0]["entries"] == 0


@pytest.mark.django_db
def test_late_fees_run_for_an_unknown_project_is_one_line_exit_2(capsys):
    assert main(["late-fees", "run", "--as-of", "2026-03-19", "--project", "NOPE"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "NOPE" in captured.err
