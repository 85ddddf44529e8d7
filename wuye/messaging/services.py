"""The outbox: enqueue messages for notices (R1) and broadcasts (M5), send what is due,
review what has an unknown outcome.

No message reaches a client twice: the idempotency key is unique in the outbox and is
sent to the gateway; a sender first *claims* a message (queued → sending, under a row
lock that a second sender skips), then calls the provider outside any transaction, then
records the outcome. A send whose outcome is unknown is parked for a person to review.
Quiet hours and the frequency cap (policies, per project) hold a message back; every
status change goes through `transition` and leaves a `MessageEvent`; every message sent
is logged on the account as a dunning `Contact` (the evidence of X2).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from wuye.dunning.models import Action, Contact, Notice
from wuye.errors import NotFound, WuyeError
from wuye.messaging import schedule
from wuye.messaging.models import Broadcast, Channel, Message, MessageEvent
from wuye.messaging.providers import (
    Outcome,
    SendResult,
    SmsProvider,
    default_email_provider,
    default_sms_provider,
)
from wuye.messaging.templates import R1_REMINDER, fill, load_template
from wuye.messaging.validation import refuse_supply_threats
from wuye.money import fmt
from wuye.policies.selectors import policy
from wuye.properties.models import Account, Project
from wuye.properties.models import Contact as PersonContact

S = Message.Status
CAP_WINDOW = dt.timedelta(days=7)  # the cap policy is per week

#: the one state machine of a message; "" is a message being created
ALLOWED = {
    "": {S.QUEUED, S.FAILED},
    S.QUEUED: {S.SENDING, S.CANCELLED, S.FAILED},
    S.SENDING: {S.SENT, S.QUEUED, S.FAILED, S.UNKNOWN},
    S.SENT: {S.DELIVERED, S.FAILED},
    S.UNKNOWN: {S.SENT, S.QUEUED, S.FAILED},
    S.DELIVERED: set(),
    S.FAILED: set(),
    S.CANCELLED: set(),
}

_MESSAGE_ACTIONS = {Action.SMS: Channel.SMS, Action.EMAIL: Channel.EMAIL}


def transition(
    message: Message, to: str, *, at: dt.datetime, actor: str, note: str = "", **fields
) -> Message:
    """The only way a message changes status: checks the move, saves the message (or
    creates it), writes the event row, and logs a sent message on the account."""
    old = message.status
    if to not in ALLOWED.get(old, set()):
        raise WuyeError(
            "message_transition",
            f"message {message.pk}: cannot go from {old or 'new'} to {to}",
            f"短信 {message.pk}：不能由「{old or '新建'}」轉為「{to}」",
        )
    message.status = to
    for name, value in fields.items():
        setattr(message, name, value)
    if message.pk is None:
        message.save(force_insert=True)
    else:
        message.save(update_fields=["status", *fields])
    MessageEvent.objects.create(
        message=message, from_status=old, to_status=to, at=at, actor=actor, note=note[:500]
    )
    if to == S.SENT:
        _log_contact(message, at=at, actor=actor)
    return message


def _log_contact(message: Message, *, at: dt.datetime, actor: str) -> None:
    """Every message sent is evidence on the account (X2): a dunning Contact row, result
    POSTED (sent out), the provider's reference in the note."""
    local = at.astimezone(_zone(message.project))
    what = "短信已發送 SMS sent" if message.channel == Channel.SMS else "電郵已發送 e-mail sent"
    Contact.objects.create(
        account_id=message.account_id,
        notice_id=message.notice_id,
        channel=message.channel,  # Contact.Channel has sms and email
        on=local.date(),
        staff=actor,
        result=Contact.Result.POSTED,
        signer=message.recipient[:200],
        note=f"{what}: message {message.pk} {message.provider_message_id}".strip()[:300],
        created_at=at,
    )


def _zone(project: Project) -> ZoneInfo:
    return ZoneInfo(project.time_zone)


def _start_of(on: dt.date, project: Project) -> dt.datetime:
    return dt.datetime.combine(on, dt.time(0, 0), tzinfo=_zone(project))


def _aware(now: dt.datetime) -> dt.datetime:
    if timezone.is_naive(now):
        raise WuyeError("invalid_datetime", "a time zone is required", "須包含時區")
    return now


# --- enqueue ---------------------------------------------------------------------------


def _designated(customer_ids) -> dict[int, PersonContact]:
    return {
        c.customer_id: c
        for c in PersonContact.objects.filter(customer_id__in=customer_ids, is_designated=True)
    }


def _address(channel: str, contact: PersonContact | None, customer) -> str:
    """The designated contact's phone or e-mail (B1), else the customer's own."""
    field = "phone" if channel == Channel.SMS else "email"
    value = getattr(contact, field, "") if contact else ""
    return (value or getattr(customer, field, "") or "").strip()


def _create(message: Message, *, at: dt.datetime, actor: str, note: str = "") -> bool:
    """Insert a new message unless its idempotency key exists (True: created)."""
    to = message.status
    message.status = ""
    try:
        with transaction.atomic():
            transition(message, to, at=at, actor=actor, note=note)
    except IntegrityError:
        if Message.objects.filter(idempotency_key=message.idempotency_key).exists():
            return False
        raise
    return True


def reminder_text(notice: Notice, template: str = R1_REMINDER, *, text: str | None = None) -> str:
    """The R1 reminder for a notice: {年}{月} the latest overdue period, {金額} the notice's
    total, {賬號} {管理處} {電話} the project's bank account, name and phone. `text`: the
    template's text when the caller already loaded (and X1-checked) it."""
    periods = [line.period_start for line in notice.lines.all()]
    latest = max(periods) if periods else notice.issued_on
    project = notice.project
    return fill(
        text if text is not None else load_template(template),
        {
            "年": str(latest.year),
            "月": str(latest.month),
            "金額": fmt(notice.total),
            "賬號": project.bank_account,
            "管理處": project.name,
            "電話": project.phone,
        },
    )


def enqueue_for_notices(notices, *, on: dt.date, actor: str) -> dict:
    """R1: one message per notice whose step is an SMS or an e-mail, to the designated
    contact, with the reminder text filled in; idempotent (key: the notice number). A
    notice without a phone number / address gets a failed message saying so."""
    now = timezone.now()  # a record timestamp, not a business date
    counts = {"created": 0, "existing": 0, "no_recipient": 0}
    notices = [n for n in notices if n.action in _MESSAGE_ACTIONS]
    if not notices:
        return counts
    ids = [n.pk for n in notices]
    notices = list(
        Notice.objects.filter(pk__in=ids)
        .exclude(status__in=[Notice.Status.CANCELLED, Notice.Status.VOID])
        .select_related("project", "customer", "step")
        .prefetch_related("lines")
        .order_by("number")
    )
    contacts = _designated({n.customer_id for n in notices})
    existing = set(
        Message.objects.filter(
            idempotency_key__in=[f"notice:{n.number}" for n in notices]
        ).values_list("idempotency_key", flat=True)
    )
    texts: dict[str, str] = {}
    fresh: list[tuple[Message, str]] = []
    for notice in notices:
        key = f"notice:{notice.number}"
        if key in existing:
            counts["existing"] += 1
            continue
        channel = _MESSAGE_ACTIONS[notice.action]
        template = notice.step.template if notice.step.template.endswith(".txt") else R1_REMINDER
        if template not in texts:
            texts[template] = load_template(template)  # read and X1-checked once per call
        recipient = _address(channel, contacts.get(notice.customer_id), notice.customer)
        message = Message(
            project=notice.project,
            account_id=notice.account_id,
            notice=notice,
            channel=channel,
            recipient=recipient,
            subject=notice.step.name if channel == Channel.EMAIL else "",
            body=reminder_text(notice, template, text=texts[template]),
            idempotency_key=key,
            status=S.QUEUED if recipient else S.FAILED,
            next_attempt_at=_start_of(on, notice.project),
            queued_at=now,
            created_by=actor,
        )
        if not recipient:
            what = "phone number" if channel == Channel.SMS else "e-mail address"
            message.last_error = (
                f"no {what} for the designated contact of {notice.customer.code} "
                f"(指定負責人沒有{'手機號碼' if channel == Channel.SMS else '電郵地址'})"
            )
        fresh.append((message, f"notice {notice.number}"))
    for message, _ in fresh:
        counts["created" if message.recipient else "no_recipient"] += 1
    try:  # one insert for the lot; a key taken meanwhile falls back to one at a time
        with transaction.atomic():
            Message.objects.bulk_create([m for m, _ in fresh], batch_size=1000)
            MessageEvent.objects.bulk_create(
                [MessageEvent(message=m, from_status="", to_status=m.status, at=now, actor=actor,
                              note=note) for m, note in fresh],
                batch_size=1000,
            )  # fmt: skip
    except IntegrityError:
        for message, note in fresh:
            message.pk = None
            if not _create(message, at=now, actor=actor, note=note):
                counts["created" if message.recipient else "no_recipient"] -= 1
                counts["existing"] += 1
    return counts


def enqueue_for_date(*, on: dt.date, actor: str, project_code: str | None = None) -> dict:
    """The scheduler's step after a dunning run: messages for the SMS and e-mail notices
    issued on a date."""
    notices = Notice.objects.filter(issued_on=on, action__in=list(_MESSAGE_ACTIONS))
    if project_code:
        if not Project.objects.filter(code=project_code).exists():
            raise NotFound("project", project_code)
        notices = notices.filter(project__code=project_code)
    return enqueue_for_notices(list(notices), on=on, actor=actor)


# --- M5 broadcasts ---------------------------------------------------------------------


def broadcast(
    *,
    project_code: str,
    on: dt.date,
    actor: str,
    text: str | None = None,
    template: str | None = None,
    building_code: str | None = None,
    channel: str = Channel.SMS,
    subject: str = "",
) -> Broadcast:
    """M5: an information message to every account of a project (or a building) in
    occupancy on `on` whose payer has a designated contact with a phone (or e-mail). A
    recipient gets it once even when the payer has several units. X1: a text that
    threatens to cut water, electricity, heating or gas is refused."""
    if channel not in Channel.values:
        raise WuyeError("invalid_channel", f"channel '{channel}' is not sms or email")
    project = Project.objects.filter(code=project_code).first()
    if project is None:
        raise NotFound("project", project_code)
    if bool(text) == bool(template):
        raise WuyeError(
            "broadcast_text",
            "give the text or a template (one of them)",
            "須提供內容或範本（其一）",
        )
    if template:
        body = fill(
            load_template(template),
            {"管理處": project.name, "電話": project.phone, "賬號": project.bank_account},
        )
    else:
        body = text.strip()
    if not body:
        raise WuyeError("broadcast_text", "the message is empty", "訊息內容為空")
    refuse_supply_threats(body, what="broadcast message")  # rule X1
    accounts = Account.objects.filter(project=project, start_date__lte=on).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=on)
    )
    building = None
    if building_code:
        building = project.buildings.filter(code=building_code).first()
        if building is None:
            raise NotFound("building", f"{project_code}-{building_code}")
        accounts = accounts.filter(unit__building=building)
    accounts = list(accounts.select_related("customer").order_by("code"))
    contacts = _designated({a.customer_id for a in accounts})
    now = timezone.now()
    with transaction.atomic():
        row = Broadcast.objects.create(
            project=project, building=building, channel=channel, subject=subject, body=body,
            on=on, created_by=actor, created_at=now,
        )  # fmt: skip
        seen: set[str] = set()
        created = skipped = 0
        for account in accounts:
            contact = contacts.get(account.customer_id)
            recipient = _address(channel, contact, account.customer) if contact else ""
            if not recipient:
                skipped += 1
                continue
            if recipient in seen:  # one payer, several units: one message
                continue
            seen.add(recipient)
            message = Message(
                project=project, account=account, broadcast=row, channel=channel,
                recipient=recipient, subject=subject, body=body,
                idempotency_key=f"broadcast:{row.pk}:{account.code}", status=S.QUEUED,
                next_attempt_at=_start_of(on, project), queued_at=now, created_by=actor,
            )  # fmt: skip
            created += _create(message, at=now, actor=actor, note=f"broadcast {row.pk}")
        row.messages_created = created
        row.skipped_no_contact = skipped
        row.save(update_fields=["messages_created", "skipped_no_contact"])
    return row


# --- sending ---------------------------------------------------------------------------


class _Policies:
    """The policies of each project, read once per send run."""

    def __init__(self):
        self._cache: dict[tuple[str, int], object] = {}

    def __call__(self, key: str, project_id: int):
        if (key, project_id) not in self._cache:
            self._cache[(key, project_id)] = policy(key, project_id=project_id)
        return self._cache[(key, project_id)]


def send_pending(
    *,
    now: dt.datetime,
    provider: SmsProvider | None = None,
    email_provider: SmsProvider | None = None,
    limit: int | None = None,
    actor: str = "system",
) -> dict:
    """Send the queued messages that are due at `now`, honouring quiet hours and the
    frequency cap (policies quiet_hours, max_messages_per_week), retrying with
    exponential backoff up to message_max_attempts; returns counts per outcome."""
    now = _aware(now)
    sms = provider or default_sms_provider()
    email = email_provider or default_email_provider()
    policies = _Policies()
    counts = {k: 0 for k in ("sent", "failed", "retry", "unknown", "held", "waiting",
                             "cancelled", "skipped")}  # fmt: skip
    counts["unknown"] += _park_stale(now=now, actor=actor, policies=policies)
    due = (
        Message.objects.filter(status=S.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", "channel")
    )
    held = {c for c, p in ((Channel.SMS, sms), (Channel.EMAIL, email)) if getattr(p, "holds", 0)}
    if held:
        counts["held"] = due.filter(channel__in=held).count()
        due = due.exclude(channel__in=held)
    for pk, channel in list(due[:limit] if limit else due):
        claimed = _claim(pk, now=now, actor=actor, policies=policies)
        if isinstance(claimed, str):
            counts[claimed] += 1
            continue
        try:
            result = (email if channel == Channel.EMAIL else sms).send(claimed)
        except Exception as error:
            # a provider's own bug or an unforeseen error (issue 8): the message may have
            # gone out, so it is parked for review like a timeout after sending, and the
            # run goes on with the other messages
            result = SendResult(
                Outcome.UNKNOWN, error=f"the provider failed: {type(error).__name__} {error}"
            )
        counts[_record(claimed.pk, result, now=now, actor=actor, policies=policies)] += 1
    return counts


def _claim(pk: int, *, now: dt.datetime, actor: str, policies: _Policies) -> Message | str:
    """Take one due message for sending (queued → sending) in a short transaction. A row
    another sender holds is skipped (PostgreSQL: SKIP LOCKED; SQLite serialises writers),
    and the status check makes a message claimed once. Quiet hours or the cap move its
    next attempt instead; a message whose notice is no longer live is cancelled (F1)."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=pk, status=S.QUEUED, next_attempt_at__lte=now)
            .first()
        )
        if message is None:
            return "skipped"
        if message.notice_id:
            notice = Notice.objects.only("status", "end_reason").get(pk=message.notice_id)
            if notice.status in (Notice.Status.CANCELLED, Notice.Status.VOID,
                                 Notice.Status.CLOSED):  # fmt: skip
                transition(message, S.CANCELLED, at=now, actor=actor,
                           note=f"notice {notice.status}: {notice.end_reason}")  # fmt: skip
                return "cancelled"
        # per account, one claim at a time: the cap counts what the others sent
        Account.objects.select_for_update().filter(pk=message.account_id).exists()
        wait, why = _wait_until(message, now, policies)
        if wait is not None:
            message.next_attempt_at = wait
            message.last_error = f"waiting: {why} until {wait.isoformat()}"
            message.save(update_fields=["next_attempt_at", "last_error"])
            return "waiting"
        return transition(message, S.SENDING, at=now, actor=actor, claimed_at=now)


def _wait_until(
    message: Message, now: dt.datetime, policies: _Policies
) -> tuple[dt.datetime | None, str]:
    project = Project.objects.only("time_zone").get(pk=message.project_id)
    quiet = schedule.parse_quiet_hours(policies("quiet_hours", message.project_id))
    until = schedule.quiet_until(now.astimezone(_zone(project)), quiet)
    if until is not None:
        return until, "quiet hours"
    cap = policies("max_messages_per_week", message.project_id)
    recent = Message.objects.filter(account_id=message.account_id).filter(
        Q(sent_at__gt=now - CAP_WINDOW, sent_at__lte=now)
        | Q(status=S.SENDING, claimed_at__gt=now - CAP_WINDOW)
    )
    times = [sent or claimed for sent, claimed in recent.values_list("sent_at", "claimed_at")]
    until = schedule.cap_wait_until(times, now, cap=cap, window=CAP_WINDOW)
    if until is not None:
        return until, f"at most {cap} messages a week"
    return None, ""


def _record(
    pk: int, result: SendResult, *, now: dt.datetime, actor: str, policies: _Policies
) -> str:
    """The provider's answer: sent, failed for good, retry later (or give up after the
    maximum attempts), unknown (parked for review) or held (back to queued)."""
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=pk)
        if result.status == Outcome.HELD:
            transition(message, S.QUEUED, at=now, actor=actor, note=result.error)
            return "held"
        attempts = message.attempts + 1
        if result.status == Outcome.SENT:
            transition(message, S.SENT, at=now, actor=actor, attempts=attempts, sent_at=now,
                       provider_message_id=result.provider_id[:120], last_error="")  # fmt: skip
            return "sent"
        error = result.error[:500]
        if result.status == Outcome.UNKNOWN:
            transition(message, S.UNKNOWN, at=now, actor=actor, note="parked for review",
                       attempts=attempts, sent_at=now, last_error=error)  # fmt: skip
            return "unknown"
        if result.status == Outcome.RETRY:
            if attempts < policies("message_max_attempts", message.project_id):
                base = dt.timedelta(minutes=policies("message_retry_minutes", message.project_id))
                later = now + schedule.backoff(attempts, base=base)
                transition(message, S.QUEUED, at=now, actor=actor, note=f"retry at {later}",
                           attempts=attempts, next_attempt_at=later, last_error=error)  # fmt: skip
                return "retry"
            error = f"gave up after {attempts} attempts: {error}"[:500]
        transition(message, S.FAILED, at=now, actor=actor, attempts=attempts, last_error=error)
        return "failed"


def _park_stale(*, now: dt.datetime, actor: str, policies: _Policies) -> int:
    """A message left in `sending` (the sender stopped mid-call) may have gone out: it is
    parked for review like an unknown outcome, never picked up again by itself."""
    count = 0
    for message in Message.objects.filter(status=S.SENDING).order_by("id"):
        minutes = policies("message_claim_timeout_minutes", message.project_id)
        if message.claimed_at and message.claimed_at > now - dt.timedelta(minutes=minutes):
            continue
        with transaction.atomic():
            locked = Message.objects.select_for_update().get(pk=message.pk)
            if locked.status != S.SENDING:
                continue
            transition(locked, S.UNKNOWN, at=now, actor=actor, sent_at=locked.claimed_at,
                       last_error="the sender stopped while sending: outcome unknown")  # fmt: skip
            count += 1
    return count


# --- review and delivery reports --------------------------------------------------------

RESOLUTIONS = ("sent", "resend", "failed")


def review_unknown(
    message_id: int | str, *, resolution: str, actor: str, now: dt.datetime | None = None
) -> Message:
    """A person decides a message whose outcome was unknown: `sent` (the client has it:
    logged on the account), `resend` (queued again with the same idempotency key, so a
    gateway that did get it does not deliver twice) or `failed`."""
    if resolution not in RESOLUTIONS:
        raise WuyeError(
            "invalid_resolution",
            f"resolution '{resolution}' is not one of {', '.join(RESOLUTIONS)}",
            f"處理結果「{resolution}」無效（{'、'.join(RESOLUTIONS)}）",
        )
    now = _aware(now or timezone.now())
    with transaction.atomic():
        try:
            message = Message.objects.select_for_update().get(pk=int(message_id))
        except (ValueError, Message.DoesNotExist):
            raise NotFound("message", str(message_id)) from None
        if message.status != S.UNKNOWN:
            raise WuyeError(
                "message_not_unknown",
                f"message {message.pk} is {message.status}, not waiting for review",
                f"短信 {message.pk} 狀態為「{message.get_status_display()}」，不需覆核",
            )
        review = {"reviewed_by": actor, "reviewed_at": now, "resolution": resolution}
        note = f"reviewed: {resolution}"
        if resolution == "sent":
            return transition(message, S.SENT, at=now, actor=actor, note=note, **review)
        if resolution == "resend":
            return transition(message, S.QUEUED, at=now, actor=actor, note=note,
                              next_attempt_at=now, **review)  # fmt: skip
        return transition(message, S.FAILED, at=now, actor=actor, note=note, **review)


def record_delivery_report(
    *, provider_message_id: str, delivered: bool, at: dt.datetime, error: str = ""
) -> Message:
    """The gateway's delivery report for a sent message: delivered, or failed."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(provider_message_id=provider_message_id, status=S.SENT)
            .first()
        )
        if message is None:
            raise NotFound("sent message", provider_message_id)
        if delivered:
            return transition(message, S.DELIVERED, at=at, actor="gateway", delivered_at=at)
        return transition(message, S.FAILED, at=at, actor="gateway", last_error=error[:500])
