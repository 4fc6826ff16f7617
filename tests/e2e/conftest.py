"""End-to-end tests: Debian's Chromium driven by Playwright against a live server.

No browser is downloaded: Playwright launches /usr/bin/chromium (or EDCOOP_CHROMIUM). Where
no Chromium is installed the tests are skipped with a message saying so, unless
EDCOOP_E2E=required (CI), where that is a failure. Every page a test visits can be checked
by axe-core for WCAG 2.1 A/AA violations with ``assert_accessible``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("EDCOOP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
REQUIRED = os.environ.get("EDCOOP_E2E", "").lower() == "required"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SHOTS = os.environ.get("EDCOOP_SCREENSHOTS")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM}: end-to-end tests skipped (apt-get install chromium)"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the tests' own ORM calls are
    # still plain synchronous code, so Django's async-safety check is lifted while it runs.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync",
            ],
        )  # fmt: skip
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Page:
    """A browser tab on the live server, failing the test on CSP violations or JS errors."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        text = message.text
        # A page a test opens on purpose may answer 403 or 404; failed assets are caught below.
        if text.startswith("Failed to load resource"):
            return
        if message.type == "error" or "Content Security Policy" in text:
            self.problems.append(f"console {message.type}: {text}")

    def _response(self, response: Any) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.problems.append(f"{response.status} for {response.url}")

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.base_url + path)
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.page, name)


@pytest.fixture
def demo_data(demo_db: None) -> None:
    """The demo installation, as `make demo` builds it: built once per session and given
    back whole to each test (``demo_db``, tests/conftest.py)."""


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    tab = Page(context.new_page(), live_server.url)
    yield tab
    context.close()
    assert tab.problems == [], "the browser reported problems:\n" + "\n".join(tab.problems)


def assert_accessible(page: Page, name: str | None = None) -> None:
    """axe-core finds no WCAG 2.1 A/AA violation on the current page (and screenshot it)."""
    from axe_playwright_python.sync_playwright import Axe

    # Only violations are reported, so axe is asked for them alone (every WCAG rule still
    # runs; passes and incomplete results are not collected node by node).
    results = Axe().run(
        page.page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    violations = results.response.get("violations", [])
    details = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in violations
    )
    assert not violations, f"axe found WCAG violations on {page.page.url}:\n{details}"
    if SHOTS and name:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        # The whole page, but at most 1,800 px of it: a tour picture, not an archive.
        height = min(page.page.evaluate("() => document.documentElement.scrollHeight"), 1800)
        page.page.screenshot(
            path=str(Path(SHOTS) / f"{name}.png"),
            full_page=True,
            clip={"x": 0, "y": 0, "width": 1280, "height": height},
        )


def login(page: Page, username: str, password: str) -> None:
    """Sign in through the login form with the keyboard, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=False).fill(password)
    page.get_by_label("Password", exact=False).press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
