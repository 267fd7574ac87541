"""Roster import: a CSV file is checked as a whole; one bad row imports nothing and the page
names each bad line and column; a good file enrols everyone in one transaction."""

import pytest
from coordinator_helpers import (
    as_role,
    events,
    participant_count,
    real_smtp,
    roster_csv,
    roster_row,
    upload,
)
from reminder_helpers import SmsProvider
from sqlalchemy import select

from p4p.modules.participants.models import Participant


@pytest.fixture
def coordinator(factory, client):
    return as_role(factory, client, "coordinator")


@pytest.fixture
def cohorts(factory):
    site = factory.site("North")
    return (
        factory.cohort(site=site, name="North P4P"),
        factory.cohort(site=site, arm="keys_to_wellbeing", name="North KTW"),
    )


def _refused(response, *expected):
    """The page is a 422 that names each (line, column, message) in its problem table."""
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    for line, column, message in expected:
        row = f'<th scope="row">{line}</th>\n          <td>{column}</td>\n          <td>{message}'
        assert row in page, (line, column, message)
    return page


def test_a_good_file_enrols_everyone_with_one_event_each_then_offers_invites(
    app, db, cohorts, coordinator
):
    p4p, ktw = cohorts
    rows = [
        roster_row(p4p, 1),
        roster_row(ktw, 2, language="ES", cohort=" north ktw "),
        roster_row(ktw, 3, email="", phone="773-555-0199"),
    ]
    response = upload(coordinator, roster_csv(rows, bom=True))
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/roster/invites"
    imported = db.scalars(select(Participant).order_by(Participant.study_id)).all()
    assert [(p.study_id, p.arm, p.cohort_id) for p in imported] == [
        ("R-0001", "partners4pain", p4p.id),
        ("R-0002", "keys_to_wellbeing", ktw.id),
        ("R-0003", "keys_to_wellbeing", ktw.id),
    ]
    assert imported[1].user.language == "es" and imported[2].user.email is None
    enrolled = events(db, "enrol")
    assert len(enrolled) == 3 and {e.new["source"] for e in enrolled} == {"roster"}
    page = coordinator.get("/admin/roster/invites").get_data(as_text=True)
    # The phone-only person is invited too, by text (before: left out for good).
    assert "3 participants have an email or phone" in page and "R-0003" in page
    with real_smtp(app) as smtp, SmsProvider() as provider:
        provider.configure(app)
        page = coordinator.post("/admin/roster/invites", follow_redirects=True).get_data(
            as_text=True
        )
    assert sorted(m["To"] for m in smtp.messages) == ["person1@example.org", "person2@example.org"]
    assert [text["To"] for text in provider.received] == ["+17735550199"]
    assert "3 invite links are on their way" in page and "Everyone with an email or phone" in page
    assert len(events(db, "invite-sent")) == 3


@pytest.mark.parametrize(
    ("bad", "line", "column", "message"),
    [
        ({"study_id": "R-0001"}, 4, "study_id", "The same value is on line 2."),
        ({"study_id": "r-0002"}, 4, "study_id", "The same value is on line 3."),
        ({"email": "PERSON1@example.org"}, 4, "email", "The same value is on line 2."),
        ({"study_id": "T-0900"}, 4, "study_id", "Another participant has this study ID."),
        ({"email": "taken@example.org"}, 4, "email", "Another account has this email."),
        ({"email": "person@"}, 4, "email", "Enter an email address like name@example.org."),
        ({"email": "", "phone": ""}, 4, "email", "Give an email or a phone number (or both)."),
        ({"phone": "call me"}, 4, "phone", "Enter a valid phone number"),
        ({"cohort": "Nowhere group"}, 4, "cohort", "No cohort has this name."),
        ({"cohort": ""}, 4, "cohort", "Name the cohort."),
        ({"language": "fr"}, 4, "language", "Use a language code: en, es."),
        ({"language": ""}, 4, "language", "Use a language code: en, es."),
        ({"name": ""}, 4, "name", "Enter the participant"),
        ({"study_id": "R 4"}, 4, "study_id", "Use 1 to 40 letters, digits and hyphens"),
    ],
)
def test_one_bad_row_imports_nothing_and_is_named(
    db, factory, cohorts, coordinator, bad, line, column, message
):
    p4p, _ktw = cohorts
    existing = factory.participant(p4p)
    existing.study_id = "T-0900"
    factory.user("facilitator", email="taken@example.org")
    db.commit()
    rows = [roster_row(p4p, 1), roster_row(p4p, 2), roster_row(p4p, 4, **bad), roster_row(p4p, 5)]
    _refused(upload(coordinator, roster_csv(rows)), (line, column, message))
    assert participant_count(db) == 1
    assert events(db, "enrol") == []


def test_every_bad_row_is_listed_in_file_order(db, cohorts, coordinator):
    p4p, _ktw = cohorts
    rows = [
        roster_row(p4p, 1, email="bad"),
        roster_row(p4p, 2),
        roster_row(p4p, 3, language="de", cohort="Gone"),
    ]
    page = _refused(
        upload(coordinator, roster_csv(rows)),
        (2, "email", "Enter an email address like name@example.org."),
        (4, "language", "Use a language code: en, es."),
        (4, "cohort", "No cohort has this name."),
    )
    assert page.index('<th scope="row">2</th>') < page.index('<th scope="row">4</th>')
    assert participant_count(db) == 0


def test_line_numbers_count_the_files_own_lines(db, cohorts, coordinator):
    p4p, _ktw = cohorts
    text = (
        "study_id,name,email,phone,language,cohort\r\n"
        "\r\n"
        f'R-1,"Ana\nMaria",ana@example.org,,en,{p4p.name}\r\n'
        f"R-2,Bo,bo@,,en,{p4p.name}\r\n"
    )
    _refused(upload(coordinator, text.encode()), (5, "email", "Enter an email address"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"id,name,email,phone,language,cohort\r\nR-1,A,a@example.org,,en,North P4P\r\n",
            "The first line must name these columns",
        ),
        (
            b"study_id,name,email,language,cohort\r\nR-1,A,a@example.org,en,North P4P\r\n",
            "The first line must name these columns",
        ),
        (b"study_id;name;email;phone;language;cohort\r\n", "separated by commas"),
        (
            "study_id,name,email,phone,language,cohort\r\nR-1,José,j@example.org,,es,North P4P\r\n".encode(
                "latin-1"
            ),
            "not UTF-8",
        ),
        (b"study_id,name,email,phone,language,cohort\r\n", "no participants"),
        (b"", "no participants"),
        (
            b"study_id,name,email,phone,language,cohort\r\nR-1,A\x00,a@example.org,,en,North P4P\r\n",
            "not a text file",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
    ],
)
def test_a_file_that_is_not_a_roster_is_refused_whole(db, cohorts, coordinator, data, message):
    page = _refused(upload(coordinator, data))
    assert '<th scope="row">The file</th>' in page and message in page
    assert participant_count(db) == 0


def test_broken_quotes_name_the_line(db, cohorts, coordinator):
    data = b'study_id,name,email,phone,language,cohort\r\nR-1,"A"B,a@example.org,,en,North P4P\r\n'
    _refused(upload(coordinator, data), (2, "", "This line is not valid CSV"))


def test_a_row_with_too_few_or_too_many_cells_is_named(db, cohorts, coordinator):
    p4p, _ktw = cohorts
    rows = [roster_row(p4p, 1), ["R-2", "Bo"], [*roster_row(p4p, 3), "extra"]]
    _refused(
        upload(coordinator, roster_csv(rows)),
        (3, "", "This line needs exactly 6 cells."),
        (4, "", "This line needs exactly 6 cells."),
    )


def test_too_many_rows_or_too_large_a_file_is_refused(db, cohorts, coordinator):
    p4p, _ktw = cohorts
    many = roster_csv([roster_row(p4p, n) for n in range(2001)])
    page = _refused(upload(coordinator, many))
    assert "more than 2000 participants" in page
    big = roster_csv([roster_row(p4p, 1, name="x" * 1_100_000)])
    assert "larger than 1 MB" in _refused(upload(coordinator, big))
    huge = roster_csv([roster_row(p4p, 1, name="x" * 2_200_000)])
    response = upload(coordinator, huge)
    assert response.status_code == 413
    assert "That upload is too large" in response.get_data(as_text=True)
    assert participant_count(db) == 0


def test_uploading_without_a_file_asks_for_one(db, coordinator):
    response = coordinator.post("/admin/roster", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="file-error"' in page and "Choose a CSV file" in page


def test_two_thousand_participants_import_in_one_go(db, cohorts, coordinator, count_queries):
    p4p, ktw = cohorts
    rows = [roster_row(p4p if n % 2 else ktw, n) for n in range(2000)]
    assert upload(coordinator, roster_csv(rows)).status_code == 302
    assert participant_count(db) == 2000
    assert len(events(db, "enrol")) == 2000


def test_invites_go_out_a_hundred_at_a_time(app, db, cohorts, coordinator):
    p4p, _ktw = cohorts
    upload(coordinator, roster_csv([roster_row(p4p, n) for n in range(120)]))
    with real_smtp(app) as smtp:
        page = coordinator.post("/admin/roster/invites", follow_redirects=True).get_data(
            as_text=True
        )
        assert len(smtp.messages) == 100
        assert "20 participants have an email or phone" in page
        coordinator.post("/admin/roster/invites").close()  # delivered: they go now
        assert len(smtp.messages) == 120
