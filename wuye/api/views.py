"""The REST API's endpoints (issue 6, docs/api.md). Each parses its input, checks what the
user may see and do (wuye.api.permissions: the staff pages' rules), calls the same
selector or service as the command line, and formats the result (STYLE §9)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import authenticate
from django.db.models import Count, Prefetch, Q
from django.http import JsonResponse
from django.utils import translation
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.authtoken.models import Token
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from wuye.api import serializers as s
from wuye.api.errors import body
from wuye.api.permissions import (
    in_view,
    project_named,
    require,
    require_visible_bill,
    roles_by_project,
    visible,
)
from wuye.api.selectors import in_arrears, with_balances
from wuye.billing.delivery import delivery_worklist, pending_handovers
from wuye.billing.models import Bill
from wuye.collection.selectors import call_worklist_slice
from wuye.dunning.models import Notice
from wuye.dunning.notices import notice_worklist
from wuye.dunning.services import run_dunning
from wuye.errors import NotFound, WuyeError
from wuye.ledger import selectors as ledger
from wuye.ledger.models import Entry
from wuye.ledger.statements import account_statement
from wuye.payments.models import Payment
from wuye.payments.services import record_payment
from wuye.properties.models import Account, Customer, Project, Unit
from wuye.properties.selectors import account_for_unit
from wuye.web.common import now
from wuye.web.pii import PHONE, Viewer, mask_rows

ERRORS = {
    400: OpenApiResponse(s.ErrorOutput, description="bad input (nothing written)"),
    401: OpenApiResponse(s.ErrorOutput, description="no or invalid token / session"),
    403: OpenApiResponse(s.ErrorOutput, description="your role may not do this here"),
    404: OpenApiResponse(s.ErrorOutput, description="not found or not in your projects"),
    409: OpenApiResponse(s.ErrorOutput, description="the service refused the state change"),
    429: OpenApiResponse(s.ErrorOutput, description="too many attempts: wait and retry"),
}


def responses(ok: dict, *codes: int) -> dict:
    return {**ok, **{code: ERRORS[code] for code in codes}}


class Cursor(CursorPagination):
    """Pages without COUNT(*): a cursor over a unique, indexed order (`?cursor=` from the
    `next` and `previous` links), `?limit=` up to 500."""

    ordering = "id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500


class ByCode(Cursor):
    ordering = "code"


class ByNumber(Cursor):
    ordering = "number"


class English:
    """DRF's own messages (field errors, 401, 405, …) in English; `message_zh` carries the
    Chinese (wuye.api.errors)."""

    def dispatch(self, request, *args, **kwargs):
        with translation.override("en"):
            return super().dispatch(request, *args, **kwargs)


def _today() -> dt.date:
    return now().date()  # the outer edge reads the clock


def _params(serializer_class, request) -> dict:
    return s.validated(serializer_class, request.query_params.dict())


def _actor(request) -> str:
    return request.user.get_username()


# --- token ---------------------------------------------------------------------------


class TokenView(English, APIView):
    """Exchange a user name and password for the user's API token (the same one as
    `wuye api token USER` prints)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]  # password guessing: REST_FRAMEWORK rates
    throttle_scope = "token"

    @extend_schema(
        operation_id="token_create",
        request=s.TokenInput,
        responses=responses({200: s.TokenOutput}, 400, 429),
        auth=[],
    )
    def post(self, request):
        data = s.validated(s.TokenInput, request.data)
        user = authenticate(request._request, username=data["username"],
                            password=data["password"])  # fmt: skip
        if user is None or not user.is_active:
            raise WuyeError(
                "invalid_credentials",
                "unable to log in with that user name and password",
                "用戶名稱或密碼不正確",
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key, "username": user.get_username()})


# --- projects, units, accounts -------------------------------------------------------


# 404: a `cursor` that is not one of the `next`/`previous` links (DRF's "Invalid cursor")
@extend_schema(responses=responses({200: s.ProjectSerializer}, 401, 404))
class ProjectList(English, generics.ListAPIView):
    """The projects (管理處) you may see, with the roles you hold on each."""

    serializer_class = s.ProjectSerializer
    pagination_class = ByCode

    def get_queryset(self):
        return visible(self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "roles": roles_by_project(self.request.user)}


@extend_schema(responses=responses({200: s.ProjectDetailSerializer}, 401, 404))
class ProjectDetail(English, generics.RetrieveAPIView):
    """One project with its buildings and number of units."""

    serializer_class = s.ProjectDetailSerializer

    def get_object(self):
        project = project_named(self.request.user, self.kwargs["code"])
        project = Project.objects.annotate(unit_count=Count("units")).get(pk=project.pk)
        project.buildings_list = list(project.buildings.order_by("code"))
        return project

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "roles": roles_by_project(self.request.user)}


@extend_schema(
    parameters=[s.UnitFilter], responses=responses({200: s.UnitSerializer}, 400, 401, 404)
)
class UnitList(English, generics.ListAPIView):
    """Units with their accounts (payers over time) and the payer on `on`."""

    serializer_class = s.UnitSerializer
    pagination_class = Cursor

    def get_queryset(self):
        self.filters = _params(s.UnitFilter, self.request)
        f = self.filters
        rows = in_view(Unit.objects.all(), self.request.user, project=f.get("project"))
        if f.get("building"):
            rows = rows.filter(building__code=f["building"])
        if f.get("q"):
            payers = Account.objects.filter(customer__name__icontains=f["q"]).values("unit_id")
            rows = rows.filter(Q(code__icontains=f["q"]) | Q(pk__in=payers))
        accounts = Account.objects.select_related("customer").order_by("start_date", "id")
        return rows.select_related("project", "building").prefetch_related(
            Prefetch("accounts", queryset=accounts)
        )

    def get_serializer_context(self):
        on = getattr(self, "filters", {}).get("on") or _today()
        return {**super().get_serializer_context(), "on": on}


def _accounts(user, on: dt.date, project: str | None = None):
    rows = in_view(Account.objects.all(), user, project=project)
    rows = rows.select_related("project", "unit__building", "customer")
    return with_balances(rows, on=on)


@extend_schema(
    parameters=[s.AccountFilter], responses=responses({200: s.AccountSerializer}, 400, 401, 404)
)
class AccountList(English, generics.ListAPIView):
    """Accounts (a payer of a unit over a period) with their balance and what of it is
    overdue on `on`; `in_arrears=true` for those owing something past its due date."""

    serializer_class = s.AccountSerializer
    pagination_class = Cursor

    def get_queryset(self):
        f = _params(s.AccountFilter, self.request)
        rows = _accounts(self.request.user, f.get("on") or _today(), f.get("project"))
        if f.get("q"):
            q = f["q"]
            rows = rows.filter(
                Q(code__icontains=q) | Q(unit__code__icontains=q) | Q(customer__name__icontains=q)
            )
        if f.get("in_arrears") is not None:
            rows = in_arrears(rows, f["in_arrears"])
        return rows


def _visible_account(user, pk: int, on: dt.date):
    account = _accounts(user, on).filter(pk=pk).first()
    if account is None:
        raise NotFound("account", str(pk))
    return account


@extend_schema(
    parameters=[s.OnFilter], responses=responses({200: s.AccountDetailSerializer}, 400, 401, 404)
)
class AccountDetail(English, generics.RetrieveAPIView):
    """One account: unit, customer and contacts, balance and overdue on `on`."""

    serializer_class = s.AccountDetailSerializer

    def get_object(self):
        on = _params(s.OnFilter, self.request).get("on") or _today()
        account = _visible_account(self.request.user, self.kwargs["pk"], on)
        account.customer = Customer.objects.prefetch_related("contacts").get(pk=account.customer_id)
        self.full_phone = Viewer(self.request.user).sees(PHONE, account.project_id)
        return account

    def get_serializer_context(self):
        # phones in full only for the roles that need them on the project (docs/privacy.md)
        return {
            **super().get_serializer_context(),
            "full_phone": getattr(self, "full_phone", False),
        }


@extend_schema(
    parameters=[s.OnFilter], responses=responses({200: s.StatementSerializer}, 400, 401, 404)
)
class AccountStatement(English, APIView):
    """The account's statement as of `on` (`wuye accounts show`): bills with late fees,
    waivers, payments and what is open; payments, refunds; balance by fee item and by age
    (E1); credit; notices and open escalations (G1); limitation dates (X2)."""

    def get(self, request, pk: int):
        on = _params(s.OnFilter, request).get("on") or _today()
        account = _visible_account(request.user, pk, on)
        statement = account_statement(account, as_of=on)
        return Response(s.StatementSerializer(statement).data)


# --- bills ---------------------------------------------------------------------------


def _bills(user, project: str | None = None):
    rows = in_view(Bill.objects.all(), user, project=project)
    return rows.select_related("project", "account__unit", "replaces")


@extend_schema(
    parameters=[s.BillFilter], responses=responses({200: s.BillSerializer}, 400, 401, 404)
)
class BillList(English, generics.ListAPIView):
    """Bills of your projects, by project, account, status and period."""

    serializer_class = s.BillSerializer
    pagination_class = Cursor

    def get_queryset(self):
        f = _params(s.BillFilter, self.request)
        rows = _bills(self.request.user, f.get("project"))
        if f.get("account"):
            rows = rows.filter(account_id=f["account"])
        if f.get("status"):
            rows = rows.filter(status=f["status"])
        if f.get("period"):
            rows = rows.filter(period_start=f["period"].start)
        return rows


@extend_schema(responses=responses({200: s.BillDetailSerializer}, 401, 404))
class BillDetail(English, generics.RetrieveAPIView):
    """One bill and its lines (`wuye bills show`)."""

    serializer_class = s.BillDetailSerializer

    def get_object(self):
        number = self.kwargs["number"]
        bill = _bills(self.request.user).filter(number=number).first()
        if bill is None:
            raise NotFound("bill", number)
        bill.sorted_lines = list(
            bill.lines.select_related("fee_item").order_by("fee_item__sort_order", "id")
        )
        return bill


# --- payments ------------------------------------------------------------------------


class PaymentList(English, generics.ListAPIView):
    """Payments of your projects; POST records one (P1 allocation, receipt number, and
    the F1 consequences for notices and tasks, as `wuye payments record`)."""

    serializer_class = s.PaymentSerializer
    pagination_class = Cursor

    def get_queryset(self):
        f = _params(s.PaymentFilter, self.request)
        rows = in_view(Payment.objects.all(), self.request.user, project=f.get("project"))
        if f.get("account"):
            rows = rows.filter(account_id=f["account"])
        return rows.select_related("project", "account__unit", "designated_bill", "reversal")

    @extend_schema(
        parameters=[s.PaymentFilter],
        responses=responses({200: s.PaymentSerializer}, 400, 401, 404),
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.PaymentInput,
        responses=responses({201: s.PaymentCreated}, 400, 401, 403, 404),
    )
    def post(self, request):
        data = s.validated(s.PaymentInput, request.data)
        user = request.user
        if "account" in data:
            account = in_view(Account.objects.all(), user).filter(pk=data["account"]).first()
            if account is None:
                raise NotFound("account", str(data["account"]))
        else:
            if not in_view(Unit.objects.all(), user).filter(code=data["unit"]).exists():
                raise NotFound("unit", data["unit"])
            account = account_for_unit(data["unit"], on=data["paid_on"])
        require(user, "record_payment", account.project_id)
        require_visible_bill(user, data["bill"])  # another project's bill: as unknown
        payment = record_payment(
            account=account,
            amount=data["amount"],
            on=data["paid_on"],
            actor=_actor(request),
            method=data["method"],
            reference=data["reference"],
            bill_number=data["bill"] or None,
            note=data["note"],
        )
        payment = Payment.objects.select_related("project", "account__unit", "designated_bill").get(
            pk=payment.pk
        )
        payment.allocations = [
            {"bill": e.bill.number, "fee_item": e.fee_item.code, "component": e.component,
             "amount": -e.amount}
            for e in Entry.objects.filter(payment=payment, bill__isnull=False)
            .select_related("bill", "fee_item")
            .order_by("id")
        ]  # fmt: skip
        payment.credit = ledger.credit(account.pk)
        payment.balance = ledger.balance(account.pk)
        return Response(s.PaymentCreated(payment).data, status=status.HTTP_201_CREATED)


# --- dunning -------------------------------------------------------------------------


def _dunning(request, *, dry_run: bool) -> dict:
    data = s.validated(s.DunningInput, request.data)
    project = project_named(request.user, data["project"])
    require(request.user, "run_dunning", project)
    run = run_dunning(
        as_of=data["on"], actor=_actor(request), project_code=project.code, dry_run=dry_run
    )
    if dry_run:
        lines = sorted(run._dry_lines, key=lambda line: (line.account.unit.code, line.pk or 0))
    else:
        lines = list(
            run.lines.select_related("account__unit", "step").order_by("account__unit__code", "id")
        )
    return {
        "proposal": None if dry_run else run.pk,
        "as_of": run.as_of,
        "project": project.code,
        "status": "dry_run" if dry_run else run.status,
        "dry_run": dry_run,
        "lines": lines,
        "notices_created": run.notices_created,
        "episodes_closed": run.episodes_closed,
    }


class DunningPreview(English, APIView):
    """What a dunning run for the project and date would do (E2, G1): the proposal of
    `wuye dunning run --dry-run`, nothing written."""

    @extend_schema(
        request=s.DunningInput,
        responses=responses({200: s.DunningOutput}, 400, 401, 403, 404, 409),
    )
    def post(self, request):
        return Response(s.DunningOutput(_dunning(request, dry_run=True)).data)


class DunningRun(English, APIView):
    """Run the dunning for the project and date (`wuye dunning run`): late fees so far
    (L1), notices and tasks issued, finished episodes closed."""

    @extend_schema(
        request=s.DunningInput,
        responses=responses({201: s.DunningOutput}, 400, 401, 403, 404, 409),
    )
    def post(self, request):
        result = _dunning(request, dry_run=False)
        return Response(s.DunningOutput(result).data, status=status.HTTP_201_CREATED)


# --- notices -------------------------------------------------------------------------


def _notices(user, project: str | None = None):
    rows = in_view(Notice.objects.all(), user, project=project)
    return rows.select_related("project", "account__unit", "step", "replaces")


@extend_schema(
    parameters=[s.NoticeFilter], responses=responses({200: s.NoticeSerializer}, 400, 401, 404)
)
class NoticeList(English, generics.ListAPIView):
    """Notices and dunning tasks (E2, E3, G1) of your projects."""

    serializer_class = s.NoticeSerializer
    pagination_class = Cursor

    def get_queryset(self):
        f = _params(s.NoticeFilter, self.request)
        rows = _notices(self.request.user, f.get("project"))
        if f.get("status"):
            rows = rows.filter(status=f["status"])
        if f.get("on"):
            rows = rows.filter(issued_on=f["on"])
        return rows


@extend_schema(responses=responses({200: s.NoticeDetailSerializer}, 401, 404))
class NoticeDetail(English, generics.RetrieveAPIView):
    """One notice with the items it states and its delivery attempts (`wuye notices show`)."""

    serializer_class = s.NoticeDetailSerializer

    def get_object(self):
        number = self.kwargs["number"]
        notice = _notices(self.request.user).filter(number=number).first()
        if notice is None:
            raise NotFound("notice", number)
        notice.sorted_lines = list(
            notice.lines.select_related("bill", "fee_item").order_by("period_start", "id")
        )
        notice.sorted_contacts = list(notice.contacts.order_by("on", "id"))
        return notice


# --- the day's tasks -----------------------------------------------------------------


def _in_project_order(rows: list[dict], projects: list[Project]) -> list[dict]:
    """One project's rows after another's, each project's in its list's own order."""
    position = {project.code: i for i, project in enumerate(projects)}
    return sorted(rows, key=lambda row: position[row["project"]])


def _handover_tasks(on, at, projects, start, stop):
    rows = pending_handovers(on=on, at=at, projects=[p.pk for p in projects])
    return len(rows), rows[start:stop]


def _delivery_tasks(on, at, projects, start, stop):
    rows = [
        r
        for r in delivery_worklist(on=on, projects=[p.pk for p in projects], with_project=True)
        if not r["cancelled"]  # F1: a bill paid meanwhile needs no delivery
    ]
    return len(rows), _in_project_order(rows, projects)[start:stop]


def _notice_tasks(on, at, projects, start, stop):
    rows = notice_worklist(on=on, projects=[p.pk for p in projects], with_project=True)
    return len(rows), _in_project_order(rows, projects)[start:stop]


def _call_tasks(on, at, projects, start, stop):
    # the details (arrears, contacts, promises) only for the rows returned
    return call_worklist_slice(
        on=on, at=at, projects=[p.pk for p in projects], start=start, stop=stop,
        by_project=True,
    )  # fmt: skip


TASKS = {
    # kind: (list name, the worklist: its count and rows [start, stop)) — the today
    # page's selectors, each called once for all the user's projects (issue 6: fast at
    # 100,000 units), the rows one project after another as the projects are listed
    "handover": ("handovers", _handover_tasks),
    "delivery": ("deliveries", _delivery_tasks),
    "notice": ("notices", _notice_tasks),
    "call": ("calls", _call_tasks),
}


class Tasks(English, APIView):
    """The day's worklists, as on the staff pages' today's list: bills and notices to sign
    for (A1), bills to deliver (C1, E3), notices to deliver (E3), accounts to call (R2)."""

    @extend_schema(
        parameters=[s.TaskFilter], responses=responses({200: s.TasksOutput}, 400, 401, 404)
    )
    def get(self, request):
        f = _params(s.TaskFilter, request)
        clock = now()
        on = f.get("on") or clock.date()
        at = f.get("at") or (clock.time().replace(second=0, microsecond=0)
                             if on == clock.date() else dt.time(10, 0))  # fmt: skip
        if f.get("project"):
            projects = [project_named(request.user, f["project"])]
        else:
            projects = list(visible(request.user))
        kinds = [f["kind"]] if f.get("kind") else list(TASKS)
        start, stop = f["offset"], f["offset"] + f["limit"]
        result = {"on": on, "at": at, "counts": {}}
        for kind in kinds:
            name, worklist = TASKS[kind]
            result["counts"][kind], result[name] = (
                worklist(on, at, projects, start, stop) if projects else (0, [])
            )
        mask_rows(result.get("calls", []), request.user)  # phones per role (docs/privacy.md)
        return Response(s.TasksOutput(result).data)


# --- anything else under /api/v1/ ----------------------------------------------------


def not_found(request, *args, **kwargs):
    """An unknown address under /api/v1/: a 404 in the API's error shape, not a page."""
    data = body("not_found", f"no such endpoint: {request.path}", f"沒有此端點：{request.path}")
    return JsonResponse(data, status=404, json_dumps_params={"ensure_ascii": False})
