"""Bad input never makes a 500 (issue 16, item 8): bodies that are not forms, digits that are
not ASCII, line breaks in a redirect target, and the error page after a database error."""

import io
import json

import pytest
from attendance_helpers import past_meeting, setup_site, sheet_data
from conftest import login
from sqlalchemy import func, select, text

from p4p.access import public
from p4p.modules.attendance.models import Attendance
from p4p.modules.practice.models import ActionPlan

GOOD_PLAN = {"what": "walk", "how_much": "10 minutes", "when": "mornings", "how_often": "3"}
PLAN = "/weeks/3/plan"


def _plans(db):
    db.expire_all()
    return list(db.scalars(select(ActionPlan)))


@pytest.mark.parametrize(
    "body",
    [
        {**GOOD_PLAN, "confidence": "8", "what": "a\x00b"},
        {**GOOD_PLAN, "confidence": {"nested": [1, 2]}},
        {**GOOD_PLAN, "confidence": 8, "what": ["a", "b"]},
        [1, 2, 3],
        "just a string",
        None,
    ],
)
def test_a_json_body_is_refused_and_nothing_is_stored(participant_client, db, body):
    response = participant_client.post(PLAN, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 415
    assert "Something went wrong" not in response.get_data(as_text=True)
    assert _plans(db) == []


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/octet-stream"]
)
def test_other_media_types_are_refused_with_the_house_page(participant_client, db, content_type):
    response = participant_client.post(
        PLAN, data=b"\xff\xfe what=a\x00b&confidence=8", content_type=content_type
    )
    assert response.status_code == 415
    assert "<main" in response.get_data(as_text=True)
    assert _plans(db) == []


def test_a_file_where_a_text_field_is_expected_is_not_read_as_text(participant_client, db):
    response = participant_client.post(
        PLAN,
        data={**GOOD_PLAN, "confidence": "8", "what": (io.BytesIO(b"a\x00b"), "what.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert _plans(db) == []


def test_a_form_in_another_charset_never_makes_a_500(participant_client, db):
    response = participant_client.post(
        PLAN,
        data="what=caf\xe9&how_much=1&when=2&how_often=3&confidence=8".encode("latin-1"),
        content_type="application/x-www-form-urlencoded; charset=latin-1",
    )
    assert response.status_code < 500


def test_a_unicode_digit_as_a_sheet_version_is_ignored_not_a_500(factory, client, db):
    _site, cohort, people, _f = setup_site(factory, client, people=2)
    meeting = past_meeting(cohort)
    url = f"/staff/meetings/{meeting.id}/attendance"
    data = sheet_data(client.get(url).get_data(as_text=True), {p.id: "present" for p in people})
    data[f"version-{people[0].id}"] = "²"  # str.isdigit() says yes, int() says no
    response = client.post(url, data=data)
    assert response.status_code == 302
    db.expire_all()
    marked = set(db.scalars(select(Attendance.participant_id)))
    assert marked == {people[1].id}  # the line with the unreadable version is left as it was


@pytest.mark.parametrize(
    "target",
    [
        "/weeks\r\nSet-Cookie: x=1",
        "/weeks\n",
        "/\tweeks",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/week\x7fs",
    ],
)
def test_a_next_with_line_breaks_or_another_host_goes_home(factory, client, target):
    user = factory.user("participant")
    response = client.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    response = client.post("/language", data={"language": "es", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_plain_local_next_is_kept(factory, client):
    user = factory.user("participant")
    response = client.post(
        "/login",
        query_string={"next": "/weeks/3?x=1"},
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/weeks/3?x=1"
    response = client.post("/language", data={"language": "es", "next": "/practice"})
    assert response.headers["Location"] == "/practice"


PASSWORD = "correct horse battery"


@pytest.fixture
def app_with_a_broken_route(app_config):
    """The app as in production (errors become the error page, not a test failure), with
    routes whose SQL the database refuses: a statement, and a flush of a row missing its
    required columns (which leaves the session needing a rollback on every database)."""
    from conftest import _empty_all_tables

    from p4p import create_app

    app = create_app({**app_config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    @public
    def broken():
        from p4p.db import session

        session.execute(text("SELECT * FROM no_such_table"))
        return "not reached"

    @public
    def broken_flush():
        from p4p.db import session

        session.add(Attendance())
        session.flush()
        return "not reached"

    app.add_url_rule("/broken", "broken", broken)
    app.add_url_rule("/broken-flush", "broken_flush", broken_flush)
    yield app
    _empty_all_tables(app.extensions["p4p.engine"])
    app.extensions["p4p.engine"].dispose()


@pytest.mark.parametrize("path", ["/broken", "/broken-flush"])
def test_the_error_page_renders_after_a_database_error(app_with_a_broken_route, db, factory, path):
    from conftest import Factory

    app = app_with_a_broken_route
    people = Factory(app, db, factory.clock)
    client = app.test_client()
    user = people.user("facilitator")
    assert login(client, user.email).status_code == 302
    for _ in range(2):  # and the next request on the same worker is fine too
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "Something went wrong on our side" in page and "<main" in page
    assert client.get("/staff/").status_code == 200
    assert db.scalar(select(func.count()).select_from(Attendance)) == 0
