"""WCAG 2.2 AA with axe-core in real Chromium: every page of every role, forms with errors included,
and no sideways scrolling at 320 px."""

import pytest
from accessibility import describe, serious_violations
from attendance_helpers import past_meeting
from browser import horizontal_overflow, log_in, open_page
from conftest import PASSWORD

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
        "admin": factory.user("admin"),
    }


@pytest.fixture
def browser_session(app):
    with open_page(app, 320, 720, bypass_csp=True) as page:
        yield page


def _login(page, email):
    log_in(page, email, PASSWORD)


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
    for path in (
        "/login",
        "/reset",
        "/no-such-page",
        "/invite/not-a-token",
        "/i/not-a-token",
        "/contact/confirm/not-a-token",
    ):
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
        f"/practice/{study['log'].id}/delete",
        "/progress",  # its questionnaires list: two missed weeks and this week's open one
        "/preferences",
        "/help",
        "/calendar",
    ):
        _check(page, path, failures)
    # The calendar page once a link is made shows the long address to copy.
    _check(page, "/calendar", failures, submit="button:has-text('Make my calendar link')")
    _check(page, "/practice", failures, submit="button:has-text('Save my practice')")
    _check(page, "/weeks/3", failures, submit="button:has-text('Save my plan')")
    page.goto(page.base_url + "/preferences")
    page.get_by_label("Quiet from").fill("20:00")
    _check(page, "", failures, submit="button:has-text('Save my choices')")
    # Contact details: empty forms sent (field errors), then with a code waiting, a wrong code.
    _check(page, "/account/contact", failures, submit="button:has-text('Email me a link')")
    _check(page, "/account/contact", failures, submit="button:has-text('Text me a code')")
    page.get_by_label("New mobile phone number").fill("(312) 555-0142")
    _check(page, "", failures, submit="button:has-text('Text me a code')")
    page.get_by_label("The 6-digit code from the text").fill("12")
    _check(page, "", failures, submit="button:has-text('Confirm the new number')")
    assert failures == [], "\n".join(failures)


def test_questionnaire_pages_have_no_serious_accessibility_problems(browser_session, study):
    """The list, a question with and without its message, review with missing answers named,
    and a sent questionnaire read back; without JavaScript each screen is a plain form."""
    page, failures = browser_session, []
    _login(page, study["participant"].user.email)
    save = "button:has-text('Save and go on')"
    _check(page, "/questionnaires", failures)
    _check(page, "/questionnaires/peg/week-3/1", failures)
    _check(page, "", failures, submit=save)  # nothing chosen: the field's message
    page.get_by_label("4", exact=True).check()
    _check(page, "", failures, submit=save)  # on to question 2
    _check(page, "/questionnaires/peg/week-3/review", failures)
    _check(page, "", failures, submit="button:has-text('Send my answers')")  # two missing
    for number in (2, 3):
        page.goto(page.base_url + f"/questionnaires/peg/week-3/{number}")
        page.get_by_label("5", exact=True).check()
        page.locator("button[type=submit].primary").click()
        page.wait_for_load_state()
    _check(page, "", failures, submit="button:has-text('Send my answers')")  # sent: the list
    _check(page, "", failures, submit="a[href^='/questionnaires/answers/']")
    assert "/questionnaires/answers/" in page.url
    _check(page, "/progress", failures)  # the check-in chart, and week 3 sent in the list
    _check(page, "/home", failures)  # this week's check-in is done
    assert failures == [], "\n".join(failures)


def test_the_email_confirmation_page_has_no_serious_accessibility_problems(
    browser_session, app, db, study, clock
):
    from p4p.modules.auth import contact
    from p4p.modules.auth.models import ContactField

    with app.test_request_context():
        change = contact.request_change(
            db, study["participant"].user, ContactField.EMAIL, "new@example.org", clock()
        )
        db.commit()
        link = "/contact/confirm/" + contact._link_token(change.salt)
    failures = []
    _check(browser_session, link, failures)
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
        f"/staff/participants/{person.id}/call",
        "/calendar",
    ):
        _check(page, path, failures)
    _check(page, "/calendar", failures, submit="button:has-text('Make my calendar link')")
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
    # Sent without an outcome: the page again with its messages.
    _check(
        page,
        f"/staff/participants/{person.id}/call",
        failures,
        submit="button:has-text('Save the call')",
    )
    assert failures == [], "\n".join(failures)


def test_staff_questionnaire_pages_have_no_serious_accessibility_problems(
    browser_session, study, db, scheduled_peg
):
    """Completion by site and cohort, a sent response's answers and scores, and the follow-up
    list naming missed questionnaires; and the participant's reminder choices offering them."""
    from datetime import timedelta

    from p4p.modules.instruments.answer_models import InstrumentAnswer, InstrumentResponse

    person, clock_now = study["participant"], study["log"].created_at
    response = InstrumentResponse(
        participant_id=person.id,
        instrument="peg",
        occasion="week-2",
        started_at=clock_now - timedelta(days=7),
        submitted_at=clock_now - timedelta(days=7),
        scores={"peg_score": 5.0},
    )
    response.answers.append(InstrumentAnswer(item="peg_pain", number=5, answered_at=clock_now))
    db.add(response)
    for other in study["others"]:
        other.user.activated_at = None  # on the follow-up list, with missed questionnaires
    db.commit()
    page, failures = browser_session, []
    _login(page, study["facilitator"].email)
    for path in (
        "/staff/questionnaires",
        f"/staff/questionnaires/cohorts/{study['cohort'].id}",
        f"/staff/questionnaires/responses/{response.id}",
        "/staff/",
    ):
        _check(page, path, failures)
    assert "Questionnaires missed lately:" in page.content()
    page.context.clear_cookies()
    _login(page, person.user.email)
    _check(page, "/preferences", failures)
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


def test_coordinator_pages_have_no_serious_accessibility_problems(browser_session, study):
    page, failures = browser_session, []
    _login(page, study["coordinator"].email)
    cohort, meeting, person = study["cohort"], study["meeting"], study["participant"]
    for path in (
        "/admin/sites",
        "/admin/facilitators",
        "/admin/facilitators/new",
        f"/admin/facilitators/{study['facilitator'].id}",
        "/admin/cohorts",
        "/admin/cohorts/new",
        f"/admin/cohorts/{cohort.id}",
        f"/admin/cohorts/{cohort.id}/edit",
        f"/admin/meetings/{meeting.id}/move",
        "/admin/participants",
        "/admin/participants/new",
        f"/admin/participants/{person.id}",
        "/admin/roster",
        "/admin/roster/invites",
        "/admin/audit",
        "/staff/outbox",
        "/staff/outbox?status=sent",
    ):
        _check(page, path, failures)
    _check(page, "/admin/roster", failures, submit="button:has-text('Check and import')")
    for path in (
        "/admin/cohorts/new",
        "/admin/participants/new",
        "/admin/facilitators/new",
        f"/admin/meetings/{meeting.id}/move",
    ):
        _check(page, path, failures, submit="main form.stack button[type=submit]")
    # A meeting still ahead offers its cancel form; sent without a reason, it comes back.
    ahead = next(m for m in cohort.meetings if m.week == 8)
    _check(page, f"/admin/meetings/{ahead.id}/move", failures)
    _check(
        page,
        f"/admin/meetings/{ahead.id}/move",
        failures,
        submit="button:has-text('Cancel the meeting')",
    )
    assert failures == [], "\n".join(failures)


def test_admin_pages_have_no_serious_accessibility_problems(browser_session, study):
    """The settings and staff accounts only admins reach, fresh, refused and sent back."""
    page, failures = browser_session, []
    _login(page, study["admin"].email)
    admin = study["admin"]
    for path in (
        "/admin/sites",
        "/admin/sites/new",
        f"/admin/sites/{study['site'].id}/edit",
        "/admin/staff",
        "/admin/staff/new",
        f"/admin/staff/{study['coordinator'].id}",
        f"/admin/staff/{admin.id}",
    ):
        _check(page, path, failures)
    _check(page, "/admin/sites/new", failures, submit="button:has-text('Save the site')")
    _check(page, "/admin/staff/new", failures, submit="main form.stack button[type=submit]")
    # The last admin's refusals, each shown at its field.
    _check(page, f"/admin/staff/{admin.id}", failures, submit="button:has-text('Deactivate')")
    page.goto(page.base_url + f"/admin/staff/{admin.id}")
    page.locator("input[name=role][value=coordinator]").check()
    _check(page, "", failures, submit="button:has-text('Save the role')")
    assert failures == [], "\n".join(failures)
