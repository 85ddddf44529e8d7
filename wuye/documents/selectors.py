"""Reads for printed documents: set-based, everything a template needs in a fixed number
of queries per chunk (select_related + prefetch_related), never one query per notice."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet

from wuye.billing.models import Bill, BillLine, Contract
from wuye.dunning.models import DELIVERED_ACTIONS, Notice, NoticeLine
from wuye.errors import NotFound
from wuye.properties.models import Project

#: a cancelled notice (F1: the debt was paid) or a voided one (reissued) is not printed
NOT_PRINTED = (Notice.Status.CANCELLED, Notice.Status.VOID)


def notices_to_print(*, as_of: dt.date, project_code: str | None = None) -> QuerySet[Notice]:
    """The documents a dunning run issued on `as_of` that must reach the client (E2):
    notices, postings and letters, not tasks; ordered by number."""
    notices = Notice.objects.filter(issued_on=as_of, action__in=DELIVERED_ACTIONS).exclude(
        status__in=NOT_PRINTED
    )
    if project_code:
        if not Project.objects.filter(code=project_code).exists():
            raise NotFound("project", project_code)
        notices = notices.filter(project__code=project_code)
    return notices.order_by("number")


def notices_for_documents(ids: list[int]) -> list[Notice]:
    """The notices with all a template shows, in number order."""
    return list(
        Notice.objects.filter(pk__in=ids)
        .select_related("project__organisation", "account__unit", "account__customer", "step")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=NoticeLine.objects.select_related("fee_item", "bill__account__unit"),
            ),
            Prefetch("account__contracts", queryset=Contract.objects.order_by("version")),
        )
        .order_by("number")
    )


def bill_for_document(number: str) -> Bill:
    bill = (
        Bill.objects.filter(number=number)
        .select_related(
            "project__organisation", "account__unit", "account__customer", "contract", "replaces"
        )
        .prefetch_related(Prefetch("lines", queryset=BillLine.objects.select_related("fee_item")))
        .first()
    )
    if bill is None:
        raise NotFound("bill", number)
    return bill


def notice_for_document(number: str) -> Notice:
    notices = notices_for_documents(
        list(Notice.objects.filter(number=number).values_list("pk", flat=True))
    )
    if not notices:
        raise NotFound("notice", number)
    return notices[0]
