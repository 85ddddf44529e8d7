"""Gapless numbers (bills, receipts, refunds): a counter row locked and advanced in the
caller's transaction, so a rolled-back write takes its numbers back with it."""

from __future__ import annotations

from django.db import transaction

from wuye.billing.models import NumberSequence


def reserve(key: str, count: int = 1) -> int:
    """Reserve `count` numbers under `key`; returns the last number used before them."""
    assert transaction.get_connection().in_atomic_block, "numbers are reserved in a transaction"
    NumberSequence.objects.get_or_create(key=key)
    sequence = NumberSequence.objects.select_for_update().get(key=key)
    base = sequence.last
    if count:
        NumberSequence.objects.filter(pk=sequence.pk).update(last=base + count)
    return base


def format_number(prefix: str, middle: str, value: int, width: int) -> str:
    return f"{prefix}-{middle}-{value:0{width}d}"
