"""Pages run a fixed number of queries, whatever the size of the study."""

from datetime import timedelta

from conftest import login

from p4p.modules.participants.models import Participant
from p4p.modules.practice.models import PracticeLog

PATHS = ["/home", "/weeks", "/weeks/3", "/practice", "/progress", "/check-in"]


def _add_participants(factory, cohorts, how_many: int, clock) -> None:
    db = factory.db
    for _ in range(how_many):
        cohort = cohorts[factory._next() % len(cohorts)]
        user = factory.user("participant", password=None)
        participant = Participant(
            user=user,
            study_id=f"S-{user.id:05d}",
            arm=cohort.arm,
            cohort=cohort,
            enrolled_at=clock() - timedelta(days=30),
        )
        db.add(participant)
        db.add(
            PracticeLog(
                participant=participant,
                practiced_on=clock().date(),
                practice_type="body-scan",
                minutes=10,
                guided=False,
                created_at=clock(),
                updated_at=clock(),
            )
        )
    db.commit()


def _measure(client, count_queries) -> dict[str, int]:
    counts = {}
    for path in PATHS:
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        counts[path] = counter.count
    return counts


def test_participant_pages_run_the_same_queries_with_5_and_500_participants(
    factory, client, count_queries, clock
):
    cohort = factory.cohort()
    cohorts = [cohort, factory.cohort(site=cohort.site, arm="keys_to_wellbeing")]
    me = factory.participant(cohort)
    _add_participants(factory, cohorts, 4, clock)
    login(client, me.user.email)
    client.post(
        "/practice",
        data={
            "practiced_on": clock().date().isoformat(),
            "practice_type": "body-scan",
            "minutes": "10",
            "guided": "self",
        },
    )
    client.post("/check-in", data={"pain": "5", "enjoyment": "5", "activity": "5"})
    small = _measure(client, count_queries)
    _add_participants(factory, cohorts, 495, clock)
    for day in range(1, 15):  # and my own history grows too
        client.post(
            "/practice",
            data={
                "practiced_on": (clock().date() - timedelta(days=day)).isoformat(),
                "practice_type": "body-scan",
                "minutes": "10",
                "guided": "self",
            },
        )
    large = _measure(client, count_queries)
    assert small == large
    assert small["/home"] <= 8
