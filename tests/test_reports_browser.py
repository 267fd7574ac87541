"""The report pages in real Chromium at 320 px: axe-core finds no serious or critical WCAG 2.2
problem (error states included), nothing scrolls sideways but the tables' own scroll regions,
and the charts are drawn on the server (no script on the page)."""

import pytest
from accessibility import describe, serious_violations
from browser import horizontal_overflow, log_in, open_page, screenshot
from conftest import PASSWORD
from reports_helpers import build_study

pytestmark = pytest.mark.browser


@pytest.fixture
def study(app, factory, db, clock):
    return build_study(app, factory, db, clock)


@pytest.fixture
def phone(app):
    # bypass_csp lets axe be injected; the pages themselves carry no script at all.
    with open_page(app, 320, 720, bypass_csp=True) as page:
        yield page


def _login(page, email):
    log_in(page, email, PASSWORD)


@pytest.mark.parametrize("role", ["coordinator", "facilitator"])
def test_report_pages_are_accessible_on_a_phone(phone, study, role):
    _login(phone, (study.coordinator if role == "coordinator" else study.north_facilitator).email)
    failures = []
    paths = [
        "/reports/",
        f"/reports/sites/{study.north.id}",
        f"/reports/cohorts/{study.p4p.id}",
        "/reports/exports",
        "/reports/?since=2026-13-01&site=x",  # a form with errors
        "/reports/attendance.csv?format=",  # the export form with errors
    ]
    for path in paths:
        phone.goto(phone.base_url + path)
        violations = serious_violations(phone)
        if violations:
            failures.append(f"{path}: {describe(violations)}")
        if horizontal_overflow(phone) > 0:
            failures.append(f"{path}: scrolls sideways at 320 px")
        assert phone.locator("script").count() == 0, path  # server-drawn: nothing to run
    phone.goto(phone.base_url + "/reports/")
    # Three charts per program; a coordinator's also the shipped PEG's completion and score.
    assert phone.locator("figure.chart svg").count() == (10 if role == "coordinator" else 6)
    screenshot(phone, f"reports-study-{role}")
    phone.goto(phone.base_url + f"/reports/cohorts/{study.p4p.id}")
    screenshot(phone, f"reports-cohort-{role}")
    assert failures == [], "\n".join(failures)


def test_the_questionnaire_figures_are_accessible_on_a_phone(
    app, phone, study, scheduled_peg, monkeypatch
):
    from questionnaire_helpers import add_instrument, answer

    add_instrument(app, monkeypatch)
    answer(app, study.amy, "peg", "week-3", ["6", "5", "4"])
    answer(app, study.dee, "mood", "week-3", ["2", "1", "7", ""])
    _login(phone, study.coordinator.email)
    failures = []
    for path in ("/reports/", f"/reports/sites/{study.north.id}", "/reports/exports"):
        phone.goto(phone.base_url + path)
        violations = serious_violations(phone)
        if violations:
            failures.append(f"{path}: {describe(violations)}")
        if horizontal_overflow(phone) > 0:
            failures.append(f"{path}: scrolls sideways at 320 px")
        assert phone.locator("script").count() == 0, path
    phone.goto(phone.base_url + "/reports/")
    # Three per program, and per questionnaire its completion and its one score per program.
    assert phone.locator("figure.chart svg").count() == 6 + 4 + 4
    screenshot(phone, "reports-study-questionnaires")
    assert failures == [], "\n".join(failures)
