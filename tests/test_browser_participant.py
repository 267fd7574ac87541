"""A participant on a phone: login, this week, log practice, see progress (real Chromium)."""

import pytest
from browser import horizontal_overflow, open_page, screenshot
from conftest import PASSWORD
from playwright.sync_api import expect
from sqlalchemy import select

from p4p.modules.practice.models import PracticeLog

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_page(app):
    with open_page(app, 360, 740, locale="en-US") as page:
        yield page


def test_participant_logs_practice_and_sees_progress_on_a_phone(
    browser_page, participant, db, clock
):
    page = browser_page
    page.goto(page.base_url + "/login")
    page.get_by_label("Email").fill(participant.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_text("Week 3 of 9")).to_be_visible()
    expect(page.get_by_text("988").first).to_be_visible()
    assert horizontal_overflow(page) == 0
    screenshot(page, "participant-this-week")

    page.get_by_role("link", name="Open this week's session").click()
    expect(page.get_by_role("heading", name="Try it together")).to_be_visible()
    assert horizontal_overflow(page) == 0

    page.get_by_role("link", name="Practice", exact=True).click()
    page.get_by_label("What did you practice?").select_option("body-scan")
    page.get_by_label("Minutes").fill("300")
    page.get_by_role("button", name="Save my practice").click()
    expect(page.locator("#minutes-error")).to_contain_text("from 1 to 240")
    screenshot(page, "participant-practice-error")
    page.get_by_label("Minutes").fill("20")
    page.get_by_label("Guided (with a recording or a person)").check()
    page.get_by_label("Pain before (0 to 10, optional)").fill("6")
    page.get_by_label("Pain after (0 to 10, optional)").fill("4")
    page.get_by_role("button", name="Save my practice").click()
    expect(page.get_by_text("Your practice is saved")).to_be_visible()
    expect(page.get_by_text("20 minutes")).to_be_visible()
    db.expire_all()
    assert db.scalar(select(PracticeLog.minutes)) == 20

    page.get_by_role("link", name="My progress").click()
    expect(page.get_by_role("heading", name="My progress")).to_be_visible()
    expect(page.locator("svg[role=img]").first).to_be_visible()
    screenshot(page, "participant-progress")

    page.set_viewport_size({"width": 320, "height": 700})
    for path in ("/home", "/weeks", "/weeks/3", "/practice", "/progress", "/check-in"):
        page.goto(page.base_url + path)
        assert horizontal_overflow(page) == 0, path


def test_keyboard_only_participant_can_log_practice(browser_page, participant, db, clock):
    page = browser_page
    page.goto(page.base_url + "/login")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
    page.get_by_label("Email").focus()
    page.keyboard.type(participant.user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(page.base_url + "/practice")
    page.get_by_label("Minutes").focus()
    page.keyboard.type("15")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("Your practice is saved")).to_be_visible()


def test_listen_buttons_appear_with_javascript_and_speak_in_the_pages_language(app, factory, db):
    participant = factory.participant()
    participant.user.language = "es"
    db.commit()
    with open_page(app, 360, 740) as page:
        page.add_init_script(
            "window.__spoken = [];"
            "window.speechSynthesis.speak = (u) => { window.__spoken.push([u.lang, u.text.slice(0, 40)]); };"
        )
        page.goto(page.base_url + "/login")
        page.get_by_label("Email").fill(participant.user.email)
        page.get_by_label("Password").fill("correct horse battery")  # English until logged in
        page.get_by_role("button", name="Log in").click()
        page.goto(page.base_url + "/weeks/3")
        button = page.locator(".listen-button").first
        expect(button).to_be_visible()
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
        spoken = page.evaluate("window.__spoken")
        assert spoken and spoken[0][0] == "es"


def test_without_javascript_the_week_reads_the_same_and_has_no_listen_button(app, participant):
    with open_page(app, 360, 740, java_script_enabled=False) as page:
        page.goto(page.base_url + "/login")
        page.get_by_label("Email").fill(participant.user.email)
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()
        page.goto(page.base_url + "/weeks/3")
        expect(page.get_by_role("heading", name="Try it together")).to_be_visible()
        assert page.locator(".listen-button").count() == 0
        assert horizontal_overflow(page) == 0
