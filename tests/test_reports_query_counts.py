"""Every report page and export runs a fixed number of SQL queries, whatever the study's size:
the same count with 6 participants as with 300 more, in new sites and cohorts."""

from datetime import timedelta
from urllib.parse import parse_qsl

import pytest
from reports_helpers import build_study, practice, staff_client
from werkzeug.datastructures import MultiDict

from p4p.modules.attendance.models import Attendance
from p4p.modules.participants.models import Participant, WeekProgress

STATUSES = ["present", "late", "absent", "excused", "left_early"]


@pytest.fixture
def study(app, factory, db, clock):
    return build_study(app, factory, db, clock)


def grow(factory, db, clock, sites, people: int) -> None:
    """More people in new cohorts (both programs) at these sites, with marks, a make-up,
    practice and weeks done, written straight to the database."""
    cohorts = [
        factory.cohort(site=site, arm=arm)
        for site in sites
        for arm in ("partners4pain", "keys_to_wellbeing")
    ]
    for n in range(people):
        cohort = cohorts[n % len(cohorts)]
        user = factory.user("participant", password=None)
        person = Participant(user=user, study_id=f"G-{user.id:05d}", arm=cohort.arm,
                             cohort=cohort, enrolled_at=clock() - timedelta(days=30))  # fmt: skip
        db.add(person)
        db.flush()
        for meeting in cohort.meetings[:3]:
            status = STATUSES[(n + meeting.week) % len(STATUSES)]
            db.add(Attendance(meeting_id=meeting.id, participant_id=person.id, status=status,
                              made_up_on=meeting.starts_at.date() if status == "absent" else None,
                              recorded_at=clock()))  # fmt: skip
            db.add(WeekProgress(participant_id=person.id, week=meeting.week, completed_at=clock()))
        practice(db, person, clock().date() - timedelta(days=n % 10), 10)
    db.commit()


def counts(client, paths: list[str], count_queries) -> dict[str, int]:
    found = {}
    for path in paths:
        with count_queries() as counter:
            if "attendance.csv" in path:  # a download is a POST of the export form
                route, _sep, query = path.partition("?")
                response = client.post(route, data=MultiDict(parse_qsl(query)))
            else:
                response = client.get(path)
            assert response.status_code == 200, path
            response.get_data()  # a streamed export runs its query while it is read
        found[path] = counter.count
    return found


def report_paths(study) -> list[str]:
    return [
        "/reports/",
        "/reports/?since=2026-03-01&until=2026-03-31&arm=partners4pain",
        f"/reports/sites/{study.north.id}",
        f"/reports/cohorts/{study.p4p.id}",
        "/reports/exports",
        *[
            f"/reports/attendance.csv?format={fmt}&since=2026-02-01"
            for fmt in ("long", "summary", "redcap", "redcap-dictionary")
        ],
    ]


def test_report_pages_and_exports_run_the_same_queries_at_two_sizes(
    app, factory, db, clock, study, count_queries
):
    client = staff_client(app, study.coordinator)
    paths = report_paths(study) + [f"/reports/attendance.csv?format={f}" for f in ("long",)]
    small = counts(client, paths, count_queries)
    more_sites = [factory.site(), factory.site(timezone="America/New_York")]
    grow(factory, db, clock, [study.north, *more_sites], 300)
    large = counts(client, paths, count_queries)
    assert small == large, (small, large)
    # 14 for the report, 3 for the questionnaires (reports/outcomes.py)
    assert small["/reports/"] <= 17 and small[f"/reports/cohorts/{study.p4p.id}"] <= 8
    assert all(small[p] <= 6 for p in paths if "attendance.csv" in p)


def test_a_facilitators_reports_run_the_same_queries_at_two_sizes(
    app, factory, db, clock, study, count_queries
):
    client = staff_client(app, study.north_facilitator)
    paths = report_paths(study)
    small = counts(client, paths, count_queries)
    grow(factory, db, clock, [study.north, study.south, factory.site()], 200)
    large = counts(client, paths, count_queries)
    assert small == large, (small, large)
