"""WCAG 2.2 AA with axe-core in real Chromium: every page of every role, forms with errors included,
and no sideways scrolling at 320 px."""

import pytest
from accessibility import describe, serious_violations
from attendance_helpers import past_meeting
from browser import CHROMIUM_FLAGS, LiveServer, chromium_path, horizontal_overflow
from conftest import PASSWORD
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.browser


@pytest.fixture
def study(factory, db, clock):
    from p4p.modules.practice.models import PracticeLog

    site = factory.site("Northside")
    cohort = factory.cohort(site=site, name="Tuesday group")
    participant = factory.participant(cohort)
    others = [factory.participant(cohort) for _ in range(3)]
    log = PracticeLog(
        participant_id=participant.id,
        practiced_on=clock().date(),
        practice_type="body-scan",
        minutes=15,
        guided=True,
        created_at=clock(),
        updated_at=clock(),
    )
    db.add(log)
    db.commit()
    return {
        "site": site,
        "cohort": cohort,
        "participant": participant,
        "others": others,
        "log": log,
        "meeting": past_meeting(cohort, 2),
        "facilitator": factory.facilitator(site),
        "coordinator": factory.user("coordinator"),
    }


@pytest.fixture
def browser_session(app):
    with LiveServer(app) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 320, "height": 720}, bypass_csp=True)
        page = context.new_page()
        page.base_url = server.url
        yield page
        browser.close()


def _login(page, email):
    page.goto(page.base_url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def _check(page, path, failures, *, submit=None, wide_tables_ok=True):
    if path:
        page.goto(page.base_url + path)
    if submit:
        page.locator(submit).first.click()
        page.wait_for_load_state()
    label = path + (f" after {submit}" if submit else "")
    violations = serious_violations(page)
    if violations:
        failures.append(f"{label}: {describe(violations)}")
    if horizontal_overflow(page) > 0:
        failures.append(f"{label}: scrolls sideways at 320 px")


def test_public_pages_have_no_serious_accessibility_problems(browser_session):
    failures = []
    for path in ("/login", "/reset", "/no-such-page", "/invite/not-a-token"):
        _check(browser_session, path, failures)
    _check(browser_session, "/login", failures, submit="button:has-text('Log in')")
    _check(browser_session, "/reset", failures, submit="button:has-text('Send me a link')")
    assert failures == [], "\n".join(failures)


def test_participant_pages_have_no_serious_accessibility_problems(browser_session, study):
    page, failures = browser_session, []
    _login(page, study["participant"].user.email)
    for path in (
        "/home",
        "/weeks",
        "/weeks/3",
        "/weeks/4",
        "/practice",
        f"/practice/{study['log'].id}/edit",
        "/progress",
        "/check-in",
        "/preferences",
    ):
        _check(page, path, failures)
    _check(page, "/practice", failures, submit="button:has-text('Save my practice')")
    _check(page, "/check-in", failures, submit="button:has-text('Save my check-in')")
    _check(page, "/weeks/3", failures, submit="button:has-text('Save my plan')")
    page.goto(page.base_url + "/preferences")
    page.get_by_label("Quiet from").fill("20:00")
    _check(page, "", failures, submit="button:has-text('Save my choices')")
    assert failures == [], "\n".join(failures)


def test_facilitator_pages_have_no_serious_accessibility_problems(browser_session, study):
    page, failures = browser_session, []
    _login(page, study["facilitator"].email)
    meeting, person = study["meeting"], study["participant"]
    for path in (
        "/staff/",
        f"/staff/meetings/{meeting.id}/attendance",
        f"/staff/meetings/{meeting.id}/print",
        f"/staff/meetings/{meeting.id}/delivery",
        f"/staff/participants/{person.id}",
        f"/staff/participants/{person.id}/makeup",
    ):
        _check(page, path, failures)
    _check(
        page,
        f"/staff/meetings/{meeting.id}/delivery",
        failures,
        submit="button:has-text('Save the record')",
    )
    _check(
        page,
        f"/staff/participants/{person.id}/makeup",
        failures,
        submit="button:has-text('Save the make-up')",
    )
    assert failures == [], "\n".join(failures)


def test_text_at_200_percent_loses_nothing(browser_session, study):
    """Text resized to 200% on a 640 px wide window (a 1280 px screen zoomed): nothing cut off."""
    page, failures = browser_session, []
    page.set_viewport_size({"width": 640, "height": 900})
    _login(page, study["participant"].user.email)
    for path in ("/home", "/weeks/3", "/practice", "/progress"):
        page.goto(page.base_url + path)
        page.add_style_tag(content="html { font-size: 200% !important; }")
        if horizontal_overflow(page) > 0:
            failures.append(path)
    assert failures == []
