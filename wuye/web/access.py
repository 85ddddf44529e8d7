"""Project-scoped access and the role table of RULES.md "Who may do what" (issue 6).
The web pages and the REST API both ask here: `projects_for(user)` is what a user may
see, `may(user, action, project)` whether they may do a money- or evidence-changing
action there. A superuser may see and do everything; the administrator role changes
configuration (Django admin), not money."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from wuye.errors import WuyeError
from wuye.properties.models import Project

#: action → the roles that may do it (RULES.md "Who may do what")
ACTIONS: dict[str, frozenset[str]] = {
    # finance: issue bills and notices, void and reissue, record payments, refunds
    "issue_bills": frozenset({"finance"}),
    "issue_notices": frozenset({"finance"}),
    "void_bill": frozenset({"finance"}),
    "record_payment": frozenset({"finance", "collector"}),  # collector: S2a evening round
    "refund": frozenset({"finance"}),
    # customer-service assistant: sign for bills/notices, deliveries, postings, calls,
    # visits, promises
    "sign_for": frozenset({"assistant"}),
    "record_delivery": frozenset({"assistant"}),
    "record_posting": frozenset({"assistant"}),
    "record_call": frozenset({"assistant", "collector"}),
    "record_visit": frozenset({"assistant", "collector"}),
    "record_dispute": frozenset({"assistant", "finance"}),
    # requests are raised by the staff who deal with the client; approved per approvals
    "request_approval": frozenset({"assistant", "finance", "collector", "supervisor"}),
    "approve": frozenset({"supervisor", "manager"}),
    # run the dunning run, trim its proposal: finance or supervisor
    "run_dunning": frozenset({"finance", "supervisor"}),
    # legal: lawyer letters and payment orders
    "legal": frozenset({"legal", "manager"}),
}


class Forbidden(WuyeError):
    """The user may not do this here (HTTP 403)."""


def roles_for(user, project: Project | int | None = None) -> set[str]:
    """The roles a user holds on a project (company-wide memberships count everywhere);
    without a project, every role the user holds anywhere."""
    if not user.is_authenticated:
        return set()
    memberships = user.memberships.all()
    if project is not None:
        project_id = project.pk if isinstance(project, Project) else project
        memberships = memberships.filter(Q(project_id=project_id) | Q(project__isnull=True))
    return set(memberships.values_list("role", flat=True))


def projects_for(user) -> QuerySet[Project]:
    """The projects a user may see: a superuser every one, a company-wide member every
    one, the others those they are members of."""
    projects = Project.objects.order_by("code")
    if not user.is_authenticated:
        return projects.none()
    if user.is_superuser or user.memberships.filter(project__isnull=True).exists():
        return projects
    return projects.filter(memberships__user=user).distinct()


def may(user, action: str, project: Project | int | None = None) -> bool:
    """Whether the user may do `action` on `project` (on any of theirs when None)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(ACTIONS[action] & roles_for(user, project))


def require(user, action: str, project: Project | int | None = None) -> None:
    """Raise `Forbidden` naming the roles that may do the action."""
    if not may(user, action, project):
        from wuye.web.roles import ROLES

        who = ACTIONS[action]
        raise Forbidden(
            "forbidden",
            f"{action} is for {', '.join(sorted(who))}; "
            f"{user.get_username()} does not hold that role on this project",
            f"此操作限{'、'.join(ROLES[r] for r in sorted(who))}；"
            f"{user.get_username()} 在此項目無此角色",
        )


def require_visible_bill(user, number: str | None) -> None:
    """A bill named in a form or a request body (a payment's designated bill, P1; the
    bill of an approval request) must be one of the user's projects: otherwise the same
    NotFound as for a number that does not exist, so that a user of one project learns
    nothing about another's bill numbers (issue 8; the services alone would answer
    "belongs to another account")."""
    from wuye.billing.models import Bill
    from wuye.errors import NotFound

    if number and not Bill.objects.filter(number=number, project__in=projects_for(user)).exists():
        raise NotFound("bill", number)


def approver_role(user, project: Project | int | None) -> str:
    """The highest approval role the user holds on the project ('' when none): the
    approvals services decide what that role may approve (by kind and amount)."""
    held = roles_for(user, project)
    if user.is_superuser or "manager" in held:
        return "manager"
    return "supervisor" if "supervisor" in held else ""
