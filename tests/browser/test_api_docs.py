"""The Data Share API's docs page in a real browser: local assets only, no CSP violation."""

from __future__ import annotations

import pytest

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
