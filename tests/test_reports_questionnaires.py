"""The questionnaires in the study report: completion (sent / due) and each score's mean by
time point and program, as server-drawn charts with their numbers, for coordinators; the same
number of queries at two sizes.

The reports' study (reports_helpers.build_study): weeks 1-3 have opened (Feb 23, Mar 2 and
Mar 9); the PEG is asked weekly (3 days open) and at months 2, 4 and 6, so weeks 1, 2 and 3
are due for everyone enrolled. This week amy sends 6-5-4 (score 5), ben 3-3-3 (3), fay at
South 9-8-7 (8), and dee, in Keys to Wellbeing, 2-2-3 (7/3); cal (withdrawn today) and eve
send nothing.
"""

import re
from datetime import timedelta

import pytest
from questionnaire_helpers import add_instrument, answer
from reports_helpers import build_study, staff_client, table_row
from test_reports_query_counts import counts, grow

from p4p.modules.instruments.answer_models import InstrumentResponse
from p4p.modules.participants.models import Participant


@pytest.fixture
def study(app, factory, db, clock, scheduled_peg, monkeypatch):
    study = build_study(app, factory, db, clock)
    add_instrument(app, monkeypatch)
    answer(app, study.amy, "peg", "week-3", ["6", "5", "4"])
    answer(app, study.amy, "mood", "week-3", ["3", "1", "8", ""])
    answer(app, study.ben, "peg", "week-3", ["3", "3", "3"])
    answer(app, study.fay, "peg", "week-3", ["9", "8", "7"])
    answer(app, study.dee, "peg", "week-3", ["2", "2", "3"])
    return study


def _section(page: str, key: str) -> str:
    start = page.index(f'id="q-{key}-title"')
    end = page.find("<h3", start)
    return page[start : end if end != -1 else len(page)]


def _chart_numbers(page: str, chart_id: str) -> dict[str, str]:
    start = page.index(f'id="{chart_id}-table"')
    table = page[start : page.index("</table>", start)]
    return dict(re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', table))


def test_the_study_report_shows_completion_and_score_means_by_time_point(app, study):
    page = staff_client(app, study.coordinator).get("/reports/").get_data(as_text=True)
    assert '<h2 id="questionnaires-title">Questionnaires</h2>' in page
    peg = _section(page, "peg")
    assert "Your pain in the past week" in peg
    # Partners4Pain: amy, ben, cal, fay; Keys to Wellbeing: dee, eve.
    assert table_row(peg, "Week 1") == ["0 / 4", "0.0 %", "— no data (n = 0)",
                                        "0 / 2", "0.0 %", "— no data (n = 0)"]  # fmt: skip
    assert table_row(peg, "Week 3") == ["3 / 4", "75.0 %", "5.33 (n = 3)",
                                        "1 / 2", "50.0 %", "2.33 (n = 1)"]  # fmt: skip
    assert "2-month follow-up" not in peg  # not due yet
    assert _chart_numbers(page, "q-peg-sent-partners4pain") == {
        "Wk 1": "0.0", "Wk 2": "0.0", "Wk 3": "75.0",
    }  # fmt: skip
    assert _chart_numbers(page, "q-peg-peg_score-keys_to_wellbeing") == {
        "Wk 1": "—", "Wk 2": "—", "Wk 3": "2.33",
    }  # fmt: skip
    mood = _section(page, "mood")
    assert table_row(mood, "Week 3") == ["1 / 4", "25.0 %", "4.0 (n = 1)",
                                         "0 / 2", "0.0 %", "— no data (n = 0)"]  # fmt: skip


def test_the_report_filters_narrow_the_questionnaire_figures(app, study):
    client = staff_client(app, study.coordinator)
    south = client.get(f"/reports/sites/{study.south.id}").get_data(as_text=True)
    assert table_row(_section(south, "peg"), "Week 3") == ["1 / 1", "100.0 %", "8.0 (n = 1)",
                                                          "0 / 0", "— no data", "— no data (n = 0)"]  # fmt: skip
    recent = client.get("/reports/?since=2026-03-05&arm=keys_to_wellbeing").get_data(as_text=True)
    peg = _section(recent, "peg")
    assert table_row(peg, "Week 3") == ["1 / 2", "50.0 %", "2.33 (n = 1)"]
    assert "Week 1" not in peg and "Partners4Pain" not in peg


def test_someone_who_joined_after_a_questionnaire_closed_was_not_due_it(app, study, factory, db):
    late = factory.participant(study.p4p, enrolled_on=study.p4p.start_date + timedelta(days=8))
    page = staff_client(app, study.coordinator).get("/reports/").get_data(as_text=True)
    peg = _section(page, "peg")
    assert table_row(peg, "Week 1")[0] == "0 / 4"  # week 1 closed on Feb 25, before Mar 3
    assert table_row(peg, "Week 2")[0] == "0 / 5" and table_row(peg, "Week 3")[0] == "3 / 5"
    assert late.study_id


def test_facilitators_do_not_see_outcomes_by_program(app, study):
    page = staff_client(app, study.north_facilitator).get("/reports/").get_data(as_text=True)
    assert "questionnaires-title" not in page and "peg_score" not in page


def _grow_answers(factory, db, clock, sites, people: int) -> None:
    grow(factory, db, clock, sites, people)
    for n, person in enumerate(db.query(Participant).filter(Participant.study_id.like("G-%"))):
        if n % 2:
            db.add(InstrumentResponse(participant_id=person.id, instrument="peg",
                                      occasion="week-3", started_at=clock(),
                                      submitted_at=clock(), scores={"peg_score": n % 10}))  # fmt: skip
    db.commit()


def test_the_questionnaire_figures_run_the_same_queries_at_two_sizes(
    app, factory, db, clock, study, count_queries
):
    client = staff_client(app, study.coordinator)
    paths = [
        "/reports/",
        "/reports/?since=2026-03-01&until=2026-03-31&arm=partners4pain",
        f"/reports/sites/{study.north.id}",
        "/reports/attendance.csv?format=questionnaires",
        "/reports/attendance.csv?format=redcap&since=2026-02-01",
    ]
    small = counts(client, paths, count_queries)
    _grow_answers(factory, db, clock, [study.north, factory.site()], 120)
    large = counts(client, paths, count_queries)
    assert small == large, (small, large)
    assert small["/reports/"] <= 17  # the report's 14, and 3 for the questionnaires
    assert small["/reports/attendance.csv?format=questionnaires"] <= 6


def test_the_questionnaire_figures_read_in_spanish(app, study, factory):
    coordinator = factory.user("coordinator", language="es")
    page = staff_client(app, coordinator).get("/reports/").get_data(as_text=True)
    assert '<h2 id="questionnaires-title">Cuestionarios</h2>' in page
    peg = _section(page, "peg")
    assert "Su dolor en la última semana" in peg  # the instrument's own Spanish title
    assert "Enviados / pedidos" in peg and "Semana 3" in peg and "Momento" in peg
    exports = staff_client(app, coordinator).get("/reports/exports").get_data(as_text=True)
    assert "Cuestionarios: una fila por respuesta y por puntaje" in exports
