"""Browser tests: pytest-playwright driving Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run beside one
# unless told it is safe (it is: the loop only talks to the browser, never to the database).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def pytest_collection_modifyitems(config, items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason="Chromium is not installed (make system-deps)")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            # The tests press play without a user gesture; headless Chromium otherwise refuses.
            "--autoplay-policy=no-user-gesture-required",
        ],
    }


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def csp_violations(page) -> list[str]:
    """Console messages about the Content-Security-Policy; a test asserts this stays empty."""
    found: list[str] = []
    page.on(
        "console",
        lambda msg: (
            found.append(msg.text) if "Content Security Policy" in msg.text or "Refused to" in msg.text else None
        ),
    )
    return found


def wait_until(page, expression: str, *, arg=None, timeout: float = 10.0) -> None:
    """Poll a JavaScript condition from Python. Playwright's `wait_for_function` evaluates its
    predicate with eval() inside the page, which our CSP (no 'unsafe-eval') rightly refuses;
    `page.evaluate` goes through the DevTools protocol, which the CSP does not govern."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {expression}")
        page.wait_for_timeout(50)


def axe_violations(page, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of those impacts on the page as it is now, one line each (rule, first
    element). axe-core is handed to the page through DevTools, so the page's CSP stays in force."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright", reason="make installs requirements-dev.lock")
    found = axe.Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target'] if v['nodes'] else ''} {v['help']}"
        for v in found
        if v["impact"] in impacts
    ]
