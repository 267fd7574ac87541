"""The staff dashboard of a national study: a coordinator sees every site, so the page shows the
cohorts meeting soonest and the newest meetings still to record, a screenful each with how many
there are in all, from aggregates in the database (no cohort or meeting list of the whole study
is loaded), in the same number of queries for 3 cohorts and for 60."""

from datetime import timedelta

from coordinator_helpers import as_role

from p4p.modules.attendance.queries import DASHBOARD_ROWS, dashboard
from p4p.modules.auth.models import User


def _cohorts(factory, how_many: int, clock, site=None, prefix="C"):
    site = site or factory.site()
    today = clock().date()
    # Started 1 to how_many days ago: each has 1-3 meetings over, none recorded.
    return [
        factory.cohort(site=site, start=today - timedelta(days=1 + n % 15), name=f"{prefix}{n:03d}")
        for n in range(how_many)
    ]


def test_the_dashboard_shows_a_screenful_of_each_list_and_the_totals(db, factory, client, clock):
    made = _cohorts(factory, DASHBOARD_ROWS + 10, clock)
    finished = factory.cohort(start=clock().date() - timedelta(days=120), name="Long ago")
    as_role(factory, client, "coordinator")
    page = client.get("/staff/").get_data(as_text=True)
    assert f"The {DASHBOARD_ROWS} cohorts meeting soonest of {len(made) + 1}" in page
    assert 'href="/admin/cohorts"' in page
    assert "Long ago" not in page  # finished: after the 60 still meeting, past the screenful
    past = sum(1 for c in made for m in c.meetings if m.starts_at < clock())
    past += len(finished.meetings)
    assert page.count("Take attendance") == DASHBOARD_ROWS
    assert f"The {DASHBOARD_ROWS} newest of {past} meetings still to record" in page


def test_the_cohorts_come_by_their_next_meeting_and_finished_ones_last(db, factory, clock):
    soon = factory.cohort(start=clock().date() - timedelta(days=6), name="Meets tomorrow")
    later = factory.cohort(start=clock().date() - timedelta(days=3), name="Meets in 4 days")
    done = factory.cohort(start=clock().date() - timedelta(days=120), name="Finished")
    coordinator = factory.user("coordinator")
    board = dashboard(db, db.get(User, coordinator.id), clock())
    assert [cohort.name for cohort, _next, _active in board.cohorts] == [
        soon.name,
        later.name,
        done.name,
    ]
    assert board.cohorts[2][1] is None  # no next meeting: "Finished"
    assert board.cohorts_total == 3


def test_the_coordinators_dashboard_runs_the_same_queries_for_3_and_60_cohorts(
    factory, client, clock, count_queries
):
    site = factory.site()
    _cohorts(factory, 3, clock, site)
    as_role(factory, client, "coordinator")
    with count_queries() as small:
        assert client.get("/staff/").status_code == 200
    _cohorts(factory, 57, clock, site, prefix="More ")
    with count_queries() as large:
        assert client.get("/staff/").status_code == 200
    assert small.count == large.count, (small.count, large.count)
