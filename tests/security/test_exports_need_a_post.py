"""An export writes an audit row, so it is a POST with a CSRF token (issue 16, item 12): a link
or an image on another site cannot make a logged-in coordinator export anything."""

import re

import pytest
from reports_helpers import build_study, csv_rows, staff_client
from sqlalchemy import func, select

from p4p.modules.audit.models import AuditEvent


@pytest.fixture
def study(app, factory, db, clock):
    return build_study(app, factory, db, clock)


@pytest.fixture
def coordinator(app, study):
    """Logged in while the tests' setting has CSRF off, then with CSRF checked as in production."""
    client = staff_client(app, study.coordinator)
    app.config["WTF_CSRF_ENABLED"] = True
    return client


def _exports(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).where(AuditEvent.action == "export"))


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_a_get_shows_the_form_and_exports_nothing(coordinator, study, db):
    client = coordinator
    response = client.get("/reports/attendance.csv?format=long")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'method="post"' in page and re.search(r'<input checked[^>]*value="long"', page)
    assert _exports(db) == 0


def test_a_post_without_the_token_is_refused(coordinator, study, db):
    client = coordinator
    response = client.post("/reports/attendance.csv", data={"format": "long"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert _exports(db) == 0


def test_the_export_page_downloads_with_its_token(coordinator, study, db):
    client = coordinator
    page = client.get("/reports/exports").get_data(as_text=True)
    response = client.post(
        "/reports/attendance.csv", data={"format": "summary", "csrf_token": _token(page)}
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert csv_rows(response.get_data(as_text=True))[0][0] == "study_id"
    response.close()
    assert _exports(db) == 1


def test_the_cohort_page_buttons_download_without_javascript(coordinator, study, db):
    client = coordinator
    page = client.get(f"/reports/cohorts/{study.p4p.id}").get_data(as_text=True)
    forms = re.findall(
        r'<form method="post" action="/reports/attendance.csv".*?</form>', page, re.S
    )
    assert len(forms) == 2
    for form in forms:
        fields = dict(re.findall(r'name="([^"]+)" type="hidden" value="([^"]*)"', form))
        response = client.post("/reports/attendance.csv", data=fields)
        assert response.status_code == 200 and response.mimetype == "text/csv"
        response.close()  # a streamed download: done with it before the next request
    assert _exports(db) == 2
