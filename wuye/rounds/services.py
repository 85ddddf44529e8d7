"""S2a evening rounds: plan a round for a building, take payments on it (receipts on the
spot through `record_payment`), hand the takings over to finance, reconcile them.

Each service is one transaction; every status change goes through `_move`, which checks
the allowed transition and writes a `RoundEvent`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from wuye.billing.models import Bill
from wuye.dates import Period
from wuye.errors import NotFound, WuyeError
from wuye.ledger.models import Entry
from wuye.ledger.selectors import _SUM
from wuye.money import HALF_FEN, ZERO, money
from wuye.payments.models import Payment
from wuye.payments.services import record_payment
from wuye.policies.selectors import policy
from wuye.properties.models import Building, Project
from wuye.properties.selectors import account_for_unit
from wuye.rounds.models import (
    ROUND_METHODS,
    EveningRound,
    RoundEvent,
    RoundHandOver,
    RoundPayment,
    RoundReconciliation,
    RoundStop,
)

Status = EveningRound.Status
ALLOWED = {Status.PLANNED: {Status.DONE}, Status.DONE: {Status.RECONCILED}}


def _move(round_: EveningRound, to: str, *, on: dt.date, actor: str, note: str = "") -> None:
    if to not in ALLOWED.get(round_.status, set()):
        raise WuyeError(
            "round_status",
            f"round {round_.pk} is {round_.status}: cannot become {to}",
            f"巡收 {round_.pk} 狀態為 {round_.get_status_display()}，不能改為 {to}",
        )
    RoundEvent.objects.create(
        round=round_,
        from_status=round_.status,
        to_status=to,
        on=on,
        actor=actor,
        note=note,
        created_at=timezone.now(),
    )
    round_.status = to
    round_.save(update_fields=["status"])


def get_round(round_id) -> EveningRound:
    try:
        pk = int(round_id)
    except (TypeError, ValueError):
        raise WuyeError(
            "invalid_round", f"round: '{round_id}' is not a round number", "round：不是巡收編號"
        ) from None
    found = EveningRound.objects.select_related("project", "building").filter(pk=pk).first()
    if found is None:
        raise NotFound("round", str(round_id))
    return found


def _lock(round_: EveningRound) -> EveningRound:
    return (
        EveningRound.objects.select_for_update()
        .select_related("project", "building")
        .get(pk=round_.pk)
    )


def _check_collector(name: str, project: Project) -> str:
    name = (name or "").strip()
    if not name:
        raise WuyeError("collector_required", "collector: give a name", "collector：請填寫姓名")
    members = policy("finance_members", project_id=project.pk)
    if members and name not in members:
        raise WuyeError(
            "not_finance",
            f"collector: '{name}' is not a member of finance (policy finance_members)",
            f"collector：「{name}」不是財務部人員",
        )
    return name


def building_arrears(building: Building, *, on: dt.date) -> dict[int, Decimal]:
    """Per account of the building, what is overdue and open on `on` (one query)."""
    rows = (
        Entry.objects.filter(
            account__unit__building=building,
            bill__status=Bill.Status.ISSUED,
            bill__due_date__lt=on,
            value_date__lte=on,
            bill_line__isnull=False,
        )
        .values("account_id")
        .annotate(open=_SUM)
        .filter(open__gt=HALF_FEN)
        .order_by()
    )
    return {row["account_id"]: money(row["open"]) for row in rows}


def plan_round(
    *,
    project: Project,
    building: Building,
    on: dt.date,
    collector: str,
    actor: str,
    assistants: str = "",
    force: bool = False,
) -> EveningRound:
    """S2a: an evening round of `building` on `on` with a collector from finance,
    stopping at every account in arrears there. Policy `rounds_per_building_month`
    (default one round per building per month) refuses more unless forced."""
    if building.project_id != project.pk:
        raise WuyeError(
            "invalid_building",
            f"building: {building.code} is not in project {project.code}",
            f"building：{building.code} 不屬於 {project.code}",
        )
    collector = _check_collector(collector, project)
    month = Period.of(on)
    with transaction.atomic():
        Building.objects.select_for_update().filter(pk=building.pk).first()  # one planner
        allowed = policy("rounds_per_building_month", project_id=project.pk)
        planned = EveningRound.objects.filter(
            building=building, on__gte=month.start, on__lt=month.end()
        ).count()
        if planned >= allowed and not force:
            raise WuyeError(
                "round_exists",
                f"on: building {building} already has {planned} round(s) in {month} "
                f"(policy: {allowed} a month); plan again with force",
                f"on：{building} 於 {month} 已有 {planned} 次巡收（每月 {allowed} 次）",
            )
        arrears = building_arrears(building, on=on)
        if not arrears:
            raise WuyeError(
                "nothing_to_visit",
                f"building: nobody in {building} is in arrears on {on}",
                f"building：{building} 於 {on} 無欠費戶",
            )
        round_ = EveningRound.objects.create(
            project=project,
            building=building,
            on=on,
            collector=collector,
            assistants=assistants,
            forced=force and planned >= allowed,
            planned_by=actor,
            created_at=timezone.now(),
        )
        RoundStop.objects.bulk_create(
            RoundStop(round=round_, account_id=account_id, arrears=amount)
            for account_id, amount in sorted(arrears.items())
        )
        RoundEvent.objects.create(
            round=round_,
            from_status="",
            to_status=Status.PLANNED,
            on=on,
            actor=actor,
            note="forced" if round_.forced else "",
            created_at=timezone.now(),
        )
    return round_


def take_payment(
    *,
    round: EveningRound,
    unit: str,
    amount: Decimal,
    method: str,
    on: dt.date,
    collector: str,
) -> Payment:
    """S2a: the round's collector takes a payment at the door: `record_payment` gives it
    the next gapless receipt number (issued on the spot) and allocates it (P1); the
    payment is linked to the round and the unit's stop is marked paid."""
    if method not in ROUND_METHODS:
        raise WuyeError(
            "invalid_method",
            f"method: '{method}' is not one of {', '.join(ROUND_METHODS)}",
            f"method：「{method}」無效",
        )
    with transaction.atomic():
        round_ = _lock(round)
        if round_.status != Status.PLANNED:
            raise WuyeError(
                "round_status",
                f"round {round_.pk} is {round_.status}: its takings were handed over",
                f"巡收 {round_.pk} 已交款，不能再收款",
            )
        if on != round_.on:
            raise WuyeError(
                "invalid_date", f"on: the round is on {round_.on}, not {on}", "on：非巡收日期"
            )
        if collector != round_.collector:
            raise WuyeError(
                "not_round_collector",
                f"collector: '{collector}' is not the round's collector ({round_.collector})",
                f"collector：「{collector}」不是本次巡收的收款員",
            )
        account = account_for_unit(unit, on=on)
        if account.unit.building_id != round_.building_id:
            raise WuyeError(
                "invalid_unit",
                f"unit: {unit} is not in building {round_.building}",
                f"unit：{unit} 不在 {round_.building}",
            )
        stop, _ = RoundStop.objects.get_or_create(
            round=round_, account=account, defaults={"arrears": ZERO}
        )
        payment = record_payment(
            account=account,
            amount=amount,
            on=on,
            actor=collector,
            method=method,
            note=f"evening round {round_.pk} (S2a)",
        )
        RoundPayment.objects.create(round=round_, stop=stop, payment=payment)
        stop.outcome = RoundStop.Outcome.PAID
        stop.save(update_fields=["outcome"])
    return payment


def _amounts(counted: Mapping[str, Decimal]) -> dict[str, Decimal]:
    result = {}
    for method, amount in counted.items():
        if method not in ROUND_METHODS:
            raise WuyeError(
                "invalid_method",
                f"method: '{method}' is not one of {', '.join(ROUND_METHODS)}",
                f"method：「{method}」無效",
            )
        if (
            not isinstance(amount, Decimal)
            or not amount.is_finite()
            or amount < 0
            or (money(amount) != amount)
        ):
            raise WuyeError(
                "invalid_amount",
                f"{method}: {amount} must be zero or positive with at most 2 decimals",
                f"{method}：{amount} 須為非負數且最多兩位小數",
            )
        result[method] = amount
    return result


def hand_over_takings(
    *,
    round: EveningRound,
    counted_cash: Decimal,
    by: str,
    on: dt.date,
    counted_other: Mapping[str, Decimal] | None = None,
) -> list[RoundHandOver]:
    """S2a: the collector hands the takings over to finance: the cash counted and, per
    other method taken, the total of its slips. A method taken but not given counts as
    0.00 handed over (the reconciliation reports it)."""
    counted = _amounts({"cash": counted_cash, **(counted_other or {})})
    with transaction.atomic():
        round_ = _lock(round)
        if on < round_.on:
            raise WuyeError(
                "invalid_date", f"on: {on} is before the round ({round_.on})", "on：早於巡收日期"
            )
        taken = set(round_.payments.values_list("payment__method", flat=True))
        for method in taken - counted.keys():
            counted[method] = ZERO
        _move(round_, Status.DONE, on=on, actor=by, note="takings handed over")
        return RoundHandOver.objects.bulk_create(
            RoundHandOver(
                round=round_,
                method=method,
                amount=amount,
                handed_over_on=on,
                handed_over_by=by,
                created_at=timezone.now(),
            )
            for method, amount in sorted(counted.items())
        )


@dataclass
class ReconciliationLine:
    method: str
    taken: Decimal
    handed_over: Decimal
    difference: Decimal  # handed over − taken: negative = short


@dataclass
class Reconciliation:
    round_id: int
    on: dt.date
    by: str
    lines: list[ReconciliationLine] = field(default_factory=list)
    difference: Decimal = ZERO

    @property
    def balanced(self) -> bool:
        return all(line.difference == 0 for line in self.lines)


def takings(round_: EveningRound) -> dict[str, Decimal]:
    """What was taken on the round per method: the receipts issued (one query)."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for method, amount in round_.payments.values_list("payment__method", "payment__amount"):
        totals[method] += amount
    return dict(totals)


def reconcile_round(*, round: EveningRound, on: dt.date, by: str) -> Reconciliation:
    """S2a: finance compares the hand-over with the receipts issued on the round, per
    method, and marks the round reconciled. A difference is recorded and reported, never
    booked or adjusted: following it up is a person's job. Finance reconciles, so the
    round's own collector may not."""
    with transaction.atomic():
        round_ = _lock(round)
        if by == round_.collector:
            raise WuyeError(
                "same_person",
                "by: the collector cannot reconcile their own takings",
                "by：收款員不能核對自己的收款",
            )
        handed = {h.method: h for h in round_.handovers.all()}
        if handed and on < max(h.handed_over_on for h in handed.values()):
            raise WuyeError("invalid_date", "on: before the hand-over", "on：早於交款日期")
        taken = takings(round_)
        result = Reconciliation(round_id=round_.pk, on=on, by=by)
        for method in sorted(taken.keys() | handed.keys()):
            got = handed[method].amount if method in handed else ZERO
            line = ReconciliationLine(
                method=method,
                taken=money(taken.get(method, ZERO)),
                handed_over=money(got),
                difference=money(got - taken.get(method, ZERO)),
            )
            result.lines.append(line)
            result.difference += line.difference
        note = "balanced" if result.balanced else f"difference {result.difference}"
        _move(round_, Status.RECONCILED, on=on, actor=by, note=note)
        RoundReconciliation.objects.bulk_create(
            RoundReconciliation(
                round=round_,
                method=line.method,
                taken=line.taken,
                handed_over=line.handed_over,
                difference=line.difference,
                reconciled_on=on,
                reconciled_by=by,
            )
            for line in result.lines
        )
    return result
