"""Two senders at once never send one message twice (issue 5 Channels): the claim takes
a row lock that the other sender skips (SELECT … FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from wuye.messaging.models import Message
from wuye.messaging.providers import HttpGatewayProvider
from wuye.messaging.services import broadcast, send_pending
from wuye.messaging.tests.helpers import RUN_DAY, accounts_with_phones, at


@pytest.mark.postgres_only(
    reason="SKIP LOCKED and truly parallel writers; SQLite serialises writers anyway"
)
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_message_once(gateway):
    accounts_with_phones(6)
    broadcast(project_code="HT", text="電梯保養通知", on=RUN_DAY, actor="cs")
    gateway.default = "slow"
    provider = HttpGatewayProvider(gateway.url, timeout=5)
    results, errors = [], []

    def sender():
        try:
            results.append(send_pending(now=at(RUN_DAY, 10), provider=provider))
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    keys = gateway.keys()
    assert len(keys) == len(set(keys)) == 6
    assert sum(r["sent"] for r in results) == 6
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
