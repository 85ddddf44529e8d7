"""M4: arrears recovered per collector and the collection bonus (回款獎勵); the two
collection rates of RULES.md defaults (收繳率, 清欠率); the commands. See scenario.py."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from wuye.cli import main
from wuye.dates import Period
from wuye.errors import WuyeError
from wuye.policies.models import PolicySetting
from wuye.reports.bonus import bonus_for, parse_tiers
from wuye.reports.selectors import collection_rate, get_project, recovery_by_collector
from wuye.reports.tests.scenario import three_accounts

D = dt.date
FEB, MAR_END = D(2026, 2, 1), D(2026, 3, 31)


def _by_collector(result) -> dict:
    return {r.collector: (r.accounts, r.recovered, r.bonus) for r in result["collectors"]}


@pytest.mark.django_db
def test_recovery_counts_only_payments_of_overdue_debts_per_collector_on_the_day():
    """M4: given C's 2,500.00 paid on 1 Feb after its bill fell due (collector 王五), A's
    1,000.00 paid on 20 March (李四 from 1 March) and B's payments before due dates; when
    recovery is reported for February–March; then 王五 recovered 2,500.00 and 李四
    1,000.00, B's on-time payments count for nobody, and the default bonus is 2%."""
    three_accounts()

    result = recovery_by_collector(project=get_project("HT"), start=FEB, until=MAR_END)

    assert _by_collector(result) == {
        "李四": (1, Decimal("1000.00"), Decimal("20.00")),
        "王五": (1, Decimal("2500.00"), Decimal("50.00")),
    }
    assert (result["recovered"], result["bonus"]) == (Decimal("3500.00"), Decimal("70.00"))


@pytest.mark.django_db
def test_bonus_tiers_from_policy_replace_the_flat_rate():
    """M4: given collection_bonus_tiers 0:0.01,2000:0.03 for the project; then 王五's
    2,500.00 earns 2,000 × 1% + 500 × 3% = 35.00 and 李四's 1,000.00 earns 10.00."""
    s = three_accounts()
    PolicySetting.objects.create(
        key="collection_bonus_tiers",
        project=s.a.project,
        value="0:0.01,2000:0.03",
        changed_by="mgr",
        changed_at=timezone.now(),
    )

    result = recovery_by_collector(project=get_project("HT"), start=FEB, until=MAR_END)

    assert {k: v[2] for k, v in _by_collector(result).items()} == {
        "李四": Decimal("10.00"),
        "王五": Decimal("35.00"),
    }


def test_bonus_rule_is_pure_and_refuses_a_malformed_tier_list():
    """M4: tiers are marginal; nothing on a negative recovery; bad tiers name the policy."""
    tiers = parse_tiers("0:0.01, 50000:0.02,100000:0.03")
    # 50,000 × 1% + 50,000 × 2% + 20,000 × 3%
    assert bonus_for(Decimal("120000.00"), rate=Decimal("0.02"), tiers=tiers) == Decimal("2100.00")
    assert bonus_for(Decimal("-5.00"), rate=Decimal("0.02"), tiers=[]) == Decimal("0.00")
    assert bonus_for(Decimal("333.33"), rate=Decimal("0.015"), tiers=[]) == Decimal("5.00")
    for bad in ("100:0.01", "0:0.01,0:0.02", "0:x", "0:2"):
        with pytest.raises(WuyeError) as error:
            parse_tiers(bad)
        assert error.value.message.startswith("collection_bonus_tiers:")


@pytest.mark.django_db
def test_collection_rates_of_february():
    """Defaults (收繳率, 清欠率): given February bills of 2,800 + 2,800 + 2,500 = 8,100.00
    of which B paid 2,800.00 in February, and January arrears of 5,300.00 (A 2,800, C
    2,500) on 1 Feb of which C paid 2,500.00 on 1 Feb; then the current-period rate is
    2,800 ÷ 8,100 = 34.57% and the arrears recovery rate 2,500 ÷ 5,300 = 47.17%."""
    three_accounts()

    rate = collection_rate(project=get_project("HT"), period=Period.parse("2026-02"))

    assert rate["billed"] == Decimal("8100.00")
    assert rate["collected"] == Decimal("2800.00")
    assert rate["current_rate"] == Decimal("34.57")
    assert rate["arrears_at_start"] == Decimal("5300.00")
    assert rate["arrears_collected"] == Decimal("2500.00")
    assert rate["recovery_rate"] == Decimal("47.17")


def _json(capsys, *args: str):
    code = main([*args, "--json", "--user", "fin"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


@pytest.mark.django_db
def test_report_commands_print_json_with_amounts_as_strings(capsys, tmp_path):
    """M4: `wuye reports recovery|collection-rate|arrears` and `wuye collectors assign`
    with --json; a bad date names its field and exits 2."""
    s = three_accounts()

    recovery = _json(capsys, "reports", "recovery", "--project", "HT", "--from", "2026-02-01",
                     "--until", "2026-03-31")  # fmt: skip
    rate = _json(capsys, "reports", "collection-rate", "--project", "HT", "--month", "2026-02")
    listing = _json(capsys, "reports", "arrears", "--project", "HT", "--as-of", "2026-03-15",
                    "--out", str(tmp_path / "l.csv"))  # fmt: skip
    assigned = _json(capsys, "collectors", "assign", "--unit", s.c.unit.code, "--collector",
                     "趙六", "--on", "2026-04-01")  # fmt: skip

    assert (recovery["recovered"], recovery["bonus"]) == ("3500.00", "70.00")
    assert (rate["current_rate"], rate["recovery_rate"]) == ("34.57", "47.17")
    assert (listing["rows"], listing["total"]) == (2, "8100.00")
    assert (assigned["collector"], assigned["from_date"]) == ("趙六", "2026-04-01")
    assert main(["reports", "recovery", "--project", "HT", "--from", "x", "--until",
                 "2026-03-31", "--json"]) == 2  # fmt: skip
    assert "--from" in capsys.readouterr().err
