"""Who may change money, and where (issue 8, "Access and audit"): every money- or
evidence-changing endpoint of the staff pages and the REST API × every role of RULES.md
("Who may do what") and a user with no membership at all.

The expected roles are written out below from RULES.md's table, NOT read from
`wuye.web.access.ACTIONS`: the test compares the code with the rules, so a role added to
or dropped from the code's table makes it fail. An allowed role succeeds (a redirect or
2xx, and the rows it should write are written); any other is refused (403, the API's
403 JSON; a user without a membership on the project learns nothing: 404 or the form's
"not found") with NOTHING written: the counts of every money and evidence table, and the
statuses of bills, notices and approvals, are the same after as before.

Then the project scope: a user holding every role on project A only, pointed at project
B's objects through a URL id, a form field or an API body, gets 404 (or the form's "not
found", exactly as for an id that does not exist) and nothing is written; the API's
lists never hold B's rows.

March 2026, in each project: `client`'s bill was received on 2 March (due 9 March, E1)
and the run of 12 March issued its first notice (E2), which the assistant signed for;
`fresh` received its bill on 5 March (due 12 March: first notice on the run of 16 March);
`undelivered` was handed over but never delivered (C1); `late` joined after the
hand-over, so its bill waits to be signed for (A1); a goodwill gesture of 50.00 waits for
a supervisor (M1)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from wuye.approvals.models import ApprovalEvent, ApprovalRequest
from wuye.approvals.services import request_approval
from wuye.billing.delivery import handover_bills
from wuye.billing.models import Bill, BillRun, CourierDispatch, DeliveryAttempt, HandOver
from wuye.billing.services import issue_bills_for_project, record_bill_receipts
from wuye.collection.models import Call, Promise
from wuye.dates import Period
from wuye.dunning.models import Contact, DunningRun, Notice
from wuye.dunning.notices import handover_notices
from wuye.dunning.services import run_dunning
from wuye.ledger.models import Entry
from wuye.payments.models import Payment
from wuye.payments.services import record_payment
from wuye.testing.factories import (
    BuildingFactory,
    ProjectFactory,
    UnitFactory,
    office_account,
    staff,
)

D = dt.date
ON = "2026-03-12"
RUN_ON = "2026-03-16"  # `fresh` is 4 days overdue: its first notice (E2)

#: RULES.md "Who may do what", written out (the roles of the left column, per action)
RULES = {
    "issue bills": {"finance"},
    "void and reissue a bill": {"finance"},
    "record payments": {"finance", "collector"},  # collector: S2a rounds, receipt on the spot
    "sign for bills/notices": {"assistant"},
    "record deliveries": {"assistant"},
    "postings": {"assistant"},
    # calls: the assistant's (table); the collector's calls and evening visits of S2a
    # ("more frequent calls and evening visits, with finance") are logged by them too
    "calls": {"assistant", "collector"},
    "approve a waiver up to 1,000": {"supervisor", "manager"},  # manager: the larger ones too
    "run the dunning run, trim its proposal": {"finance", "supervisor"},
    # not in the table: a request is raised by the staff who deal with the client (M1, M2,
    # S3: assistant, finance, collector) or their supervisor; it changes no money itself
    "request an approval": {"assistant", "finance", "collector", "supervisor"},
}
ROLES = [
    "finance", "assistant", "collector", "supervisor", "manager", "project_lead", "legal",
    "administrator",
]  # fmt: skip
NOBODY = "nobody"  # a user with no membership anywhere


def snapshot() -> dict[str, int]:
    """The counts of every money and evidence table and of the states that change."""
    return {
        "bills": Bill.objects.count(),
        "void_bills": Bill.objects.filter(status=Bill.Status.VOID).count(),
        "bill_runs": BillRun.objects.count(),
        "handovers": HandOver.objects.count(),
        "attempts": DeliveryAttempt.objects.count(),
        "couriers": CourierDispatch.objects.count(),
        "payments": Payment.objects.count(),
        "entries": Entry.objects.count(),
        "approvals": ApprovalRequest.objects.count(),
        "approval_events": ApprovalEvent.objects.count(),
        "decided": ApprovalRequest.objects.exclude(status=ApprovalRequest.Status.REQUESTED).count(),
        "dunning_runs": DunningRun.objects.count(),
        "notices": Notice.objects.count(),
        "notices_signed_for": Notice.objects.filter(handed_over_on__isnull=False).count(),
        "notices_posted": Notice.objects.filter(posted_on__isnull=False).count(),
        "contacts": Contact.objects.count(),
        "calls": Call.objects.count(),
        "promises": Promise.objects.count(),
    }


@dataclass
class Place:
    """One project's objects."""

    code: str
    client: object = None
    fresh: object = None
    undelivered: object = None
    late: object = None
    notice: Notice | None = None
    approval: ApprovalRequest | None = None
    payment: Payment | None = None
    run: DunningRun | None = None

    def bill(self, account) -> Bill:
        return account.bills.get()


def issue(project, on: dt.date) -> None:
    issue_bills_for_project(project=project, period=Period.parse("2026-03"), on=on, actor="fin-x")


def build(*codes: str) -> dict[str, Place]:
    places = {}
    for code in codes:
        project = ProjectFactory(code=code, name=f"項目{code}")
        building = BuildingFactory(project=project, code="A")
        place = Place(code=code)
        for name in ("client", "fresh", "undelivered"):
            unit = UnitFactory(building=building)
            setattr(place, name, office_account(start=D(2026, 1, 1), unit=unit))
        issue(project, D(2026, 3, 2))
        places[code] = place
    handover_bills(on=D(2026, 3, 2), signed_by="cs-x", actor="cs-x")
    for place in places.values():
        record_bill_receipts([place.bill(place.client).pk], received_on=D(2026, 3, 2), actor="x")
        record_bill_receipts([place.bill(place.fresh).pk], received_on=D(2026, 3, 5), actor="x")
        # paid in part before the run (a payment after it would reissue the notice, F1)
        place.payment = record_payment(
            account=place.client, amount=Decimal("10.00"), on=D(2026, 3, 11), actor="fin-x"
        )
        place.run = run_dunning(as_of=D(2026, 3, 12), actor="fin-x", project_code=place.code)
        place.notice = Notice.objects.get(account=place.client, action="notice")
    handover_notices(on=D(2026, 3, 12), signed_by="cs-x", actor="cs-x")
    for place in places.values():
        project = place.client.project
        place.late = office_account(
            start=D(2026, 1, 1), unit=UnitFactory(building=place.client.unit.building)
        )
        issue(project, D(2026, 3, 12))
        place.approval = request_approval(
            kind="goodwill", account=place.client, amount=Decimal("50.00"), reason="維修延誤致歉",
            on=D(2026, 3, 10), actor="cs-x", given="禮品",
        )  # fmt: skip
    return places


@pytest.fixture
def places(db) -> dict[str, Place]:
    return build("HT", "QZB")


# --- the endpoints -------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    rule: str  # the line of RULES (above) naming who may
    method: str  # "post" or "get"
    url: object  # place -> str
    data: object = None  # place -> dict
    writes: tuple[str, ...] = ()  # the snapshot keys an allowed call makes grow
    api: bool = False
    ok: int = 302

    @property
    def allowed(self) -> set[str]:
        return RULES[self.rule]


def _unit(account) -> str:
    return account.unit.code


ENDPOINTS = [
    # --- web: finance ---
    Endpoint("bill run confirm", "issue bills", "post", lambda p: reverse("bill-run"),
             lambda p: {"project": p.code, "period": "2026-04", "on": "2026-04-01"},
             writes=("bills", "bill_runs")),
    Endpoint("bill run preview", "issue bills", "get",
             lambda p: f"{reverse('bill-run')}?project={p.code}&period=2026-04&on=2026-04-01"
                       "&preview=1", ok=200),
    Endpoint("bill void and reissue", "void and reissue a bill", "post",
             lambda p: reverse("bill-void", args=[p.bill(p.undelivered).number]),
             lambda p: {"reason": "面積錯誤", "on": ON, "reissue": "on"},
             writes=("void_bills", "bills")),
    Endpoint("payment entry", "record payments", "post", lambda p: reverse("payment-new"),
             lambda p: {"account": p.client.pk, "unit": "", "amount": "100.00", "paid_on": ON,
                        "method": "cash", "reference": "", "bill": ""},
             writes=("payments", "entries")),
    Endpoint("approval request", "request an approval", "post", lambda p: reverse("approval-new"),
             lambda p: {"account": p.client.pk, "kind": "goodwill", "amount": "80.00",
                        "given": "月餅一盒", "reason": "M1：致歉", "on": ON, "bill": "",
                        "schedule": ""},
             writes=("approvals",)),
    Endpoint("approval approve", "approve a waiver up to 1,000", "post",
             lambda p: reverse("approval-approve", args=[p.approval.number]),
             lambda p: {"on": ON, "note": "同意"}, writes=("decided", "approval_events")),
    Endpoint("approval reject", "approve a waiver up to 1,000", "post",
             lambda p: reverse("approval-reject", args=[p.approval.number]),
             lambda p: {"on": ON, "note": "不符合條件"}, writes=("decided", "approval_events")),
    # --- web: the dunning run ---
    Endpoint("dunning preview", "run the dunning run, trim its proposal", "get",
             lambda p: f"{reverse('dunning-run')}?project={p.code}&on={RUN_ON}", ok=200),
    Endpoint("dunning execute", "run the dunning run, trim its proposal", "post",
             lambda p: reverse("dunning-run"), lambda p: {"project": p.code, "on": RUN_ON},
             writes=("dunning_runs", "notices")),
    Endpoint("dunning trim and execute", "run the dunning run, trim its proposal", "post",
             lambda p: reverse("dunning-run"),
             lambda p: {"project": p.code, "on": RUN_ON, "exclude": [_unit(p.fresh)],
                        "reason": "已承諾本週付款"},
             writes=("dunning_runs",)),
    # --- web: today's list ---
    Endpoint("sign for", "sign for bills/notices", "post", lambda p: reverse("today-sign-for"),
             lambda p: {"project": p.code, "on": ON}, writes=("handovers",)),
    Endpoint("deliver a bill", "record deliveries", "post",
             lambda p: reverse("today-deliver-bill"),
             lambda p: {"number": p.bill(p.undelivered).number, "on": ON,
                        "result": "nobody_present"},
             writes=("attempts",)),
    Endpoint("deliver a notice", "record deliveries", "post",
             lambda p: reverse("today-deliver-notice"),
             lambda p: {"number": p.notice.number, "on": ON, "result": "refused"},
             writes=("contacts",)),
    Endpoint("post a bill by courier", "postings", "post", lambda p: reverse("today-courier-bill"),
             lambda p: {"number": p.bill(p.undelivered).number, "on": ON, "carrier": "EMS",
                        "tracking": "EA000000001CN"},
             writes=("couriers",)),
    Endpoint("post a notice by courier", "postings", "post",
             lambda p: reverse("today-courier-notice"),
             lambda p: {"number": p.notice.number, "on": ON, "carrier": "EMS",
                        "tracking": "EA000000002CN"},
             writes=("notices_posted",)),
    Endpoint("log a call", "calls", "post", lambda p: reverse("today-call"),
             lambda p: {"account": p.client.pk, "on": ON, "reason": "forgot",
                        "amount": "2500.00", "outcome": "reached", "promise_on": "2026-03-20",
                        "promise_amount": "2500.00"},
             writes=("calls", "promises")),
    # --- the REST API ---
    Endpoint("API: record a payment", "record payments", "post", lambda p: "/api/v1/payments/",
             lambda p: {"account": p.client.pk, "amount": "100.00", "paid_on": ON},
             writes=("payments", "entries"), api=True, ok=201),
    Endpoint("API: record a payment by unit", "record payments", "post",
             lambda p: "/api/v1/payments/",
             lambda p: {"unit": _unit(p.client), "amount": "100.00", "paid_on": ON},
             writes=("payments", "entries"), api=True, ok=201),
    Endpoint("API: dunning run", "run the dunning run, trim its proposal", "post",
             lambda p: "/api/v1/dunning/run/", lambda p: {"project": p.code, "on": RUN_ON},
             writes=("dunning_runs", "notices"), api=True, ok=201),
    Endpoint("API: dunning preview", "run the dunning run, trim its proposal", "post",
             lambda p: "/api/v1/dunning/preview/", lambda p: {"project": p.code, "on": RUN_ON},
             api=True, ok=200),
]  # fmt: skip


def user_for(role: str, project):
    if role == NOBODY:
        from django.contrib.auth.models import User

        return User.objects.create_user("u-nobody", password="u-nobody")
    return staff(f"u-{role}", role, project)


def call(endpoint: Endpoint, user, place: Place):
    url = endpoint.url(place)
    data = endpoint.data(place) if endpoint.data else {}
    if endpoint.api:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return getattr(client, endpoint.method)(url, data, format="json")
    client = Client()
    client.force_login(user)
    return getattr(client, endpoint.method)(url, data)


def assert_api_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code and body["message"] and body["message_zh"], body


CASES = [
    pytest.param(endpoint, role, id=f"{endpoint.name}-{role}")
    for endpoint in ENDPOINTS
    for role in [*ROLES, NOBODY]
]


@pytest.mark.parametrize(("endpoint", "role"), CASES)
def test_only_the_roles_of_the_rules_may_do_it(places, endpoint: Endpoint, role: str):
    """RULES.md "Who may do what": the allowed roles succeed and write what they should;
    every other role is refused (403) and a user of no project gets 404 (it learns
    nothing), with nothing written."""
    place = places["HT"]
    user = user_for(role, place.client.project)
    before = snapshot()

    response = call(endpoint, user, place)

    after = snapshot()
    if role in endpoint.allowed:
        assert response.status_code == endpoint.ok, response.content.decode()[:2000]
        grown = {key for key in after if after[key] > before[key]}
        assert set(endpoint.writes) <= grown, (endpoint.writes, before, after)
        if not endpoint.writes:
            assert after == before  # a preview writes nothing
        return
    assert after == before, f"{endpoint.name} as {role} wrote something"
    if role == NOBODY:
        # no membership: the project and its objects do not exist for them
        if endpoint.api:
            assert_api_error(response, 404, "not_found")
        else:
            assert response.status_code in STRANGER.get(endpoint.name, {404}), response.status_code
        return
    if endpoint.api:
        assert_api_error(response, 403, "forbidden")
    else:
        assert response.status_code == 403, response.content.decode()[:2000]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_nobody_logged_in_changes_nothing(places, endpoint: Endpoint):
    """Without a session the pages send to the login page and the API answers 401 (its
    JSON error); nothing is written."""
    place = places["HT"]
    before = snapshot()
    client = APIClient() if endpoint.api else Client()
    data = endpoint.data(place) if endpoint.data else {}
    kwargs = {"format": "json"} if endpoint.api else {}
    response = getattr(client, endpoint.method)(endpoint.url(place), data, **kwargs)
    assert snapshot() == before
    if endpoint.api:
        assert_api_error(response, 401, "not_authenticated")
    else:
        assert response.status_code == 302 and response["Location"].startswith("/login/")


#: a user of no project, on a page whose project or account is a form field or which
#: asks for a role first: the form's "not found" (400, the same as an unknown code) or 403
STRANGER = {
    "bill run confirm": {400},  # the project is not among the form's choices
    "bill run preview": {400},
    "payment entry": {400},  # 找不到此帳戶: as for an id that does not exist
    "approval request": {400},
    "dunning preview": {403},  # the run screen needs the role on some project first
}


def _accepts_post(callback) -> bool:
    """Whether a view takes POST: `require_POST`, a method list with POST, or a POST
    branch in its body."""
    import inspect

    view = inspect.unwrap(callback)
    module = inspect.getsource(inspect.getmodule(view))
    decorators = module.split(f"\ndef {view.__name__}(")[0].rsplit("\n\n", 1)[-1]
    body = inspect.getsource(view)
    return "require_POST" in decorators or '"POST"' in decorators or '"POST"' in body


def test_the_matrix_covers_every_changing_endpoint():
    """Every route of the staff pages and every API view that takes POST is in the
    matrix above: a new one fails here until it is added."""
    from wuye.api import views as api_views
    from wuye.web.urls import urlpatterns

    posting = {p.name for p in urlpatterns if _accepts_post(p.callback)}
    covered = {
        "bill-run", "bill-void", "payment-new", "approval-new", "approval-approve",
        "approval-reject", "dunning-run", "today-sign-for", "today-deliver-bill",
        "today-deliver-notice", "today-courier-bill", "today-courier-notice", "today-call",
    }  # fmt: skip
    assert posting == covered
    in_matrix = {e.url(_Fake()).split("?")[0] for e in ENDPOINTS}
    for name in covered:
        args = ["N"] if name in {"bill-void", "approval-approve", "approval-reject"} else []
        assert reverse(name, args=args) in in_matrix, name
    api_posts = {
        name for name, view in vars(api_views).items()
        if isinstance(view, type) and "post" in vars(view)
    }  # fmt: skip
    # the token exchange changes no money (it is throttled: test_auth_and_errors)
    assert api_posts == {"TokenView", "PaymentList", "DunningPreview", "DunningRun"}


class _Fake:
    """Stands in for a Place to build the URLs with placeholder ids."""

    code = "HT"

    def __getattr__(self, name):
        return _Obj()

    def bill(self, account):
        return _Obj()


class _Obj:
    number = "N"
    pk = 1


# --- another project's objects -------------------------------------------------------------


@pytest.fixture
def insider(places):
    """A user holding every role on HT only (so a refusal is the project's, not the role's)."""
    user = staff("u-all", "finance", places["HT"].client.project)
    from wuye.web.models import Membership

    for role in ROLES[1:]:
        Membership.objects.create(user=user, project=places["HT"].client.project, role=role)
    return user


def detail_urls(p: Place) -> dict[str, str]:
    """Every page and API address with an id of a project's object."""
    bill = p.bill(p.client).number
    return {
        "account page": reverse("account", args=[p.client.pk]),
        "bill": reverse("bill", args=[bill]),
        "bill pdf": reverse("bill-pdf", args=[bill]),
        "receipt": reverse("payment-receipt", args=[p.payment.pk]),
        "receipt pdf": reverse("payment-receipt-pdf", args=[p.payment.pk]),
        "approval": reverse("approval", args=[p.approval.number]),
        "payment form for the account": f"{reverse('payment-new')}?account={p.client.pk}",
        "approval form for the account": f"{reverse('approval-new')}?account={p.client.pk}",
        "dunning result": reverse("dunning-result", args=[p.run.pk]),
        "notices pdf": f"{reverse('notices-pdf')}?project={p.code}&on={ON}",
        "dunning preview": f"{reverse('dunning-run')}?project={p.code}&on={RUN_ON}",
        "dashboard": f"{reverse('dashboard')}?project={p.code}",
        "report download": f"{reverse('reports')}?report=arrears&format=csv&project={p.code}",
        "API project": f"/api/v1/projects/{p.code}/",
        "API account": f"/api/v1/accounts/{p.client.pk}/",
        "API statement": f"/api/v1/accounts/{p.client.pk}/statement/",
        "API bill": f"/api/v1/bills/{bill}/",
        "API notice": f"/api/v1/notices/{p.notice.number}/",
        "API accounts of the project": f"/api/v1/accounts/?project={p.code}",
        "API bills of the project": f"/api/v1/bills/?project={p.code}",
        "API payments of the project": f"/api/v1/payments/?project={p.code}",
        "API notices of the project": f"/api/v1/notices/?project={p.code}",
        "API units of the project": f"/api/v1/units/?project={p.code}",
        "API tasks of the project": f"/api/v1/tasks/?project={p.code}&on={ON}",
    }


def test_another_projects_objects_are_not_found_by_id(places, insider):
    """A user of HT asking for QZB's account, bill, PDF, receipt, approval, run, notices,
    dashboard, report or API object by its id or code: 404, as if it did not exist; their
    own (HT's) are there, so the 404 is the project scope's."""
    web, api = Client(), APIClient()
    web.force_login(insider)
    api.force_authenticate(insider)
    theirs, ours = detail_urls(places["QZB"]), detail_urls(places["HT"])
    before = snapshot()
    for name, url in theirs.items():
        client = api if url.startswith("/api/") else web
        assert client.get(ours[name]).status_code == 200, name
        response = client.get(url)
        assert response.status_code == 404, (name, url, response.status_code)
    assert snapshot() == before


def unknown(p: Place) -> Place:
    """A place whose objects do not exist (ids and numbers nobody has)."""

    class Gone:
        pk = 999_999
        number = "NOPE-0001"

        class unit:
            code = "NOPE-A-0001"

        def __init__(self):
            self.bills = self

        def get(self):
            return self

    gone = Gone()
    return Place(code="NOPE", client=gone, fresh=gone, undelivered=gone, late=gone,
                 notice=gone, approval=gone, payment=gone, run=gone)  # fmt: skip


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_another_projects_object_in_a_post_is_not_found_and_nothing_is_written(
    places, insider, endpoint
):
    """Every changing endpoint pointed at QZB's object (URL id, form field or API body)
    by a user holding every role on HT: the same answer as for an object that does not
    exist (404, or the form's "not found" 400), and nothing written."""
    before = snapshot()
    theirs = call(endpoint, insider, places["QZB"])
    assert snapshot() == before, endpoint.name
    missing = call(endpoint, insider, unknown(places["QZB"]))
    assert snapshot() == before, endpoint.name
    assert theirs.status_code in {400, 404}, (endpoint.name, theirs.status_code)
    assert theirs.status_code == missing.status_code, endpoint.name
    if endpoint.api:
        assert theirs.json()["error"] == missing.json()["error"] == "not_found"
    elif theirs.status_code == 400:
        # the form names the same field as for an unknown object, with the same message
        assert _errors(theirs) == _errors(missing), endpoint.name


def _errors(response) -> dict:
    form = (response.context or {}).get("form")
    return {k: [str(e) for e in v] for k, v in form.errors.items()} if form else {}


API_LISTS = [
    "/api/v1/projects/", "/api/v1/units/", "/api/v1/accounts/", "/api/v1/bills/",
    "/api/v1/payments/", "/api/v1/notices/", f"/api/v1/tasks/?on={ON}",
    f"/api/v1/accounts/?in_arrears=true&on={ON}", "/api/v1/bills/?status=issued",
    f"/api/v1/notices/?on={ON}",
]  # fmt: skip


@pytest.mark.parametrize("url", API_LISTS)
def test_the_api_lists_never_hold_another_projects_rows(places, insider, url):
    """The lists of a user of HT: HT's rows, never one of QZB's (no code, unit, number,
    account id or customer of QZB in the JSON, whatever the filters)."""
    api = APIClient()
    api.force_authenticate(insider)
    response = api.get(url, {"limit": 500} if "?" not in url else None)
    assert response.status_code == 200, response.content
    text = json.dumps(response.json(), ensure_ascii=False)
    qzb = places["QZB"]
    assert "QZB" not in text
    for account in (qzb.client, qzb.fresh, qzb.undelivered, qzb.late):
        assert account.customer.name not in text
        assert account.code not in text
    assert "HT" in text  # the user's own rows are there


def test_web_lists_never_hold_another_projects_rows(places, insider):
    """The account list, approvals, task lists and today's list of a user of HT."""
    web = Client()
    web.force_login(insider)
    qzb = places["QZB"]
    for url in [
        f"{reverse('accounts')}?on={ON}", f"{reverse('approvals')}?status=",
        f"{reverse('today')}?on={ON}", f"{reverse('bill-run')}", f"{reverse('dunning-run')}",
        *[f"{reverse('tasks')}?on={ON}&tab={tab}" for tab in
          ("bills", "notices", "calls", "visits", "postings", "promises")],
    ]:  # fmt: skip
        response = web.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert "QZB" not in text, url
        for account in (qzb.client, qzb.fresh, qzb.undelivered, qzb.late):
            assert account.customer.name not in text, url


def _naming_bill(name: str, number: str) -> Endpoint:
    """The endpoint `name` (for HT's account) naming the bill `number`."""
    base = next(e for e in ENDPOINTS if e.name == name)
    return replace(base, data=lambda p: {**base.data(p), "bill": number})


@pytest.mark.parametrize("endpoint", ["payment entry", "approval request", "API: record a payment"])
def test_a_bill_of_another_project_named_in_a_form_is_an_unknown_bill(places, insider, endpoint):
    """A payment designating a bill (P1) or a request for a bill, by HT's user for HT's
    account, naming QZB's bill: the same answer as a bill number that does not exist
    (the user learns nothing about QZB's numbers), nothing written."""
    theirs_number = places["QZB"].bill(places["QZB"].client).number
    before = snapshot()
    e_theirs = _naming_bill(endpoint, theirs_number)
    e_missing = _naming_bill(endpoint, "HT-209912-99999")
    theirs = call(e_theirs, insider, places["HT"])
    missing = call(e_missing, insider, places["HT"])
    assert snapshot() == before
    assert theirs.status_code == missing.status_code in {400, 404}, theirs.content
    if e_theirs.api:
        body_theirs, body_missing = theirs.json(), missing.json()
        assert body_theirs["error"] == body_missing["error"], (body_theirs, body_missing)
        assert set(body_theirs["fields"]) == set(body_missing["fields"])
    else:
        said, unknown_said = _errors(theirs), _errors(missing)
        assert set(said) == set(unknown_said) == {"bill"}, said
        assert said["bill"] == [m.replace("HT-209912-99999", theirs_number)
                                for m in unknown_said["bill"]]  # fmt: skip
