"""E-mail through Django's SMTP backend against an aiosmtpd server the test starts on
127.0.0.1 (issue 5 Channels): same outbox, same single send per key."""

from __future__ import annotations

import email
import email.policy

import pytest

from wuye.dunning.models import Contact
from wuye.messaging.models import Message
from wuye.messaging.providers import SmtpEmailProvider
from wuye.messaging.services import enqueue_for_notices, send_pending
from wuye.messaging.tests.conftest import free_port
from wuye.messaging.tests.helpers import RUN_DAY, accounts_with_phones, at, notices_for

S = Message.Status


@pytest.mark.django_db
def test_an_email_notice_is_mailed_once_to_the_designated_contact(smtp_server):
    """R1 by e-mail: the reminder goes to the designated contact's address, with the
    idempotency key as a header; a second send run mails nothing."""
    (account,) = accounts_with_phones(action="email")
    notices = notices_for([account])  # the run enqueues the step's message
    assert enqueue_for_notices(notices, on=RUN_DAY, actor="fin")["existing"] == 1
    provider = SmtpEmailProvider(host="127.0.0.1", port=smtp_server.port, timeout=5,
                                 from_address="billing@wuye.example")  # fmt: skip
    assert send_pending(now=at(RUN_DAY, 9), email_provider=provider)["sent"] == 1
    assert send_pending(now=at(RUN_DAY, 11), email_provider=provider)["sent"] == 0
    (envelope,) = smtp_server.envelopes
    assert envelope.rcpt_tos == ["owner0@example.com"]
    mail = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    message = Message.objects.get()
    assert mail["Idempotency-Key"] == message.idempotency_key == f"notice:{notices[0].number}"
    assert mail["Subject"] == "物業費催繳提醒"
    assert "您戶已欠繳物業費2503.75元" in mail.get_content()
    assert message.status == S.SENT
    assert Contact.objects.filter(account=account, channel="email").count() == 1


@pytest.mark.django_db
def test_an_unreachable_mail_server_means_retry():
    (account,) = accounts_with_phones(action="email")
    enqueue_for_notices(notices_for([account]), on=RUN_DAY, actor="fin")
    provider = SmtpEmailProvider(host="127.0.0.1", port=free_port(), timeout=2)
    assert send_pending(now=at(RUN_DAY, 9), email_provider=provider)["retry"] == 1
    assert Message.objects.get().status == S.QUEUED
