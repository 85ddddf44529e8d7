"""The defaults the procedures leave open (RULES.md), each with its rule ID.

Code reads these through `wuye.policies.selectors.policy`, never as literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class PolicyDefault:
    key: str
    default: str
    parse: type
    rule: str
    description: str


def _int_list(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _str_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


DEFAULTS = {
    p.key: p
    for p in [
        PolicyDefault("payment_term_days", "7", int, "E1", "days after receipt a bill falls due"),
        PolicyDefault(
            "fixed_due_day", "0", int, "E1", "fixed due day in the first month; 0 = last day"
        ),
        PolicyDefault(
            "due_date_to_workday", "1", int, "E1", "move a due date off rest days (art. 203)"
        ),
        PolicyDefault("late_fee_rate", "0.0005", Decimal, "L1", "late fee per day (0.5‰)"),
        PolicyDefault(
            "aging_buckets",
            "30,90,180,365,730,1095",
            _int_list,
            "defaults",
            "upper bounds (days overdue) of the aging buckets; the last bucket is open",
        ),
        PolicyDefault(
            "late_fee_cap_ratio",
            "1",
            Decimal,
            "L1",
            "cap of a bill's late fee as a multiple of its principal (per fee item)",
        ),
        PolicyDefault("limitation_years", "3", int, "X2", "limitation period per bill (years)"),
        PolicyDefault(
            "courier_after_days", "5", int, "E1/E3", "undelivered this long after hand-over → EMS"
        ),
        PolicyDefault("courier_receipt_days", "3", int, "E1", "posting + N days = receipt"),
        PolicyDefault(
            "notice_courier_after_days",
            "1",
            int,
            "E2/E3",
            "a notice still undelivered this long after hand-over → EMS/courier",
        ),
        PolicyDefault(
            "limitation_warning_days", "90", int, "X2", "report debts this close to expiry"
        ),
        PolicyDefault(
            "approval_supervisor_limit",
            "1000.00",
            Decimal,
            "roles",
            "largest waiver/reduction a supervisor may approve; above it a manager (M1, S3)",
        ),
        PolicyDefault(
            "approval_supervisor_kinds",
            "waiver,reduction,instalment_plan,goodwill",
            _str_list,
            "roles",
            "what a supervisor may approve; a manager approves every kind (M1, M2, S3, R5)",
        ),
        PolicyDefault(
            "instalment_grace_days",
            "7",
            int,
            "S3",
            "an instalment still unpaid this many days after its due date puts the plan in "
            "default; dunning of its bills resumes",
        ),
        PolicyDefault(
            "approval_limited_kinds",
            "waiver,reduction",
            _str_list,
            "roles",
            "kinds whose amount a supervisor may approve only up to approval_supervisor_limit",
        ),
        PolicyDefault(
            "s1_lawyer_letter_threshold",
            "3000.00",
            Decimal,
            "S1",
            "vacant investment units whose arrears reach this go into the batch lawyer letter",
        ),
        PolicyDefault(
            "lpr_multiplier", "1.0", Decimal, "X6", "LPR figure = this × the one-year LPR in force"
        ),
        PolicyDefault("lpr_day_basis", "365", int, "X6", "days per year for the LPR figure"),
        PolicyDefault(
            "lawyer_letter_pay_within_days", "15", int, "R5", "deadline on a lawyer letter (days)"
        ),
        PolicyDefault(
            "quiet_hours",
            "21:00-08:00",
            str,
            "defaults",
            "no messages or calls in these local hours (HH:MM-HH:MM; empty: none)",
        ),
        PolicyDefault(
            "max_calls_per_week",
            "3",
            int,
            "R2/defaults",
            "calls to one account in any 7 days; more are held off the caller's list",
        ),
        PolicyDefault(
            "max_messages_per_week",
            "2",
            int,
            "R1/defaults",
            "at most this many messages to one account in any 7 days; more wait",
        ),
        PolicyDefault("message_max_attempts", "5", int, "defaults", "tries before a message fails"),
        PolicyDefault(
            "message_retry_minutes", "5", int, "defaults", "first retry delay; doubles each try"
        ),
        PolicyDefault(
            "message_claim_timeout_minutes",
            "15",
            int,
            "defaults",
            "a message still being sent after this is parked for review (outcome unknown)",
        ),
        PolicyDefault(
            "collection_bonus_rate",
            "0.02",
            Decimal,
            "M4",
            "collection bonus (回款獎勵): share of the arrears a collector recovered",
        ),
        PolicyDefault(
            "collection_bonus_tiers",
            "",
            str,
            "M4",
            "marginal bonus tiers 'threshold:rate,…' from 0 (e.g. 0:0.01,50000:0.02); "
            "empty: the flat collection_bonus_rate",
        ),
        PolicyDefault(
            "rounds_per_building_month",
            "1",
            int,
            "S2a/defaults",
            "evening rounds per building per month; more only when forced",
        ),
        PolicyDefault(
            "daily_run_time",
            "06:00",
            str,
            "defaults",
            "local time (HH:MM, project time zone) `wuye worker` queues the daily dunning run",
        ),
        PolicyDefault(
            "finance_members",
            "",
            _str_list,
            "roles/S2a",
            "names of finance staff who may collect on an evening round; empty: not checked",
        ),
    ]
}
