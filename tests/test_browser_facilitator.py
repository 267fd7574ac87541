"""A facilitator takes attendance on a phone in a few taps (real Chromium)."""

import re

import pytest
from attendance_helpers import past_meeting
from browser import CHROMIUM_FLAGS, LiveServer, chromium_path, horizontal_overflow, screenshot
from conftest import PASSWORD
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from p4p.modules.attendance.models import Attendance

pytestmark = pytest.mark.browser


def test_facilitator_takes_attendance_on_a_phone(app, factory, db):
    site = factory.site("Northside")
    cohort = factory.cohort(site=site, name="Tuesday group")
    people = [factory.participant(cohort) for _ in range(4)]
    facilitator = factory.facilitator(site)
    meeting = past_meeting(cohort, 3)

    with LiveServer(app) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_context(
            viewport={"width": 360, "height": 740}, has_touch=True
        ).new_page()
        page.goto(server.url + "/login")
        page.get_by_label("Email").fill(facilitator.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Meetings to record")).to_be_visible()
        page.get_by_role(
            "link", name=re.compile(r"Take attendance\W+Tuesday group, Week 3")
        ).click()

        page.get_by_role("button", name="Mark everyone present (4)").tap()
        expect(page.get_by_text("Attendance saved (4 changed)")).to_be_visible()
        line = page.locator(f"#line-{people[1].id}")
        line.get_by_text("Late").tap()
        page.locator(f"#line-{people[2].id}").get_by_text("Absent").tap()
        page.locator(f"#line-{people[2].id}").get_by_label("Video").check()
        assert horizontal_overflow(page) == 0
        screenshot(page, "facilitator-sheet")
        page.get_by_role("button", name="Save attendance").tap()
        expect(page.get_by_text("Attendance saved (2 changed)")).to_be_visible()
        browser.close()

    db.expire_all()
    marks = {
        a.participant_id: (a.status, a.mode)
        for a in db.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    assert marks == {
        people[0].id: ("present", "in_person"),
        people[1].id: ("late", "in_person"),
        people[2].id: ("absent", "video"),
        people[3].id: ("present", "in_person"),
    }


def test_facilitator_takes_attendance_with_the_keyboard_alone(app, factory, db):
    site = factory.site("Eastside")
    cohort = factory.cohort(site=site, name="Keyboard group")
    people = [factory.participant(cohort) for _ in range(2)]
    facilitator = factory.facilitator(site)
    meeting = past_meeting(cohort, 2)

    with LiveServer(app) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
        page.goto(server.url + "/login")
        page.get_by_label("Email").focus()
        page.keyboard.type(facilitator.email)
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.goto(f"{server.url}/staff/meetings/{meeting.id}/attendance")
        # Tab to the first person's "Present", then the arrow keys move along the statuses.
        first = page.locator(f"#s-{people[0].id}-present")
        first.focus()
        page.keyboard.press("ArrowRight")  # late
        focused = page.evaluate("document.activeElement.id")
        assert focused == f"s-{people[0].id}-late"
        outline = page.evaluate(
            "getComputedStyle(document.activeElement.nextElementSibling).outlineStyle"
        )
        assert outline != "none"  # the focus is visible on the big status button
        page.locator(f"#s-{people[1].id}-present").focus()
        page.keyboard.press("Space")
        page.locator(f"#note-{people[1].id}").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        browser.close()

    db.expire_all()
    marks = {
        a.participant_id: a.status
        for a in db.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    assert marks == {people[0].id: "late", people[1].id: "present"}
