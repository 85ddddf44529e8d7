"""Reads for S2a evening rounds: one round with its stops, payments, hand-over and
reconciliation (a fixed number of queries)."""

from __future__ import annotations

from wuye.money import ZERO
from wuye.rounds.models import EveningRound
from wuye.rounds.services import takings


def round_detail(round_: EveningRound) -> dict:
    stops = round_.stops.select_related("account__unit", "account__customer").order_by(
        "account__unit__code"
    )
    payments = round_.payments.select_related("payment", "stop__account__unit").order_by(
        "payment__receipt_number"
    )
    return {
        "round": round_.pk,
        "project": round_.project.code,
        "building": round_.building.code,
        "on": round_.on,
        "collector": round_.collector,
        "assistants": [a.strip() for a in round_.assistants.split(",") if a.strip()],
        "status": round_.status,
        "forced": round_.forced,
        "stops": [
            {
                "unit": s.account.unit.code,
                "owner": s.account.customer.name,
                "arrears": s.arrears,
                "outcome": s.outcome,
                "note": s.note,
            }
            for s in stops
        ],
        "payments": [
            {
                "receipt": p.payment.receipt_number,
                "unit": p.stop.account.unit.code,
                "method": p.payment.method,
                "amount": p.payment.amount,
            }
            for p in payments
        ],
        "taken": takings(round_),
        "taken_total": sum(takings(round_).values(), ZERO),
        "handed_over": {h.method: h.amount for h in round_.handovers.order_by("method")},
        "reconciliation": [
            {
                "method": r.method,
                "taken": r.taken,
                "handed_over": r.handed_over,
                "difference": r.difference,
                "reconciled_on": r.reconciled_on,
                "reconciled_by": r.reconciled_by,
            }
            for r in round_.reconciliation.order_by("method")
        ],
    }
