"""The coordinator's pages run a fixed number of queries, whatever the size of the study."""

from datetime import timedelta

from coordinator_helpers import as_role

from p4p.modules.auth.models import TokenPurpose
from p4p.modules.auth.service import issue_token
from p4p.modules.participants.models import Participant


def _add_participants(factory, cohort, how_many: int, clock) -> None:
    db = factory.db
    for n in range(how_many):
        user = factory.user("participant", password=None)
        participant = Participant(
            user=user,
            study_id=f"Q-{user.id:05d}",
            arm=cohort.arm,
            cohort=cohort,
            enrolled_at=clock() - timedelta(days=30),
            withdrawn_at=clock() if n % 7 == 0 else None,
        )
        db.add(participant)
        if n % 3 == 0:
            with factory.app.app_context():  # the token's lifetime comes from the config
                issue_token(db, user, TokenPurpose.INVITE, clock())
    db.commit()


def _measure(client, count_queries, paths) -> dict[str, int]:
    counts = {}
    for path in paths:
        with count_queries() as counter:
            assert client.get(path).status_code == 200, path
        counts[path] = counter.count
    return counts


def test_participant_list_and_cohort_page_run_the_same_queries_with_5_and_500(
    factory, client, count_queries, clock
):
    cohort = factory.cohort()
    factory.cohort(site=cohort.site, arm="keys_to_wellbeing")
    as_role(factory, client, "coordinator")
    paths = [
        "/admin/participants",
        f"/admin/participants?cohort={cohort.id}&status=active",
        f"/admin/cohorts/{cohort.id}",
        "/admin/cohorts",
        "/admin/audit",
        f"/admin/audit?cohort={cohort.id}",
        "/admin/roster/invites",
    ]
    _add_participants(factory, cohort, 5, clock)
    small = _measure(client, count_queries, paths)
    _add_participants(factory, cohort, 495, clock)
    large = _measure(client, count_queries, paths)
    print("queries with 5 and with 500 participants:", small)
    assert small == large
    assert small["/admin/participants"] <= 8
    assert small[f"/admin/cohorts/{cohort.id}"] <= 6


def test_facilitator_list_runs_the_same_queries_with_2_and_40_facilitators(
    factory, client, count_queries
):
    sites = [factory.site() for _ in range(3)]
    as_role(factory, client, "coordinator")
    for site in sites[:2]:
        factory.facilitator(site)
    small = _measure(client, count_queries, ["/admin/facilitators", "/admin/sites"])
    for n in range(38):
        factory.facilitator(sites[n % 3])
    large = _measure(client, count_queries, ["/admin/facilitators", "/admin/sites"])
    assert small == large
