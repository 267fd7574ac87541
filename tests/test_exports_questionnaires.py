"""The questionnaires in the exports: the long CSV (one row per answer and per score of every
sent questionnaire), its scope and neutralising, and the questionnaires' fields in the REDCap
export and its data dictionary.

The clock stands at Tuesday 2026-03-10 15:00 UTC (09:00 in Chicago, 08:00 in Los Angeles);
week 3 opened on Monday 2026-03-09 and is open three days.
"""

from dataclasses import replace

import pytest
from questionnaire_helpers import add_instrument, answer
from reports_helpers import build_study, csv_rows, staff_client
from sqlalchemy import select
from test_exports import DICTIONARY, download

from p4p.modules.audit.models import AuditEvent
from p4p.modules.instruments.models import Occasion
from p4p.modules.reports.answers import occasion_event

LONG = ["study_id", "site", "cohort", "arm", "instrument", "occasion", "submitted_at",
        "submitted_on", "item", "value"]  # fmt: skip
SENT_AT = "2026-03-10T15:00:00+00:00"


@pytest.fixture
def study(app, factory, db, clock, scheduled_peg, monkeypatch):
    """The reports' study; amy, dee and fay sent this week's PEG, amy the mood questions
    too (a note that looks like a formula); ben started the PEG and did not send it."""
    study = build_study(app, factory, db, clock)
    add_instrument(app, monkeypatch)
    answer(app, study.amy, "peg", "week-3", ["6", "5", "4"])
    answer(app, study.amy, "mood", "week-3", ["1", "0", "7,5", '=HYPERLINK("x")'])
    answer(app, study.dee, "peg", "week-3", ["2", "2", "3"])
    answer(app, study.fay, "peg", "week-3", ["9", "8", "7"])
    answer(app, study.ben, "peg", "week-3", ["1", "1"], send=False)
    return study


def _rows(client, query="format=questionnaires"):
    return csv_rows(download(client, query).text)


def test_the_long_export_has_a_row_per_answer_and_per_score_of_sent_questionnaires(app, study):
    rows = _rows(staff_client(app, study.coordinator))
    assert rows[0] == LONG
    amy, dee, fay = study.amy.study_id, study.dee.study_id, study.fay.study_id
    head = [amy, "North", "North P4P", "partners4pain"]
    peg = [*head, "peg", "week-3", SENT_AT, "2026-03-10"]
    mood = [*head, "mood", "week-3", SENT_AT, "2026-03-10"]
    amys = [row for row in rows[1:] if row[0] == amy]
    assert sorted(amys) == sorted([
        [*peg, "peg_pain", "6"], [*peg, "peg_enjoyment", "5"], [*peg, "peg_activity", "4"],
        [*peg, "peg_score", "5"],
        [*mood, "mood_level", "1"], [*mood, "mood_walked", "0"], [*mood, "mood_hours", "7.5"],
        [*mood, "mood_note", "'=HYPERLINK(\"x\")"], [*mood, "mood_total", "1"],
    ])  # fmt: skip
    assert [row[8] for row in amys if row[4] == "peg"] == [
        "peg_pain", "peg_enjoyment", "peg_activity", "peg_score",
    ]  # the instrument's order, its scores last  # fmt: skip
    deed = {row[8]: row for row in rows[1:] if row[0] == dee}
    assert deed["peg_score"][1:4] == ["North", "North KtW", "keys_to_wellbeing"]
    assert deed["peg_score"][9] == str(7 / 3)
    fays = {row[8]: row for row in rows[1:] if row[0] == fay}
    assert fays["peg_pain"][1:8] == ["South", "South P4P", "partners4pain", "peg", "week-3",
                                     SENT_AT, "2026-03-10"]  # fmt: skip
    assert study.ben.study_id not in {row[0] for row in rows}  # started, never sent
    assert len(rows) == 1 + 9 + 4 + 4


def test_the_submitted_on_date_is_the_sites_local_date(app, study, clock, db, factory):
    from p4p.modules.instruments.answer_models import InstrumentResponse

    response = db.scalar(
        select(InstrumentResponse).where(InstrumentResponse.participant_id == study.fay.id)
    )
    response.submitted_at = response.submitted_at.replace(hour=5)  # 21:00 the day before in LA
    db.commit()
    rows = _rows(staff_client(app, study.coordinator))
    fays = [row for row in rows if row[0] == study.fay.study_id]
    assert {(row[6], row[7]) for row in fays} == {("2026-03-10T05:00:00+00:00", "2026-03-09")}
    since = _rows(staff_client(app, study.coordinator), "format=questionnaires&since=2026-03-10")
    assert study.fay.study_id not in {row[0] for row in since}  # sent on the 9th, locally
    assert study.amy.study_id in {row[0] for row in since}


def test_a_facilitators_questionnaire_export_holds_their_own_sites_only(app, study, db):
    client = staff_client(app, study.south_facilitator)
    text = download(client, "format=questionnaires").text
    assert {row[0] for row in csv_rows(text)[1:]} == {study.fay.study_id}
    assert "North" not in text and study.amy.study_id not in text
    refused = download(client, f"format=questionnaires&site={study.north.id}", status=422)
    assert "Choose a site from the list." in refused.text
    refused = download(client, f"format=questionnaires&cohort={study.p4p.id}", status=422)
    assert "Choose a cohort from the list." in refused.text
    redcap = csv_rows(download(client, "format=redcap").text)
    assert {row[0] for row in redcap[1:]} == {study.fay.study_id}


def test_the_filters_narrow_the_questionnaire_export(app, study):
    client = staff_client(app, study.coordinator)
    ktw = _rows(client, "format=questionnaires&arm=keys_to_wellbeing")
    assert {row[0] for row in ktw[1:]} == {study.dee.study_id}
    north = _rows(client, f"format=questionnaires&site={study.north.id}")
    assert {row[0] for row in north[1:]} == {study.amy.study_id, study.dee.study_id}
    assert _rows(client, "format=questionnaires&until=2026-03-09")[1:] == []


def test_the_questionnaire_export_is_offered_streamed_and_audited(app, study, db, runner):
    client = staff_client(app, study.coordinator)
    page = client.get("/reports/exports").get_data(as_text=True)
    assert 'value="questionnaires"' in page
    response = download(client, "format=questionnaires&arm=partners4pain")
    assert response.is_streamed and response.mimetype == "text/csv"
    assert "p4p-questionnaires-" in response.headers["Content-Disposition"]
    response.get_data()  # read to its end, so its transaction ends (PostgreSQL)
    response.close()
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert event.actor_id == study.coordinator.id
    assert event.new == {"format": "questionnaires", "filters": {"arm": "partners4pain"},
                         "via": "web"}  # fmt: skip
    result = runner.invoke(args=["export", "attendance", "--format", "questionnaires"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.decode() == download(client, "format=questionnaires").text


def test_the_redcap_export_puts_each_occasion_on_its_event(app, study):
    client = staff_client(app, study.coordinator)
    rows = csv_rows(download(client, "format=redcap").text)
    header = rows[0]
    peg = ["peg_pain", "peg_enjoyment", "peg_activity", "peg_score"]
    mood = ["mood_level", "mood_walked", "mood_hours", "mood_note", "mood_total"]
    assert header[-9:] == peg + mood or header[-9:] == mood + peg
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    amy = [r for r in records if r["record_id"] == study.amy.study_id]
    assert [r["redcap_event_name"] for r in amy] == ["program_arm_1", "week_3_arm_1"]
    delivery, week3 = amy
    assert delivery["p4p_dose"] == "3" and all(delivery[name] == "" for name in peg + mood)
    assert week3["p4p_dose"] == "" and week3["p4p_arm"] == ""
    assert [week3[name] for name in peg + mood] == ["6", "5", "4", "5", "1", "0", "7.5",
                                                   "'=HYPERLINK(\"x\")", "1"]  # fmt: skip
    ben = [r["redcap_event_name"] for r in records if r["record_id"] == study.ben.study_id]
    assert ben == ["program_arm_1"]  # his PEG was never sent
    dictionary = csv_rows(download(client, "format=redcap-dictionary").text)
    assert dictionary[0] == DICTIONARY
    fields = {row[0]: row for row in dictionary[1:]}
    assert [name for name in header if name != "redcap_event_name"] == [
        row[0] for row in dictionary[1:]
    ]
    assert fields["mood_level"][1:6] == ["mood", "", "radio", "How is your mood?",
                                         "1, Low, very low | 2, Fair | 3, Good"]  # fmt: skip
    assert fields["peg_score"][17].startswith("@READONLY p4p score: mean of")  # not neutralised


@pytest.mark.parametrize(
    ("occasion", "delivery", "event"),
    [
        ("week-3", "program_arm_1", "week_3_arm_1"),
        ("month-2", "program_arm_1", "month_2_arm_1"),
        ("enrolment", "program_arm_1", "enrolment_arm_1"),
        ("week-12", "baseline_arm_2", "week_12_arm_2"),
        ("month-6", "delivery", "month_6_arm_1"),
    ],
)
def test_occasions_are_redcap_events_in_the_delivery_events_arm(occasion, delivery, event):
    assert occasion_event(occasion, delivery) == event


def test_a_questionnaire_field_named_like_another_is_refused_at_start(app_config, monkeypatch):
    from p4p import create_app
    from p4p.modules.curriculum import service

    real = service.load_program

    def with_a_clash(content_dir):
        program = real(content_dir)  # cached: changed only in a copy
        weekly = {"partners4pain": (Occasion("weekly", 3),)}
        peg = replace(program.instruments["peg"], schedule=weekly)
        return replace(program, instruments={"peg": peg, "copy": replace(peg, key="copy")})

    monkeypatch.setattr(service, "load_program", with_a_clash)
    with pytest.raises(ValueError, match="peg_pain is also a field of instrument peg"):
        create_app(app_config)
