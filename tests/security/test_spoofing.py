"""Text that shows other than it reads (issue 16, item 9): bidirectional controls in any text
field are refused with a message in the person's language, and a fullwidth formula start in
an export is neutralised like the ASCII one."""

import pytest
from attendance_helpers import past_meeting, setup_site, sheet_data
from coordinator_helpers import as_role, enrolment_form, participant_count
from flask_babel import force_locale
from reports_helpers import build_study, csv_rows, staff_client
from sqlalchemy import func, select
from test_form_messages import FORMS, _constructor_arguments
from werkzeug.datastructures import MultiDict
from wtforms import PasswordField, StringField

from p4p.modules.attendance.models import Attendance
from p4p.modules.reports.exports import neutralise

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
        "\u200e", "\u200f", "\u061c"]  # fmt: skip
MESSAGE = {
    "en": "Remove the hidden formatting characters (such as text-direction marks) from this text.",
    "es": "Quite los caracteres de formato ocultos (como las marcas de dirección del texto) de "
    "este texto.",
}


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("form_class", FORMS, ids=[form.__name__ for form in FORMS])
def test_every_text_field_refuses_bidirectional_controls(app, form_class, language):
    with app.test_request_context("/", method="POST"), force_locale(language):
        arguments = _constructor_arguments(form_class, app)
        for mark in BIDI:
            data = MultiDict(
                {name: f"Ana{mark}gpj.exe" for name in form_class(None, **arguments)._fields}
            )
            form = form_class(formdata=data, **arguments)
            for field in form:
                if getattr(field, "choices", ()) is None:
                    field.choices = [(1, "Known")]
            form.validate()
            for field in form:
                if isinstance(field, StringField) and not isinstance(field, PasswordField):
                    assert MESSAGE[language] in field.errors, (form_class, field.name, mark)


def test_an_enrolment_with_a_right_to_left_override_in_the_name_saves_nothing(factory, client, db):
    cohort = factory.cohort()
    as_role(factory, client, "coordinator")
    before = participant_count(db)
    response = client.post(
        "/admin/participants/new", data=enrolment_form(cohort, name="Rosa \u202eztitraM")
    )
    assert response.status_code == 422
    assert MESSAGE["en"] in response.get_data(as_text=True)
    assert participant_count(db) == before


def test_a_sheet_note_with_a_bidirectional_control_is_refused(factory, client, db):
    _site, cohort, people, _f = setup_site(factory, client, people=1)
    meeting = past_meeting(cohort)
    url = f"/staff/meetings/{meeting.id}/attendance"
    data = sheet_data(
        client.get(url).get_data(as_text=True),
        {people[0].id: "present"},
        **{f"note-{people[0].id}": "ok \u2067hidden\u2069"},
    )
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert MESSAGE["en"] in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Attendance)) == 0


@pytest.mark.parametrize("start", ["\uff1d", "\uff0b", "\uff0d", "\uff20", "\ufe62", "\u2212"])
def test_fullwidth_and_lookalike_formula_starts_are_neutralised(start):
    assert neutralise(f'{start}HYPERLINK("x")') == f'\'{start}HYPERLINK("x")'
    assert neutralise(f"North {start}1") == f"North {start}1"


def test_a_fullwidth_equals_in_an_export_cell_is_neutralised(app, factory, db, clock):
    study = build_study(app, factory, db, clock)
    study.p4p.name = '\uff1dHYPERLINK("x")'
    db.commit()
    client = staff_client(app, study.coordinator)
    response = client.post("/reports/attendance.csv", data={"format": "long"})
    rows = [row for row in csv_rows(response.get_data(as_text=True)) if study.amy.study_id in row]
    assert rows and all(row[2] == '\'\uff1dHYPERLINK("x")' for row in rows)
    response.close()
