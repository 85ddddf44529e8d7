"""Template filters for the staff pages: amounts and dates as Chinese users expect
(issue 6): 12,345.67 with thousands separators, never a float; 2026年11月27日."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def money(value) -> str:
    """12345.6 → '12,345.60'; '' for None. Exact: Decimal in, two places out."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return str(value)
    return f"{amount:,.2f}"


@register.filter
def phone(value, full=False) -> str:
    """A client's phone number: in full when `full` (the viewer's role needs it on the
    project, wuye.web.pii), else masked ('138****5678'); masked when not told."""
    from wuye.web.pii import mask_phone

    return (value if full else mask_phone(value)) or ""


@register.filter
def cdate(value) -> str:
    """A date as 2026年11月27日 in Chinese, 2026-11-27 in English."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    if (get_language() or "zh-hant").startswith("en"):
        return value.isoformat()
    return f"{value.year}年{value.month}月{value.day}日"


@register.filter
def ctime(value) -> str:
    """A datetime in the server's time zone as 2026年11月27日 14:05."""
    if not value:
        return ""
    from django.utils import timezone

    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{cdate(local.date())} {local:%H:%M}"
