"""M4: the collection bonus (回款獎勵) as a pure function of what a collector recovered.

Policy `collection_bonus_rate` is a flat share of the arrears recovered (e.g. "0.02").
Policy `collection_bonus_tiers`, when not empty, replaces it with marginal tiers, like
tax brackets: "0:0.01,50000:0.02,100000:0.03" pays 1% on the first 50,000 recovered,
2% on what lies between 50,000 and 100,000 and 3% on the part above 100,000. Thresholds
are yuan, ascending, the first one 0; rates are shares (0.02 = 2%). The bonus is
rounded once, half up, to 分."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from wuye.errors import WuyeError
from wuye.money import ZERO, money

Tier = tuple[Decimal, Decimal]  # (threshold, rate)


def _bad(text: str, why: str) -> WuyeError:
    return WuyeError(
        "invalid_policy",
        f"collection_bonus_tiers: '{text}' {why} (format 0:0.01,50000:0.02)",
        f"collection_bonus_tiers：「{text}」{why}（格式 0:0.01,50000:0.02）",
    )


def parse_tiers(text: str) -> list[Tier]:
    """'0:0.01,50000:0.02' → [(0, 0.01), (50000, 0.02)]; '' → [] (flat rate in force)."""
    tiers: list[Tier] = []
    for part in (p.strip() for p in str(text or "").split(",")):
        if not part:
            continue
        threshold, sep, rate = part.partition(":")
        try:
            tier = (Decimal(threshold.strip()), Decimal(rate.strip()))
        except InvalidOperation:
            raise _bad(text, "is not a list of threshold:rate") from None
        if not sep or not all(v.is_finite() and v >= 0 for v in tier) or tier[1] > 1:
            raise _bad(text, "is not a list of threshold:rate")
        if tiers and tier[0] <= tiers[-1][0]:
            raise _bad(text, "thresholds must ascend")
        tiers.append(tier)
    if tiers and tiers[0][0] != 0:
        raise _bad(text, "must start at threshold 0")
    return tiers


def check_rate(rate: Decimal) -> Decimal:
    if not rate.is_finite() or rate < 0 or rate > 1:
        raise WuyeError(
            "invalid_policy",
            f"collection_bonus_rate: '{rate}' must be a share between 0 and 1",
            f"collection_bonus_rate：「{rate}」須介於 0 與 1",
        )
    return rate


def bonus_for(recovered: Decimal, *, rate: Decimal, tiers: list[Tier]) -> Decimal:
    """M4: the bonus on `recovered` (nothing on a net negative recovery)."""
    if recovered <= 0:
        return ZERO
    if not tiers:
        return money(recovered * check_rate(rate))
    total = Decimal(0)
    for i, (threshold, tier_rate) in enumerate(tiers):
        upper = tiers[i + 1][0] if i + 1 < len(tiers) else None
        if recovered <= threshold:
            break
        part = (min(recovered, upper) if upper is not None else recovered) - threshold
        total += part * tier_rate
    return money(total)
