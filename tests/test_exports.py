"""CSV exports (long, summary, REDCap and its dictionary) from the URL and the command line:
the issue's columns, numbers that match the sheets, formulas neutralised, streamed, audited,
and a facilitator's export holds their own sites only."""

import re
from datetime import time
from urllib.parse import parse_qsl

import pytest
from reports_helpers import build_study, csv_rows, staff_client
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from p4p import create_app
from p4p.modules.audit.models import AuditEvent
from p4p.modules.reports.exports import neutralise

LONG = ["study_id", "site", "cohort", "arm", "week", "meeting_date", "meeting_status",
        "attendance_status", "made_up", "mode"]  # fmt: skip
SUMMARY = ["study_id", "site", "cohort", "arm", "status", "meetings_attended", "makeups", "dose",
           "completer", "weeks_done", "practice_minutes", "practice_days", "last_activity",
           "meetings_offered", "meetings_not_yet_enrolled"]  # fmt: skip
DICTIONARY = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
]  # fmt: skip
REDCAP_NAME = re.compile(r"^[a-z][a-z0-9_]{0,25}$")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "COMPLETER_MIN_DOSE": 2}


@pytest.fixture
def study(app, factory, db, clock):
    return build_study(app, factory, db, clock)


def download(client, query: str, status: int = 200):
    # A POST, as the export page's form sends it (CSRF is off in the tests' settings).
    response = client.post(
        "/reports/attendance.csv", data=MultiDict(parse_qsl(query, keep_blank_values=True))
    )
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response


def by_key(rows: list[list[str]], *key_columns: int) -> dict:
    return {tuple(row[i] for i in key_columns): row for row in rows[1:]}


def test_long_export_has_one_row_per_participant_and_meeting(app, study):
    rows = csv_rows(download(staff_client(app, study.coordinator), "format=long").text)
    assert rows[0] == LONG
    assert len(rows) == 1 + 6 * 9  # six people, nine meetings each
    found = by_key(rows, 0, 4)
    amy, ben, cal = study.amy.study_id, study.ben.study_id, study.cal.study_id
    assert found[(amy, "1")] == [amy, "North", "North P4P", "partners4pain", "1", "2026-02-23",
                                 "held", "present", "0", "in_person"]  # fmt: skip
    assert found[(ben, "2")][6:9] == ["held", "absent", "1"]  # made up
    assert found[(ben, "3")][7:9] == ["excused", "0"]
    assert found[(cal, "2")][7:10] == ["unmarked", "0", ""]
    assert found[(study.dee.study_id, "3")][6:8] == ["cancelled", "unmarked"]
    assert found[(amy, "9")][6:8] == ["scheduled", "unmarked"]


def test_summary_export_totals_match_the_sheets(app, study, clock):
    rows = csv_rows(download(staff_client(app, study.coordinator), "format=summary").text)
    assert rows[0] == SUMMARY
    found = by_key(rows, 0)
    today = clock().date().isoformat()
    assert found[(study.amy.study_id,)][4:13] == [
        "active",
        "3",
        "0",
        "3",
        "1",
        "2",
        "40",
        "1",
        today,
    ]
    assert found[(study.amy.study_id,)][13:] == ["3", "0"]  # weeks 1-3 met, all after enrolment
    assert found[(study.dee.study_id,)][13:] == ["2", "0"]  # week 3 was cancelled
    assert found[(study.ben.study_id,)][4:9] == ["active", "1", "1", "2", "1"]
    assert found[(study.cal.study_id,)][4:9] == ["withdrawn", "0", "0", "0", "0"]
    assert found[(study.cal.study_id,)][12] == ""  # being marked absent is no activity
    assert found[(study.eve.study_id,)][4:12] == ["active", "1", "0", "1", "0", "0", "0", "0"]
    fay = found[(study.fay.study_id,)]
    assert fay[1:4] == ["South", "South P4P", "partners4pain"]
    assert fay[12] == "2026-02-23"  # the meeting she attended, her only activity


def test_redcap_export_is_coded_for_the_data_import_tool(app, study):
    client = staff_client(app, study.coordinator)
    rows = csv_rows(download(client, "format=redcap").text)
    header = rows[0]
    assert header[:2] == ["record_id", "redcap_event_name"]
    assert all(REDCAP_NAME.match(name) for name in header), header
    # The delivery record's variables, then the questionnaires' (the shipped PEG's: its items
    # and score, as tests/test_exports_questionnaires.py checks).
    peg = ["peg_pain", "peg_enjoyment", "peg_activity", "peg_score"]
    assert header[-4:] == peg and all(name.startswith("p4p_") for name in header[2:-4])
    record = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    amy, ben = record[study.amy.study_id], record[study.ben.study_id]
    assert amy["redcap_event_name"] == "program_arm_1"
    assert (amy["p4p_arm"], amy["p4p_status"], amy["p4p_dose"], amy["p4p_completer"]) == (
        "1", "1", "3", "1",
    )  # fmt: skip
    assert (amy["p4p_w1_meeting"], amy["p4p_w1_status"], amy["p4p_w3_status"]) == ("2", "1", "3")
    assert (ben["p4p_w2_status"], ben["p4p_w2_madeup"], ben["p4p_makeups"]) == ("5", "1", "1")
    cal, dee = record[study.cal.study_id], record[study.dee.study_id]
    assert (cal["p4p_status"], cal["p4p_w2_status"]) == ("2", "0")  # withdrawn; not marked
    assert (dee["p4p_arm"], dee["p4p_w3_meeting"], dee["p4p_w4_meeting"]) == ("2", "3", "1")
    dictionary = csv_rows(download(client, "format=redcap-dictionary").text)
    assert dictionary[0] == DICTIONARY
    variables = [row[0] for row in dictionary[1:]]
    assert variables == [header[0], *header[2:]]  # every column but the event, in order
    fields = {row[0]: row for row in dictionary[1:]}
    assert fields["p4p_arm"][5] == "1, Partners4Pain | 2, Keys to Wellbeing"
    assert (
        "5, Absent" in fields["p4p_w2_status"][5] and "0, Not marked" in fields["p4p_w2_status"][5]
    )
    assert fields["p4p_completer"][3] == "yesno" and fields["p4p_completer"][5] == ""
    assert fields["p4p_last_activity"][7] == "date_ymd"


def test_redcap_event_name_and_field_prefix_come_from_the_settings(app_config, study):
    custom = create_app({**app_config, "REDCAP_EVENT_NAME": "baseline_arm_2",
                         "REDCAP_FIELD_PREFIX": "pp_"})  # fmt: skip
    rows = csv_rows(download(staff_client(custom, study.coordinator), "format=redcap").text)
    assert rows[0][2] == "pp_site" and {row[1] for row in rows[1:]} == {"baseline_arm_2"}
    custom.extensions["p4p.engine"].dispose()


@pytest.mark.parametrize(
    "setting",
    [
        {"REDCAP_FIELD_PREFIX": "Bad-Prefix_"},
        {"REDCAP_FIELD_PREFIX": "a_prefix_far_too_long_"},
        {"REDCAP_EVENT_NAME": "Program Arm 1"},
    ],
)
def test_the_app_refuses_to_start_with_unusable_redcap_settings(app_config, setting):
    with pytest.raises(ValueError, match="invalid export settings"):
        create_app({**app_config, **setting})


@pytest.mark.parametrize("fmt", ["long", "summary", "redcap", "redcap-dictionary"])
def test_the_command_line_writes_the_same_csv_as_the_url(app, study, runner, fmt):
    from_url = download(staff_client(app, study.coordinator), f"format={fmt}").text
    result = runner.invoke(args=["export", "attendance", "--format", fmt])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.decode() == from_url  # .output would turn \r\n into \n


def test_the_command_line_takes_the_same_filters(app, study, runner):
    result = runner.invoke(
        args=["export", "attendance", "--format", "summary", "--site", str(study.south.id),
              "--since", "2026-02-01", "--until", "2026-03-31", "--arm", "partners4pain"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [row[0] for row in csv_rows(result.output)[1:]] == [study.fay.study_id]
    bad = runner.invoke(args=["export", "attendance", "--format", "long", "--since", "soon"])
    assert bad.exit_code == 2 and "--since: Enter a date, like 2026-03-10." in bad.output
    bad = runner.invoke(args=["export", "attendance", "--format", "long", "--cohort", "999"])
    assert bad.exit_code == 2 and "Choose a cohort from the list." in bad.output


def test_text_that_looks_like_a_formula_is_neutralised(app, factory, study, runner, db):
    study.p4p.name = '=HYPERLINK("x")'
    study.north.name = "@SUM(A1)"
    db.commit()
    from_url = download(staff_client(app, study.coordinator), "format=long").text
    from_cli = runner.invoke(args=["export", "attendance", "--format", "summary"]).output
    redcap = download(staff_client(app, study.coordinator), "format=redcap").text
    for text in (from_url, from_cli, redcap):
        rows = [row for row in csv_rows(text) if study.amy.study_id in row]
        assert rows and all('\'=HYPERLINK("x")' in row and "'@SUM(A1)" in row for row in rows)
        assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(f"{start}1+1") == f"'{start}1+1"
    assert neutralise("North") == "North" and neutralise(-3) == -3 and neutralise(None) is None


@pytest.mark.parametrize("fmt", ["long", "summary", "redcap", "redcap-dictionary"])
def test_exports_stream_and_are_written_to_the_audit_trail(app, study, db, fmt):
    client = staff_client(app, study.coordinator)
    response = download(client, f"format={fmt}&arm=partners4pain&since=2026-02-01")
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert event.actor_id == study.coordinator.id and event.entity_id == fmt
    assert event.new == {
        "format": fmt,
        "filters": {"arm": "partners4pain", "since": "2026-02-01"},
        "via": "web",
    }


def test_command_line_exports_are_audited_too(app, study, runner, db):
    runner.invoke(args=["export", "attendance", "--format", "long", "--arm", "keys_to_wellbeing"])
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert event.actor_id is None and event.new["via"].startswith("command line (")
    assert event.new["filters"] == {"arm": "keys_to_wellbeing"}


def test_a_facilitators_export_holds_their_own_sites_only(app, study, db):
    client = staff_client(app, study.south_facilitator)
    for fmt in ("long", "summary", "redcap"):
        rows = csv_rows(download(client, f"format={fmt}").text)
        assert {row[0] for row in rows[1:]} == {study.fay.study_id}, fmt
        assert "North" not in download(client, f"format={fmt}").text
    refused = download(client, f"format=long&cohort={study.p4p.id}", status=422)
    assert "Choose a cohort from the list." in refused.text
    download(client, f"format=long&site={study.north.id}", status=422)
    audited = db.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == "export")).all()
    assert len(audited) == 6  # the refused ones wrote nothing


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Choose a format."),
        ("format=xlsx", "Choose one of the options shown."),
        ("format=long&since=31/12/2026", "Enter a date, like 2026-03-10."),
        ("format=long&since=2026-03-10&until=2026-03-01", "The end date is before the start date."),
    ],
)
def test_invalid_export_requests_get_field_errors(app, study, query, message):
    page = download(staff_client(app, study.coordinator), query, status=422).text
    assert message in page and 'class="field-error"' in page


def test_meeting_dates_are_the_sites_local_dates(app, factory, db):
    site = factory.site("Far West", timezone="America/Los_Angeles")
    evening = factory.cohort(site=site, at=time(18, 30), name="Evening group")
    person = factory.participant(evening)
    coordinator = factory.user("coordinator")
    rows = csv_rows(download(staff_client(app, coordinator), "format=long").text)
    first = next(row for row in rows if row[0] == person.study_id and row[4] == "1")
    meeting = next(m for m in evening.meetings if m.week == 1)
    assert meeting.starts_at.date().isoformat() != first[5]  # 18:30 in LA is tomorrow in UTC
    assert first[5] == evening.start_date.isoformat()
