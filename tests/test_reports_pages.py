"""The study, site and cohort reports: numbers that match the attendance sheets, both programs
side by side, definitions under the tables, server-drawn charts, and the facilitator's scope."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reports_helpers import build_study, staff_client, table_row

from p4p.modules.attendance.queries import follow_up_list


@pytest.fixture
def app_config(app_config):
    return {**app_config, "COMPLETER_MIN_DOSE": 2}


@pytest.fixture
def study(app, factory, db, clock):
    return build_study(app, factory, db, clock)


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def section_table(report: str, title_id: str) -> str:
    """The report's own table in a section (after the charts and their numbers)."""
    start = report.index('<table class="report-table', report.index(f'id="{title_id}"'))
    return report[start : report.index("</table>", start)]


def test_study_report_numbers_match_the_attendance_sheets(app, study):
    report = page(staff_client(app, study.coordinator), "/reports/")
    head = report[report.index("<thead>") : report.index("</thead>")]
    assert head.index("Partners4Pain") < head.index("Keys to Wellbeing")  # side by side
    expected = {
        "Enrolled": ["4", "2"],
        "Active": ["3", "2"],
        "Withdrawn": ["1", "0"],
        "Meetings held": ["3", "0"],
        "Meetings cancelled": ["0", "1"],
        "Meetings not yet recorded": ["15", "8"],
        "Meetings attended, mean": ["1.2", "1.5"],  # (3 + 1 + 0 + 1) / 4 and (2 + 1) / 2
        "Meetings attended, median": ["1.0", "1.5"],
        "Completers (dose 2 or more)": ["2 (50.0 %)", "1 (50.0 %)"],  # amy, ben; dee
        "Practice minutes per participant-week": ["5.0", "2.5"],  # 60 / (4 x 3); 15 / (2 x 3)
        "Weeks done (mean per participant)": ["2 (0.5)", "1 (0.5)"],
    }
    for label, cells in expected.items():
        assert table_row(report, label) == cells, label


def test_dose_and_week_by_week_tables(app, study):
    report = page(staff_client(app, study.coordinator), "/reports/")
    dose = section_table(report, "dose-title")
    # Dose 0: cal; 1: fay | eve; 2: ben (1 attended + 1 made up) | dee; 3: amy.
    assert [table_row(dose, str(n)) for n in range(5)] == [
        ["1", "0"], ["1", "1"], ["1", "1"], ["1", "0"], ["0", "0"],
    ]  # fmt: skip
    weeks = section_table(report, "weeks-title")
    # Per program: rate, attended / marked, made up, practice minutes per participant.
    assert table_row(weeks, "1") == ["75.0 %", "3 / 4", "0", "0.0", "50.0 %", "1 / 2", "0", "0.0"]
    assert table_row(weeks, "2") == ["50.0 %", "1 / 2", "1", "0.0", "100.0 %", "2 / 2", "0", "0.0"]
    assert table_row(weeks, "3")[:3] == ["33.3 %", "1 / 3", "0"]
    assert table_row(weeks, "3")[3] == "15.0"  # 60 minutes this week, 4 people in week 3
    assert table_row(weeks, "3")[4:] == ["— no data", "0 / 0", "0", "7.5"]  # week 3 cancelled
    assert table_row(weeks, "4")[3] == "— no data"  # not open yet: no denominator


def test_follow_up_counts_are_the_facilitators_call_list(app, study, clock):
    report = page(staff_client(app, study.coordinator), "/reports/")
    assert table_row(report, "Need a follow-up call") == ["1", "1"]  # fay; eve
    assert table_row(report, "… no practice logged for 14 days") == ["1", "1"]
    assert table_row(report, "… never set a password") == ["0", "1"]
    assert table_row(report, "… missed the last 2 meetings") == ["0", "0"]  # cal is withdrawn
    with app.app_context():
        from p4p.db import session

        listed = follow_up_list(session, session.merge(study.coordinator), clock())
        assert sorted(f.participant.study_id for f in listed) == sorted(
            [study.eve.study_id, study.fay.study_id]
        )


def test_reports_write_definitions_under_their_tables_and_draw_svg_charts(app, study):
    client = staff_client(app, study.coordinator)
    for path in (
        "/reports/",
        f"/reports/sites/{study.north.id}",
        f"/reports/cohorts/{study.p4p.id}",
    ):
        html = page(client, path)
        assert "Unmarked" in html or "unmarked" in html
        assert "A meeting nobody marked is not counted as missed." in html, path
        assert "<svg" in html and 'class="chart-numbers"' in html, path
        assert "style=" not in html and "<script" not in html, path
        assert 'class="table-scroll" tabindex="0" role="region"' in html, path
    summary = page(client, "/reports/")
    for chart in ("attendance-", "dose-", "practice-"):
        for arm in ("partners4pain", "keys_to_wellbeing"):
            assert f'id="{chart}{arm}-title"' in summary
    assert '<th scope="col">Dose (meetings)</th><th scope="col">participants</th>' in summary


def test_site_report_shows_its_own_numbers_and_cohorts(app, study):
    report = page(staff_client(app, study.coordinator), f"/reports/sites/{study.north.id}")
    assert table_row(report, "Enrolled") == ["3", "2"]
    assert f'href="/reports/cohorts/{study.p4p.id}"' in report
    assert f'href="/reports/cohorts/{study.far.id}"' not in report


def test_cohort_report_is_a_grid_with_make_ups_and_unmarked_meetings(app, study):
    grid = page(staff_client(app, study.coordinator), f"/reports/cohorts/{study.p4p.id}")
    amy = table_row(grid, study.amy.user.name)
    assert amy[:3] == ["✓ Present", "✓ Present", "◑ Left early"]  # a symbol and a word
    assert amy[3:9] == ["upcoming"] * 6
    assert amy[9:12] == ["3", "0", "3 completer"]  # attended, make-ups, dose
    assert amy[12:14] == ["2", "40"]  # weeks done, practice minutes
    ben = table_row(grid, study.ben.user.name)
    assert ben[:3] == ["◔ Late", "✗ Absent made up", "○ Excused"]
    assert ben[9:12] == ["1", "1", "2 completer"]
    cal = table_row(grid, study.cal.user.name)
    assert cal[1] == "unmarked" and "Withdrawn" in grid
    rates = table_row(grid, "Attendance rate")
    assert rates[:3] == ["66.7 % 2 / 3", "50.0 % 1 / 2", "33.3 % 1 / 3"]


def test_filters_narrow_the_report(app, study):
    client = staff_client(app, study.coordinator)
    one_arm = page(client, "/reports/?arm=keys_to_wellbeing")
    assert table_row(one_arm, "Enrolled") == ["2"]
    one_cohort = page(client, f"/reports/?cohort={study.p4p.id}")
    assert table_row(one_cohort, "Enrolled") == ["3", "0"]
    # Week 2 only (Monday March 2): its meetings, and the cohorts that met that week.
    week_two = page(client, "/reports/?since=2026-03-01&until=2026-03-07")
    assert table_row(week_two, "Meetings held") == ["1", "0"]
    assert table_row(week_two, "Meetings attended, mean") == ["0.2", "1.0"]  # amy; dee and eve
    nothing = page(client, "/reports/?since=2027-01-01")
    assert table_row(nothing, "Enrolled") == ["0", "0"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("site=abc", "Choose a site from the list."),
        ("site=99999", "Choose a site from the list."),
        ("arm=usual_care", "Choose a program from the list."),
        ("cohort=x", "Choose a cohort from the list."),
        ("since=2026-13-45", "Enter a date, like 2026-03-10."),
        ("since=0202-01-01", "Enter a date between 2000 and 2099."),
        ("since=2026-03-10&until=2026-03-01", "The end date is before the start date."),
    ],
)
def test_invalid_filters_give_field_errors_not_a_server_error(app, study, query, message):
    report = page(staff_client(app, study.coordinator), f"/reports/?{query}", status=422)
    assert message in report and 'class="field-error"' in report


def test_a_cohort_that_does_not_fit_the_other_filters_is_a_field_error(app, study):
    client = staff_client(app, study.coordinator)
    assert "meets at another site" in page(
        client, f"/reports/?site={study.south.id}&cohort={study.p4p.id}", status=422
    )
    assert "in the other program" in page(
        client, f"/reports/?arm=keys_to_wellbeing&cohort={study.p4p.id}", status=422
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_filters_never_cause_a_server_error(app, factory, data):
    client = staff_client(app, factory.user("coordinator", email=None))
    values = st.one_of(
        st.text(max_size=40).filter(lambda s: "\x00" not in s),
        st.integers(-(10**20), 10**20).map(str),
        st.sampled_from(["", "2026-02-30", "9999-12-31", "partners4pain"]),
    )
    names = ["site", "arm", "cohort", "since", "until", "format"]
    query = {name: data.draw(values, label=name) for name in names}
    for path in ("/reports/", "/reports/attendance.csv", "/reports/exports"):
        assert client.get(path, query_string=query).status_code < 500, (path, query)


def test_facilitators_see_their_own_sites_only(app, study):
    client = staff_client(app, study.north_facilitator)
    report = page(client, "/reports/")
    assert "Your sites" in report and table_row(report, "Enrolled") == ["3", "2"]
    assert "South" not in report
    page(client, f"/reports/sites/{study.south.id}", status=404)
    page(client, f"/reports/cohorts/{study.far.id}", status=404)
    page(client, "/reports/sites/99999", status=404)
    page(client, "/reports/cohorts/99999", status=404)
    page(client, f"/reports/?site={study.south.id}", status=422)
    page(client, f"/reports/?cohort={study.far.id}", status=422)
    page(client, f"/reports/cohorts/{study.p4p.id}")


def test_reports_are_for_staff_only_and_in_the_staff_navigation(app, study, client):
    paths = ["/reports/", f"/reports/sites/{study.north.id}", f"/reports/cohorts/{study.p4p.id}",
             "/reports/exports", "/reports/attendance.csv?format=long"]  # fmt: skip
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    participant = staff_client(app, study.amy.user)
    for path in paths:
        assert participant.get(path).status_code == 403, path
    for user in (study.north_facilitator, study.coordinator):
        dashboard = page(staff_client(app, user), "/staff/")
        assert '<a href="/reports/">Reports</a>' in dashboard
