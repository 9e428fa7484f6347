"""The Data Share API's docs page in a real browser: local assets only, no CSP violation, readable text."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_render_in_chromium_under_the_csp(live_server, page):
    problems, foreign = [], []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("request", lambda r: not r.url.startswith(live_server.url) and foreign.append(r.url))

    page.goto(f"{live_server.url}/data/docs")
    page.wait_for_selector(".opblock", timeout=15_000)

    assert page.locator(".opblock").count() >= 9, "every operation is listed"
    assert page.get_attribute("html", "lang") == "en"
    # A phone lays the page out at its own width, not a shrunken desktop's; nothing is cut off sideways.
    assert "width=device-width" in page.get_attribute("meta[name=viewport]", "content")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert problems == [] and foreign == []


def test_the_docs_text_has_enough_contrast(live_server, page):
    page.goto(f"{live_server.url}/data/docs")
    page.wait_for_selector(".opblock", timeout=15_000)
    # An operation of each method opened, one tried out (Execute, Cancel, its answer's Download).
    for method in ("get", "post", "patch"):
        page.locator(f".opblock-{method} .opblock-summary-control").first.click()
    page.locator(".opblock-get .try-out__btn").first.click()
    page.locator(".opblock-get .btn.execute").first.click()
    page.wait_for_selector(".live-responses-table .download-contents")
    # Only contrast: axe's other serious finding here, nested-interactive (a link inside each
    # operation's toggle button), is swagger-ui's own markup, which our stylesheet cannot change.
    assert [v for v in axe_violations(page) if v.startswith("color-contrast")] == []
