"""Notices go the same way as bills (E2, E3): finance issues them, the assistant signs for
them, delivers each to the designated contact for signature the same day, or sends it by
EMS/courier with carrier, tracking number, posting and delivery dates. Every attempt is a
`Contact` row: the evidence of X2/X3."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from wuye.dunning.models import DELIVERED_ACTIONS, Contact, Notice
from wuye.errors import NotFound, WuyeError
from wuye.policies.selectors import policy
from wuye.properties.models import Project

FAILED = [
    Contact.Result.NOBODY,
    Contact.Result.ABSENT,
    Contact.Result.REFUSED,
    Contact.Result.WRONG_ADDRESS,
]


def get_notice(number: str, *, lock: bool = False) -> Notice:
    rows = Notice.objects.select_related("project", "account")
    if lock:
        rows = rows.select_for_update(of=("self",))
    notice = rows.filter(number=number).first()
    if notice is None:
        raise NotFound("notice", number)
    return notice


def _pending(notice: Notice) -> None:
    if notice.status != Notice.Status.ISSUED:
        reason = f": {notice.end_reason}" if notice.end_reason else ""
        raise WuyeError(
            "notice_not_pending",
            f"notice {notice.number} is {notice.status}{reason}",
            f"通知書 {notice.number} 狀態為「{notice.get_status_display()}」{reason}",
        )


def handover_notices(
    *, on: dt.date, signed_by: str, actor: str, project_code: str | None = None
) -> list[str]:
    """A1 for notices: the assistant signs for every issued notice not yet handed over."""
    rows = Notice.objects.filter(
        status=Notice.Status.ISSUED,
        handed_over_on__isnull=True,
        issued_on__lte=on,
        action__in=list(DELIVERED_ACTIONS),
    )
    if project_code:
        if not Project.objects.filter(code=project_code).exists():
            raise NotFound("project", project_code)
        rows = rows.filter(project__code=project_code)
    with transaction.atomic():
        numbers = list(rows.order_by("number").values_list("number", flat=True))
        rows.update(handed_over_on=on, handed_over_by=signed_by)
    return numbers


def deliver_notice(
    *, number: str, on: dt.date, staff: str, signed_by: str | None = None,
    relation: str = "", failed: str | None = None, note: str = "",
) -> Contact:  # fmt: skip
    """E2: handed to the designated contact for signature; the signer's name and relation
    are the X2 evidence. A failed attempt keeps it on the list."""
    if bool(signed_by) == bool(failed):
        raise WuyeError(
            "usage", "give either --signed-by NAME or --failed REASON",
            "須指定 --signed-by（簽收人）或 --failed（未能送達原因）其一",
        )  # fmt: skip
    if failed and failed not in FAILED:
        raise WuyeError(
            "invalid_result",
            f"--failed: '{failed}' is not one of {', '.join(FAILED)}",
            f"--failed：「{failed}」無效",
        )
    with transaction.atomic():
        notice = get_notice(number, lock=True)
        _pending(notice)
        if notice.handed_over_on is None:
            raise WuyeError(
                "not_handed_over",
                f"notice {number} has not been signed for by an assistant",
                f"通知書 {number} 尚未由客服助理簽收",
            )
        if on < notice.handed_over_on:
            raise WuyeError(
                "invalid_date", f"--on: {on} is before the hand-over ({notice.handed_over_on})",
                f"日期 {on} 早於簽收交接日 {notice.handed_over_on}",
            )  # fmt: skip
        contact = Contact.objects.create(
            account_id=notice.account_id, notice=notice, channel=Contact.Channel.HAND, on=on,
            staff=staff, result=Contact.Result.SIGNED if signed_by else failed,
            signer=signed_by or "", signer_relation=relation, note=note,
            created_at=timezone.now(),
        )  # fmt: skip
        if signed_by:
            Notice.objects.filter(pk=notice.pk).update(
                status=Notice.Status.DELIVERED, delivered_on=on, settled_on=on,
                signer=signed_by, signer_relation=relation,
            )  # fmt: skip
    return contact


def post_notice(*, number: str, carrier: str, tracking: str, on: dt.date, actor: str) -> Notice:
    """E3: the client cannot be reached, so the notice goes by EMS/courier; the posting
    is evidence like a signature and lets the next level follow (E2)."""
    if not carrier.strip() or not tracking.strip():
        raise WuyeError(
            "courier_required", "--carrier and --tracking are required (E3 evidence)",
            "須填寫快遞公司及運單號（E3 證據）",
        )  # fmt: skip
    with transaction.atomic():
        notice = get_notice(number, lock=True)
        _pending(notice)
        if on < notice.issued_on:
            raise WuyeError(
                "invalid_date", f"--on: {on} is before the notice ({notice.issued_on})",
                f"寄出日 {on} 早於通知書日期 {notice.issued_on}",
            )  # fmt: skip
        Notice.objects.filter(pk=notice.pk).update(
            status=Notice.Status.POSTED, carrier=carrier, tracking_number=tracking,
            posted_on=on, settled_on=on,
        )  # fmt: skip
        Contact.objects.create(
            account_id=notice.account_id, notice=notice, channel=Contact.Channel.COURIER,
            on=on, staff=actor, result=Contact.Result.POSTED,
            note=f"{carrier} {tracking}", created_at=timezone.now(),
        )  # fmt: skip
        notice.refresh_from_db()
    return notice


def record_posting(*, number: str, on: dt.date, place: str, photo_ref: str, staff: str) -> Notice:
    """R3: a collection notice posted on the door, stairwell or notice board: when, where,
    by whom and the photo taken, as evidence; the next step counts from it (E2). The
    posted document shows the unit and amount, never the owner's name (X4)."""
    if not place.strip():
        raise WuyeError("place_required", "--place is required (R3 evidence)", "須填寫張貼位置")
    if not photo_ref.strip():
        raise WuyeError("photo_required", "--photo is required (R3 evidence)", "須填寫照片編號")
    with transaction.atomic():
        notice = get_notice(number, lock=True)
        _pending(notice)
        if on < notice.issued_on:
            raise WuyeError(
                "invalid_date", f"--on: {on} is before the notice ({notice.issued_on})",
                f"張貼日 {on} 早於通知書日期 {notice.issued_on}",
            )  # fmt: skip
        Notice.objects.filter(pk=notice.pk).update(
            status=Notice.Status.POSTED, posted_on=on, settled_on=on, posting_place=place,
            photo_ref=photo_ref,
        )  # fmt: skip
        Contact.objects.create(
            account_id=notice.account_id, notice=notice, channel=Contact.Channel.POSTING,
            on=on, staff=staff, result=Contact.Result.POSTED, note=f"{place}; {photo_ref}",
            created_at=timezone.now(),
        )  # fmt: skip
        notice.refresh_from_db()
    return notice


def record_notice_courier_delivery(*, number: str, on: dt.date, actor: str) -> Notice:
    """E3, X2: the carrier's proof of delivery (a demand that reached the debtor)."""
    with transaction.atomic():
        notice = get_notice(number, lock=True)
        if notice.posted_on is None:
            raise WuyeError(
                "not_posted",
                f"notice {number} was not sent by courier",
                f"通知書 {number} 未經快遞寄出",
            )
        if on < notice.posted_on:
            raise WuyeError(
                "invalid_date", f"--on: {on} is before the posting ({notice.posted_on})",
                f"送達日 {on} 早於寄出日 {notice.posted_on}",
            )  # fmt: skip
        Notice.objects.filter(pk=notice.pk).update(courier_delivered_on=on)
        Contact.objects.create(
            account_id=notice.account_id, notice=notice, channel=Contact.Channel.COURIER,
            on=on, staff=actor, result=Contact.Result.COURIER_DELIVERED,
            note=f"{notice.carrier} {notice.tracking_number}", created_at=timezone.now(),
        )  # fmt: skip
        notice.refresh_from_db()
    return notice


def notice_worklist(
    *, on: dt.date, project_code: str | None = None, projects=None, with_project: bool = False
) -> list[dict]:
    """The assistant's list: notices signed for and not yet delivered or posted, flagged
    for courier when still undelivered N days (policy) after the hand-over (E3).
    `projects` narrows it to those projects; `with_project` adds each notice's project
    (code) to its row.

    One query (issue 6: fast at 100,000 units): each notice with its hand delivery
    attempts counted and the last one's result as subqueries; the projects are kept in
    Python, so that the planner reads the notices still out, not a project's history."""
    from django.db.models import Count, OuterRef, Subquery

    from wuye.billing.delivery import narrowed_project_ids

    attempts = Contact.objects.filter(notice_id=OuterRef("pk"), channel=Contact.Channel.HAND)
    rows = (
        Notice.objects.filter(
            status=Notice.Status.ISSUED, handed_over_on__isnull=False, handed_over_on__lte=on
        )
        .annotate(
            tried=Subquery(
                attempts.order_by().values("notice_id").annotate(n=Count("pk")).values("n")
            ),
            last_result=Subquery(attempts.order_by("-on", "-id").values("result")[:1]),
        )
        .order_by("number")
        .values_list(
            "number",
            "project_id",
            "account__unit__code",
            "level",
            "total",
            "handed_over_on",
            "tried",
            "last_result",
        )
    )
    wanted = narrowed_project_ids(project_code=project_code, projects=projects)
    codes = dict(Project.objects.values_list("pk", "code")) if with_project else {}
    limits: dict[int, int] = {}
    result = []
    for number, project_id, unit, level, total, handed_over_on, tried, last_result in rows:
        if wanted is not None and project_id not in wanted:
            continue
        if project_id not in limits:
            limits[project_id] = policy("notice_courier_after_days", project_id=project_id)
        result.append({
            **({"project": codes[project_id]} if with_project else {}),
            "notice": number, "unit": unit, "level": level,
            "total": total, "handed_over_on": handed_over_on, "attempts": tried or 0,
            "last_result": last_result,
            "undelivered_end_of_day": on > handed_over_on,
            "send_by_courier": (on - handed_over_on).days >= limits[project_id],
        })  # fmt: skip
    return result
