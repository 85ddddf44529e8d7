"""Authentication and the error shape of the API (issue 6, docs/api.md): every endpoint
answers 401 without a token or session; a token comes from POST /api/v1/token/ or
`wuye api token USER`; session authentication works for the staff pages' logged-in users
(with CSRF for writes); every error is JSON in one shape, never a page or a 500."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from wuye.api.tests.conftest import assert_error
from wuye.cli import main
from wuye.dunning.models import DunningRun, Notice
from wuye.payments.models import Payment
from wuye.testing.factories import staff


def endpoints(office) -> list[tuple[str, str]]:
    """Every endpoint of the API that needs authentication: (method, path)."""
    bill = office.bill(office.a1).number
    notice = Notice.objects.filter(account=office.a1).first().number
    a1 = office.a1.pk
    return [
        ("get", "/api/v1/projects/"), ("get", "/api/v1/projects/HT/"),
        ("get", "/api/v1/units/"), ("get", "/api/v1/accounts/"),
        ("get", f"/api/v1/accounts/{a1}/"), ("get", f"/api/v1/accounts/{a1}/statement/"),
        ("get", "/api/v1/bills/"), ("get", f"/api/v1/bills/{bill}/"),
        ("get", "/api/v1/payments/"), ("post", "/api/v1/payments/"),
        ("post", "/api/v1/dunning/preview/"), ("post", "/api/v1/dunning/run/"),
        ("get", "/api/v1/notices/"), ("get", f"/api/v1/notices/{notice}/"),
        ("get", "/api/v1/tasks/"),
    ]  # fmt: skip


def written() -> tuple[int, int, int]:
    return Payment.objects.count(), DunningRun.objects.count(), Notice.objects.count()


def test_every_endpoint_is_401_without_authentication(office):
    client = APIClient()
    before = written()
    for method, path in endpoints(office):
        response = getattr(client, method)(path, {"project": "HT", "on": "2026-03-17"},
                                           format="json")  # fmt: skip
        assert_error(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == "Token"
    assert written() == before


def test_every_endpoint_is_401_with_a_wrong_token(office):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    for method, path in endpoints(office):
        assert_error(getattr(client, method)(path), 401, "authentication_failed")


def test_every_endpoint_answers_with_a_token(finance, office):
    """The token is enough: no endpoint answers 401 or 403 to HT's finance."""
    for method, path in endpoints(office):
        response = getattr(finance, method)(path, {}, format="json")
        assert response.status_code in (200, 400), (path, response.content)  # 400: POST {}


def test_a_token_for_a_user_name_and_password(office):
    staff("fin-li", "finance", office.ht)
    client = APIClient()
    response = client.post("/api/v1/token/", {"username": "fin-li", "password": "fin-li"},
                           format="json")  # fmt: skip
    assert response.status_code == 200
    token = response.json()["token"]
    assert response.json()["username"] == "fin-li"
    assert Token.objects.get(user__username="fin-li").key == token
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert [p["code"] for p in client.get("/api/v1/projects/").json()["results"]] == ["HT"]
    again = APIClient().post("/api/v1/token/", {"username": "fin-li", "password": "fin-li"})
    assert again.json()["token"] == token  # the same token each time


def test_a_wrong_password_or_missing_field_gets_no_token(office):
    staff("fin-li", "finance", office.ht)
    client = APIClient()
    response = client.post("/api/v1/token/", {"username": "fin-li", "password": "guess"})
    assert_error(response, 400, "invalid_credentials")
    assert_error(client.post("/api/v1/token/", {"username": "fin-li"}), 400, "invalid", "password")
    assert_error(client.get("/api/v1/token/"), 405, "method_not_allowed")
    assert not Token.objects.exists()


def test_the_cli_prints_the_users_token(office, capsys):
    staff("fin-li", "finance", office.ht)
    assert main(["api", "token", "fin-li"]) == 0
    key = capsys.readouterr().out.strip()
    assert Token.objects.get(user__username="fin-li").key == key
    assert main(["api", "token", "fin-li"]) == 0
    assert capsys.readouterr().out.strip() == key  # printed again, not replaced
    assert main(["api", "token", "fin-li", "--new"]) == 0
    new = capsys.readouterr().out.strip()
    assert new != key and Token.objects.get(user__username="fin-li").key == new
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert client.get("/api/v1/projects/").status_code == 200


def test_the_cli_refuses_an_unknown_user(db, capsys):
    assert main(["api", "token", "nobody"]) == 2
    assert "nobody" in capsys.readouterr().err
    assert not Token.objects.exists()


def test_session_authentication_works_and_writes_need_csrf(office):
    user = staff("fin-li", "finance", office.ht)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/v1/projects/").status_code == 200
    before = written()
    response = client.post("/api/v1/payments/", {"account": office.a1.pk, "amount": "1",
                                                 "paid_on": "2026-03-14"}, format="json")  # fmt: skip
    data = assert_error(response, 403, "permission_denied")
    assert "CSRF" in data["message"]
    assert written() == before


def test_an_unknown_address_under_the_api_is_a_json_404(finance):
    for client in (finance, APIClient()):
        data = assert_error(client.get("/api/v1/nothing/here/"), 404, "not_found")
        assert "/api/v1/nothing/here/" in data["message"]


def test_other_errors_keep_the_shape(finance):
    assert_error(finance.put("/api/v1/projects/", {}), 405, "method_not_allowed")
    assert_error(finance.delete("/api/v1/bills/X/"), 405, "method_not_allowed")
    response = finance.post("/api/v1/payments/", "amount=1", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")
    assert_error(finance.get("/api/v1/bills/", {"cursor": "garbage"}), 404, "not_found")
    for path in ("/api/v1/bills/%00/", "/api/v1/notices/a%00b/", "/api/v1/projects/%00/"):
        assert_error(finance.get(path), 404, "not_found")  # NUL: not a 500 on PostgreSQL


@pytest.mark.parametrize(
    "path",
    ["/api/v1/projects/", "/api/v1/units/", "/api/v1/accounts/", "/api/v1/bills/",
     "/api/v1/payments/", "/api/v1/notices/", "/api/v1/tasks/"],
)  # fmt: skip
@pytest.mark.parametrize(
    "junk", ["", " ", "'; DROP TABLE x;--", "９９", "\u0000", "-1", "9" * 40, "2026-02-29"]
)
def test_junk_in_any_filter_is_never_a_500(finance, office, path, junk):
    params = dict.fromkeys(
        ["project", "building", "q", "on", "in_arrears", "account", "status", "period", "kind",
         "at", "limit", "offset", "cursor"],
        junk,
    )  # fmt: skip
    response = finance.get(path, params)
    assert response.status_code < 500
    assert response["Content-Type"].startswith("application/json")


def test_password_guessing_is_throttled(office):
    """30 guesses a minute from one address, whatever the user names (one user name is
    locked out after 5 failures: wuye/web/tests/test_login_throttle.py, issue 8)."""
    from django.core.cache import cache

    cache.clear()  # the throttle counts per address in the cache
    client = APIClient()
    try:
        for i in range(30):
            response = client.post("/api/v1/token/", {"username": f"x{i}", "password": "y"})
            assert response.status_code == 400
        response = client.post("/api/v1/token/", {"username": "x", "password": "y"})
        assert_error(response, 429, "throttled")
        assert int(response["Retry-After"]) > 0
    finally:
        cache.clear()
