"""A coordinator on a desktop uploads a roster with one bad row: the page names the row and the
column, and nobody is imported; the fixed file then imports (real Chromium)."""

import pytest
from browser import CHROMIUM_FLAGS, LiveServer, chromium_path, horizontal_overflow, screenshot
from conftest import PASSWORD
from coordinator_helpers import participant_count, roster_csv, roster_row
from playwright.sync_api import expect, sync_playwright

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_page(app):
    with LiveServer(app) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        page = context.new_page()
        page.base_url = server.url
        yield page
        browser.close()


def test_coordinator_sees_the_bad_row_named_and_nothing_imported(browser_page, factory, db):
    cohort = factory.cohort(site=factory.site("Northside"), name="Northside spring")
    coordinator = factory.user("coordinator", name="Casey Coordinator")
    rows = [roster_row(cohort, n) for n in range(1, 6)]
    rows[2] = roster_row(cohort, 3, email="maria.lopez@", phone="")  # line 4 of the file
    page = browser_page
    page.goto(page.base_url + "/login")
    page.get_by_label("Email").fill(coordinator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Roster import").click()
    expect(page.get_by_role("heading", name="Roster import")).to_be_visible()
    page.get_by_label("Roster file (CSV)").set_input_files(
        {"name": "spring.csv", "mimeType": "text/csv", "buffer": roster_csv(rows, bom=True)}
    )
    page.get_by_role("button", name="Check and import").click()

    expect(page.get_by_text("Nothing was imported")).to_be_visible()
    problems = page.get_by_role("region", name="Problems in the file")
    expect(problems.get_by_role("row")).to_have_count(2)  # the header and line 4
    bad = problems.get_by_role("row").nth(1)
    expect(bad.get_by_role("rowheader")).to_have_text("4")
    expect(bad).to_contain_text("email")
    expect(bad).to_contain_text("Enter an email address like name@example.org.")
    assert horizontal_overflow(page) == 0
    screenshot(page, "coordinator-roster-bad-row")
    assert participant_count(db) == 0

    rows[2] = roster_row(cohort, 3, email="maria.lopez@example.org")
    page.get_by_label("Roster file (CSV)").set_input_files(
        {"name": "spring.csv", "mimeType": "text/csv", "buffer": roster_csv(rows)}
    )
    page.get_by_role("button", name="Check and import").click()
    expect(page.get_by_text("5 participants are enrolled.")).to_be_visible()
    expect(page.get_by_role("button", name="Send 5 invites")).to_be_visible()
    screenshot(page, "coordinator-roster-imported")
    assert participant_count(db) == 5
