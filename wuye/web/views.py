"""Staff pages (issue 6, first page): the day's list. Views are thin: they call the same
selectors as the command line and render them (STYLE §9)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from wuye.approvals.selectors import approvals
from wuye.billing.delivery import delivery_worklist, pending_handovers
from wuye.billing.disputes import open_disputes
from wuye.collection.selectors import call_worklist
from wuye.dates import parse_date
from wuye.dunning.models import Action, Notice
from wuye.dunning.notices import notice_worklist
from wuye.errors import WuyeError

SHOWN = 50  # rows per list on this page; the lists' own pages page through the rest


@login_required
def today(request):
    """Today's list: what waits to be signed for, delivered, called, approved, resolved."""
    now = dt.datetime.now(ZoneInfo(settings.TIME_ZONE))  # the outer edge reads the clock
    on = now.date()
    if request.GET.get("on"):
        try:
            on = parse_date(request.GET["on"], field="on")
        except WuyeError as error:
            return render(request, "web/today.html", {"error": error.message_zh}, status=400)
    at = now.time() if on == now.date() else dt.time(10, 0)
    lists = {
        "handovers": pending_handovers(on=on, at=at),
        "deliveries": [r for r in delivery_worklist(on=on) if not r["cancelled"]],
        "notices": notice_worklist(on=on),
        "calls": call_worklist(on=on, at=at),
        "escalations": list(
            Notice.objects.filter(action=Action.ESCALATION, status=Notice.Status.OPEN)
            .select_related("account__unit", "step")
            .order_by("issued_on", "number")[:SHOWN]
        ),
        "approvals": list(approvals(status="requested")[:SHOWN]),
        "disputes": open_disputes(as_of=on),
    }
    counts = {name: len(rows) for name, rows in lists.items()}
    shown = {name: rows[:SHOWN] for name, rows in lists.items()}
    return render(request, "web/today.html", {"on": on, "counts": counts, **shown})
