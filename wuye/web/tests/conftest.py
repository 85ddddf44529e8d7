"""Browser-test fixtures (issue 6): Playwright drives Debian's Chromium
(/usr/bin/chromium, headless; `scripts/setup requirements-dev.txt` installs it, never
`playwright install`) against Django's live server. Screenshots of the main pages go to
`screenshots/` (or $WUYE_SCREENSHOTS), named in the README."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
SCREENSHOTS = Path(os.environ.get("WUYE_SCREENSHOTS", Path.cwd() / "screenshots"))


@pytest.fixture
def seeded_live_db(transactional_db, _seed_snapshot):
    """A transactional database (the live server's thread sees the test's rows, also on
    PostgreSQL) holding the seeded configuration (conftest.py at the root)."""
    from conftest import reseed

    reseed(_seed_snapshot)


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup requirements-dev.txt")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests
    # make between browser steps are synchronous and safe (the live server has its own).
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Browser:
    """One logged-in staff member's browser tab on the live server."""

    def __init__(self, context, base_url: str):
        self.page = context.new_page()
        self.page.set_default_timeout(15_000)
        self.base_url = base_url

    def go(self, path: str):
        self.page.goto(self.base_url + path)
        return self.page

    def login(self, username: str, password: str | None = None):
        page = self.go("/login/")
        page.get_by_label("用戶名稱").fill(username)
        page.get_by_label("密碼").fill(password or username)
        page.get_by_role("button", name="登入").click()
        page.wait_for_url("**/today/**")
        return page

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def browse(chromium, live_server):
    """`browse()` opens a new browser context (its own cookies) on the live server."""
    contexts = []

    def open_tab() -> Browser:
        context = chromium.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        return Browser(context, live_server.url)

    yield open_tab
    for context in contexts:
        context.close()
