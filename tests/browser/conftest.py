"""Playwright (sync API) driving Debian's chromium, headless: one browser per session, a fresh context (no
cookies, no storage) per test, and a screenshot in tests/browser/screenshots/ of each test that fails."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from infrastructure.console_build import build_console

SCREENSHOTS = Path(__file__).parent / "screenshots"
# A bound for one step only (a live inventory listing takes a second or two); a broken page fails within it.
STEP_TIMEOUT_MS = 15_000
# Assertions wait as long as actions do: connecting an account verifies it live, which takes seconds on a busy
# machine (expect's own default is 5 s).
expect.set_options(timeout=STEP_TIMEOUT_MS)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the web console in a real browser (chromium)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


def chromium_path() -> str:
    """Debian's chromium (`make test` installs it); Playwright's own browser download is not used."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if found is None:
        pytest.fail("chromium is not installed: `make test` installs it (apt-get install chromium).")
    return found


@pytest.fixture(scope="session")
def console_dist() -> Path:
    return build_console()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # No sandbox: CI and this machine run the tests as root, where chromium's sandbox refuses to start.
    launched = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(STEP_TIMEOUT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    if request.node.stash.get(_FAILED, False):
        SCREENSHOTS.mkdir(exist_ok=True)
        opened.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], f"uncaught errors in the page: {errors}"
