"""Login throttling (issue 8, django-axes, docs/deployment.md): five failed logins of one
user name from one address, each within 15 minutes of the last, lock that user name out
for 30 minutes, on the staff login page and on the API's token endpoint, even with the
right password; another user is not affected; a successful login resets the count.

Time passing is simulated by moving the stored attempts back (the tests never wait)."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from wuye.api.tests.conftest import assert_error
from wuye.testing.factories import ProjectFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # the token endpoint's per-address rate (30/minute) lives in the cache
    yield
    cache.clear()


@pytest.fixture
def users():
    project = ProjectFactory(code="HT")
    return staff("amy", "assistant", project), staff("bob", "assistant", project)


def login(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/today/")


def minutes_pass(minutes: int) -> None:
    """Every stored failure happened `minutes` earlier."""
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= dt.timedelta(minutes=minutes)
        attempt.save(update_fields=["attempt_time"])


def test_five_failed_logins_lock_the_user_out_even_with_the_right_password(users):
    client = Client()
    for _ in range(4):
        page = login(client, "amy", "wrong")
        assert page.status_code == 200
        assert "用戶名稱或密碼不正確" in page.content.decode()
    page = login(client, "amy", "wrong")  # the fifth
    assert page.status_code == 429
    text = page.content.decode()
    assert "暫停登入" in text and "30 分鐘" in text
    assert page["Retry-After"] == "1800"

    page = login(client, "amy", "amy")
    assert page.status_code == 429 and not logged_in(page)
    assert client.get("/today/").status_code == 302  # still to /login/

    other = login(Client(), "bob", "bob")  # same address, another user name
    assert logged_in(other)


def test_the_lockout_ends_thirty_minutes_after_the_last_failure(users):
    client = Client()
    for _ in range(5):
        login(client, "amy", "wrong")
    minutes_pass(29)
    assert login(client, "amy", "amy").status_code == 429  # counts as a failure again
    minutes_pass(29)
    assert login(client, "amy", "amy").status_code == 429
    minutes_pass(31)
    assert logged_in(login(client, "amy", "amy"))


def test_failures_more_than_fifteen_minutes_apart_do_not_add_up(users):
    client = Client()
    for _ in range(4):
        login(client, "amy", "wrong")
    minutes_pass(16)
    page = login(client, "amy", "wrong")
    assert page.status_code == 200  # one failure in the window, not five
    assert logged_in(login(client, "amy", "amy"))


def test_a_successful_login_resets_the_count(users):
    client = Client()
    for _ in range(4):
        login(client, "amy", "wrong")
    assert logged_in(login(client, "amy", "amy"))
    client.post("/logout/")
    for _ in range(4):
        assert login(client, "amy", "wrong").status_code == 200
    assert logged_in(login(client, "amy", "amy"))


def test_the_lockout_page_follows_the_staff_language(users):
    client = Client()
    client.cookies["django_language"] = "en"
    for _ in range(5):
        page = login(client, "amy", "wrong")
    assert page.status_code == 429
    assert "Too many failed logins" in page.content.decode()


def test_the_token_endpoint_locks_out_after_five_failures(users):
    client = APIClient()

    def token(username, password):
        return client.post("/api/v1/token/", {"username": username, "password": password},
                           format="json")  # fmt: skip

    for _ in range(4):
        assert_error(token("amy", "wrong"), 400, "invalid_credentials")
    data = assert_error(token("amy", "wrong"), 429, "locked_out")
    assert "30" in data["message"] and "30 分鐘" in data["message_zh"]
    data = assert_error(token("amy", "amy"), 429, "locked_out")  # the right password too
    assert "token" not in data

    response = token("bob", "bob")
    assert response.status_code == 200 and response.json()["username"] == "bob"


def test_the_web_and_the_api_share_one_count(users):
    """Two guesses on the page and three on the API are five failures of one user name."""
    web, api = Client(), APIClient()
    for _ in range(2):
        login(web, "amy", "wrong")
    for _ in range(3):
        response = api.post("/api/v1/token/", {"username": "amy", "password": "x"}, format="json")
    assert_error(response, 429, "locked_out")
    assert login(web, "amy", "amy").status_code == 429


def test_the_admin_login_is_throttled_too(users):
    client = Client()
    for _ in range(5):
        page = client.post("/admin/login/", {"username": "amy", "password": "wrong"})
    assert page.status_code == 429
    assert "暫停登入" in page.content.decode()
