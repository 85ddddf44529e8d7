"""The outbox and the SMS gateway (issue 5 Channels; rules R1, M5, X1, the quiet hours
and frequency defaults of RULES.md): enqueue from real notices, send once per key,
retry with backoff, park an unknown outcome for review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from wuye.dunning.models import Contact
from wuye.errors import WuyeError
from wuye.messaging.models import Message
from wuye.messaging.providers import HttpGatewayProvider, OutboxOnlyProvider
from wuye.messaging.services import (
    broadcast,
    enqueue_for_notices,
    record_delivery_report,
    review_unknown,
    send_pending,
)
from wuye.messaging.tests.conftest import free_port
from wuye.messaging.tests.helpers import RUN_DAY, accounts_with_phones, at, notices_for
from wuye.payments.services import record_payment

D = dt.date
S = Message.Status
TEN = at(RUN_DAY, 10)


def gateway_provider(gateway, timeout: float = 5.0) -> HttpGatewayProvider:
    return HttpGatewayProvider(gateway.url, key="k-test", secret="s-test", timeout=timeout)


def one_broadcast(text: str = "本週六上午九時清洗水池，請業主留意。", *, on: dt.date = RUN_DAY):
    return broadcast(project_code="HT", text=text, on=on, actor="cs")


@pytest.mark.django_db
def test_sms_notice_becomes_one_r1_message_sent_once_and_logged_on_the_account(gateway):
    """R1: the reminder text with its placeholders filled; the gateway sees the
    idempotency key in the header and the body; enqueuing and sending again changes
    nothing; the sent message is a Contact row on the account (X2 evidence)."""
    (account,) = accounts_with_phones()
    (notice,) = notices_for([account])
    assert notice.action == "sms"

    assert Message.objects.filter(notice=notice).count() == 1  # the run enqueued it
    assert enqueue_for_notices([notice], on=RUN_DAY, actor="fin") == {
        "created": 0, "existing": 1, "no_recipient": 0,
    }  # fmt: skip
    message = Message.objects.get()
    assert message.recipient == "13800000000"
    assert message.idempotency_key == f"notice:{notice.number}"
    assert message.body == (
        f"尊敬的業主，至2026年3月您戶已欠繳物業費{notice.total}元，請盡快到物業服務中心繳交，"
        "或者匯至公司賬號：3602 0000 0000 0001，以免增加額外的違約金。多謝合作！"
        "匯通商業大廈　電話：020-8888 0001"
    )
    assert notice.total == Decimal("2503.75")  # 2,500 + 3 days × 0.5‰ (L1)

    provider = gateway_provider(gateway)
    assert send_pending(now=TEN, provider=provider)["sent"] == 1
    assert send_pending(now=TEN + dt.timedelta(hours=1), provider=provider)["sent"] == 0
    assert gateway.keys() == [message.idempotency_key]
    request = gateway.requests[0]
    assert request["body"]["idempotency_key"] == message.idempotency_key
    assert request["body"]["to"] == "13800000000"
    assert request["headers"]["X-Api-Key"] == "k-test"
    assert request["headers"]["X-Signature"].startswith("sha256=")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_message_id) == (S.SENT, 1, "gw-1")
    contact = Contact.objects.get(account=account, channel="sms")
    assert (contact.notice_id, contact.on, contact.result) == (notice.pk, RUN_DAY, "posted")
    assert [e.to_status for e in message.events.order_by("id")] == ["queued", "sending", "sent"]

    record_delivery_report(provider_message_id="gw-1", delivered=True, at=TEN)
    message.refresh_from_db()
    assert (message.status, message.delivered_at) == (S.DELIVERED, TEN)


@pytest.mark.django_db
def test_notice_without_a_phone_gets_a_failed_message_saying_so(gateway):
    """R1: a designated contact without a phone number cannot be messaged; the outbox
    says so instead of dropping the step."""
    (account,) = accounts_with_phones(phone=False)
    account.customer.phone = ""
    account.customer.save(update_fields=["phone"])
    notices_for([account])  # the run enqueues the step's message
    message = Message.objects.get()
    assert message.status == S.FAILED
    assert "no phone number" in message.last_error
    send_pending(now=TEN, provider=gateway_provider(gateway))
    assert gateway.requests == []


@pytest.mark.django_db
def test_a_server_error_is_retried_with_backoff_under_the_same_key(gateway):
    """Channels: a 5xx means not sent; the next try waits 5, then 10 minutes (policy
    message_retry_minutes, doubling) and carries the same idempotency key."""
    accounts_with_phones()
    one_broadcast()
    gateway.plan = ["500", "500", "200"]
    provider = gateway_provider(gateway)
    assert send_pending(now=TEN, provider=provider)["retry"] == 1
    message = Message.objects.get()
    assert message.next_attempt_at == TEN + dt.timedelta(minutes=5)
    assert send_pending(now=TEN + dt.timedelta(minutes=4), provider=provider)["retry"] == 0
    assert send_pending(now=TEN + dt.timedelta(minutes=5), provider=provider)["retry"] == 1
    message.refresh_from_db()
    assert message.next_attempt_at == TEN + dt.timedelta(minutes=15)
    assert send_pending(now=TEN + dt.timedelta(minutes=15), provider=provider)["sent"] == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (S.SENT, 3)
    assert gateway.keys() == [message.idempotency_key] * 3


@pytest.mark.django_db
def test_retries_stop_after_the_maximum_attempts(gateway):
    """Channels: after message_max_attempts (5) failed tries the message fails."""
    accounts_with_phones()
    one_broadcast()
    gateway.plan = ["500"] * 10
    provider = gateway_provider(gateway)
    now = TEN
    for _ in range(5):
        send_pending(now=now, provider=provider)
        message = Message.objects.get()
        now = message.next_attempt_at or now
    assert (message.status, message.attempts) == (S.FAILED, 5)
    assert message.last_error.startswith("gave up after 5 attempts")
    assert len(gateway.requests) == 5


@pytest.mark.django_db
def test_a_client_error_fails_at_once_without_retry(gateway):
    accounts_with_phones()
    one_broadcast()
    gateway.plan = ["400"]
    provider = gateway_provider(gateway)
    assert send_pending(now=TEN, provider=provider)["failed"] == 1
    assert send_pending(now=TEN + dt.timedelta(days=1), provider=provider)["sent"] == 0
    message = Message.objects.get()
    assert (message.status, message.last_error[:8]) == (S.FAILED, "HTTP 400")
    assert len(gateway.requests) == 1


@pytest.mark.django_db
def test_connection_refused_is_retried_later():
    accounts_with_phones()
    one_broadcast()
    provider = HttpGatewayProvider(f"http://127.0.0.1:{free_port()}/sms", timeout=2)
    assert send_pending(now=TEN, provider=provider)["retry"] == 1
    assert Message.objects.get().last_error.startswith("not sent")


@pytest.mark.django_db
def test_a_timeout_after_sending_is_parked_for_review_and_never_resent_blindly(gateway):
    """Channels: the gateway got the request but no answer came in time: outcome unknown,
    parked; later runs leave it alone; a reviewer's `resend` sends it again with the same
    key (the gateway can recognise it); `sent` logs it on the account."""
    (account,) = accounts_with_phones()
    one_broadcast()
    gateway.plan = ["sleep"]
    provider = gateway_provider(gateway, timeout=0.5)
    assert send_pending(now=TEN, provider=provider)["unknown"] == 1
    message = Message.objects.get()
    assert message.status == S.UNKNOWN
    assert "no answer after sending" in message.last_error
    for hours in (1, 24, 24 * 8):
        assert send_pending(now=TEN + dt.timedelta(hours=hours), provider=provider)["sent"] == 0
    assert len(gateway.requests) == 1
    assert not Contact.objects.filter(account=account).exists()

    review_unknown(message.pk, resolution="resend", actor="supervisor", now=TEN)
    message.refresh_from_db()
    assert (message.status, message.reviewed_by, message.resolution) == (
        S.QUEUED, "supervisor", "resend",
    )  # fmt: skip
    assert send_pending(now=TEN + dt.timedelta(hours=2), provider=provider)["sent"] == 1
    assert gateway.keys() == [message.idempotency_key] * 2
    assert Contact.objects.filter(account=account, channel="sms").count() == 1

    with pytest.raises(WuyeError) as error:
        review_unknown(message.pk, resolution="sent", actor="supervisor", now=TEN)
    assert error.value.code == "message_not_unknown"


@pytest.mark.django_db
def test_review_as_sent_logs_the_message_on_the_account(gateway):
    (account,) = accounts_with_phones()
    one_broadcast()
    gateway.plan = ["sleep"]
    send_pending(now=TEN, provider=gateway_provider(gateway, timeout=0.5))
    message = Message.objects.get()
    review_unknown(message.pk, resolution="sent", actor="supervisor", now=TEN)
    message.refresh_from_db()
    assert message.status == S.SENT
    assert Contact.objects.filter(account=account, channel="sms").count() == 1


@pytest.mark.django_db
def test_a_message_due_in_quiet_hours_waits_until_eight(gateway):
    """Defaults: quiet hours 21:00–08:00 in the project's time zone (Asia/Shanghai)."""
    accounts_with_phones()
    one_broadcast()
    provider = gateway_provider(gateway)
    assert send_pending(now=at(RUN_DAY, 22), provider=provider)["waiting"] == 1
    message = Message.objects.get()
    assert message.next_attempt_at == at(RUN_DAY + dt.timedelta(days=1), 8)
    assert send_pending(now=at(RUN_DAY + dt.timedelta(days=1), 7, 59), provider=provider) == {
        **dict.fromkeys(["sent", "failed", "retry", "unknown", "held", "waiting", "cancelled",
                         "skipped"], 0),
    }  # fmt: skip
    assert send_pending(now=at(RUN_DAY + dt.timedelta(days=1), 8), provider=provider)["sent"] == 1
    assert len(gateway.requests) == 1
    # the same holds at 07:00 (before the quiet hours end on the same day)
    one_broadcast(on=RUN_DAY + dt.timedelta(days=2))
    send_pending(now=at(RUN_DAY + dt.timedelta(days=2), 7), provider=provider)
    waiting = Message.objects.get(status=S.QUEUED)
    assert waiting.next_attempt_at == at(RUN_DAY + dt.timedelta(days=2), 8)


@pytest.mark.django_db
def test_a_third_message_in_a_week_waits_for_the_frequency_cap(gateway):
    """R1/defaults: at most 2 messages to an account in any 7 days; a third waits until
    the first leaves the window."""
    accounts_with_phones()
    for text in ("通知一", "通知二", "通知三"):
        one_broadcast(text)
    provider = gateway_provider(gateway)
    counts = send_pending(now=TEN, provider=provider)
    assert (counts["sent"], counts["waiting"]) == (2, 1)
    third = Message.objects.get(status=S.QUEUED)
    assert third.next_attempt_at == TEN + dt.timedelta(days=7)
    assert "at most 2 messages a week" in third.last_error
    assert send_pending(now=TEN + dt.timedelta(days=6), provider=provider)["sent"] == 0
    assert send_pending(now=TEN + dt.timedelta(days=7), provider=provider)["sent"] == 1
    assert len(gateway.requests) == 3


@pytest.mark.django_db
def test_without_a_gateway_messages_stay_in_the_outbox():
    accounts_with_phones()
    one_broadcast()
    counts = send_pending(now=TEN, provider=OutboxOnlyProvider(), email_provider=None)
    assert counts["held"] == 1
    assert Message.objects.get().status == S.QUEUED


@pytest.mark.django_db
def test_a_message_for_a_debt_paid_before_sending_is_cancelled(gateway):
    """F1: a payment is seen at once; the reminder for a paid debt does not go out."""
    (account,) = accounts_with_phones()
    notices = notices_for([account])
    enqueue_for_notices(notices, on=RUN_DAY, actor="fin")
    record_payment(account=account, amount=notices[0].total, on=RUN_DAY, actor="fin")
    assert send_pending(now=TEN, provider=gateway_provider(gateway))["cancelled"] == 1
    assert Message.objects.get().status == S.CANCELLED
    assert gateway.requests == []


@pytest.mark.django_db
def test_broadcast_reaches_each_designated_contact_once_per_campaign():
    """M5: one message per account whose payer has a designated contact with a phone;
    the key is per broadcast and account, so a second campaign is a new message."""
    accounts = accounts_with_phones(3)
    accounts[2].customer.contacts.update(phone="")
    accounts[2].customer.phone = ""
    accounts[2].customer.save(update_fields=["phone"])
    row = one_broadcast()
    assert (row.messages_created, row.skipped_no_contact) == (2, 1)
    assert sorted(Message.objects.values_list("idempotency_key", flat=True)) == sorted(
        f"broadcast:{row.pk}:{a.code}" for a in accounts[:2]
    )
    assert one_broadcast().messages_created == 2
    assert Message.objects.count() == 4


@pytest.mark.django_db
def test_x1_a_broadcast_threatening_to_cut_supplies_is_refused():
    """X1 (《民法典》 art. 944): no message may threaten water, electricity, heating or gas."""
    accounts_with_phones()
    for text in ("欠費業主將被停水停電", "逾期未繳者暫停供暖", "下月起暂停供水", "將切斷電源"):
        with pytest.raises(WuyeError) as error:
            one_broadcast(text)
        assert error.value.code == "x1_supply_threat"
    assert not Message.objects.exists()
