"""Drive the real UI in headless Chromium: login, keyboard decisions, an edit, an undo.

Uses Debian's Chromium (/usr/bin/chromium) through Playwright; no browser is downloaded.
The item page screenshot is saved to tests/artifacts/ for a human to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's browser (apt-get install chromium) to run UI tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download needed)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def _press(page, key: str) -> None:
    """Press a shortcut that submits a form and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def test_keyboard_annotation_flow(page, server, qa_run):
    url, app = server
    store, ctx = app.state.qa.store, app.state.qa.round("browser")
    page.goto(url + "/")
    assert page.locator("h1").inner_text() == "Log in"  # the 401 page is the login form
    page.fill("#token", qa_run[1]["browser"]["ann"])
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.click("#continue")
    first = page.url.rsplit("/", 1)[1]
    assert page.locator(".query img").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "qa_item_page.png"), full_page=True)

    _press(page, "a")                                    # accept
    second = page.url.rsplit("/", 1)[1]
    _press(page, "3")                                    # reject: bad translation
    third = page.url.rsplit("/", 1)[1]
    page.keyboard.press("5")                             # "other" needs a note: focus moves there
    assert page.evaluate("document.activeElement.id") == "note"
    page.keyboard.type("photo shows two products")
    _press(page, "Enter")

    fourth = page.url.rsplit("/", 1)[1]
    original = ctx.data.queries[fourth]["text"]
    page.keyboard.press("e")
    assert page.evaluate("document.activeElement.id") == "edit-text"
    page.fill("#edit-text", original.replace("<image_1>", "<image_9>") if "<image_1>" in original else original + " <image_1>")
    _press(page, "Control+Enter")
    assert "placeholders must be kept exactly" in page.locator("#error").inner_text()
    page.fill("#edit-text", "Please, " + original)
    _press(page, "Control+Enter")
    assert page.url.rsplit("/", 1)[1] != fourth

    _press(page, "u")                                    # undo the edit
    assert page.url.endswith(f"/items/{fourth}")
    assert page.locator("#current").inner_text() == "your decision: not decided yet"

    rows = store.decision_table("browser").to_pylist()
    assert [(r["query_id"], r["action"], r["reason"], r["undone"]) for r in rows] == [
        (first, "accept", None, False), (second, "reject", "bad_translation", False),
        (third, "reject", "other", False), (fourth, "edit", None, True)]
    assert rows[2]["note"] == "photo shows two products" and rows[3]["text"] == "Please, " + original
    assert all(r["annotator"] == "ann" for r in rows)
    page.goto(url + "/")
    assert "3/10 mine" in page.locator("header").inner_text()
    assert os.path.getsize(ARTIFACTS / "qa_item_page.png") > 10_000
