from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, Q, QuerySet, Subquery

from wuye.errors import NotFound, WuyeError
from wuye.properties.models import Account, Unit


def get_unit(code: str) -> Unit:
    try:
        return Unit.objects.select_related("project", "building").get(code=code)
    except Unit.DoesNotExist:
        raise NotFound("unit", code) from None


def accounts_of_unit(unit: Unit) -> list[Account]:
    return list(
        Account.objects.filter(unit=unit).select_related("customer").order_by("start_date", "id")
    )


def account_for_unit(unit_code: str, *, on: dt.date, account_code: str | None = None) -> Account:
    """The payer of a unit on a date (or the named account of that unit)."""
    unit = get_unit(unit_code)
    accounts = Account.objects.filter(unit=unit).select_related("customer", "project", "unit")
    if account_code:
        account = accounts.filter(code=account_code).first()
        if account is None:
            raise NotFound("account", account_code)
        return account
    active = accounts.filter(start_date__lte=on).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=on)
    )
    account = active.order_by("-start_date").first()
    if account is None:
        raise WuyeError(
            "no_account",
            f"unit {unit_code} has no account on {on}; name one with --account",
            f"單元 {unit_code} 於 {on} 沒有帳戶；請以 --account 指定",
        )
    return account


def accounts_where(
    *, building: str | None = None, segment: str | None = None, on: dt.date | None = None
) -> QuerySet | None:
    """The filters of the dashboards and reports (issue 6) as a subquery of account ids:
    the accounts of a building (its code) and/or of a segment (that of the contract in
    force on `on`; without a date, the latest). None when nothing is filtered."""
    if not building and not segment:
        return None
    accounts = Account.objects.all()
    if building:
        accounts = accounts.filter(unit__building__code=building)
    if segment:
        from wuye.billing.models import Contract

        contracts = Contract.objects.filter(account_id=OuterRef("pk"))
        if on is not None:
            contracts = contracts.filter(effective_from__lte=on)
        in_force = contracts.order_by("-effective_from", "-version").values("segment")[:1]
        accounts = accounts.annotate(segment_in_force=Subquery(in_force)).filter(
            segment_in_force=segment
        )
    return accounts.values("pk")
