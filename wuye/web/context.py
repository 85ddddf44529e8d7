"""Template context for every staff page: the navigation (only the pages that exist and
that the user's roles may use) and the languages to choose from."""

from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from wuye.web.access import roles_for

#: (URL name, label, roles that see the link; None: everyone)
NAV = [
    ("today", _("今日工作"), None),
    ("accounts", _("帳戶"), None),
    ("tasks", _("工作清單"), None),
    ("bill-run", _("出單"), {"finance"}),
    ("payment-new", _("收款"), {"finance", "collector"}),
    ("approvals", _("審批"), None),
    ("dunning-run", _("催繳運行"), {"finance", "supervisor"}),
    ("dashboard", _("統計圖表"), None),
    ("reports", _("報表"), None),
]


def staff(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": [], "languages": settings.LANGUAGES}
    held = roles_for(user)
    links = []
    for name, label, roles in NAV:
        if roles is not None and not (user.is_superuser or roles & held):
            continue
        try:
            links.append({"url": reverse(name), "label": label, "name": name})
        except NoReverseMatch:
            continue  # an area not installed
    return {"nav": links, "languages": settings.LANGUAGES, "my_roles": sorted(held)}
