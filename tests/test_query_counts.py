"""Pages run a fixed number of queries, whatever the size of the study."""

from datetime import timedelta

from check_in_helpers import answer_check_in, sent_check_in
from conftest import login
from sqlalchemy import select

from p4p.modules.participants.models import Participant
from p4p.modules.practice.models import PracticeLog

PATHS = ["/home", "/weeks", "/weeks/3", "/practice", "/progress", "/questionnaires"]
REDIRECTS = ["/check-in"]  # to the week's check-in (the PEG)


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
    for path in PATHS + REDIRECTS:
        with count_queries() as counter:
            assert client.get(path).status_code == (302 if path in REDIRECTS else 200), path
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
    answer_check_in(client, 3, 5, 5, 5)
    small = _measure(client, count_queries)
    _add_participants(factory, cohorts, 495, clock)
    for week in (1, 2):  # my check-in history grows, and so do the others'
        factory.db.add(sent_check_in(me, week, (6, 5, 4), clock() - timedelta(days=7 * week)))
    for other in factory.db.scalars(select(Participant).where(Participant.id != me.id)):
        factory.db.add(sent_check_in(other, 3, (3, 3, 3), clock()))
    factory.db.commit()
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


def _staff_site(factory, clock, size: int):
    from p4p.modules.attendance.models import Attendance

    site = factory.site()
    cohorts = [factory.cohort(site=site, arm=arm) for arm in ("partners4pain", "keys_to_wellbeing")]
    _add_participants(factory, cohorts, size, clock)
    db = factory.db
    for cohort in cohorts:
        db.refresh(cohort)
    participants = db.scalars(
        select(Participant).where(Participant.cohort_id.in_([c.id for c in cohorts]))
    )
    for participant in participants:
        meeting = next(m for m in participant.cohort.meetings if m.week == 1)
        db.add(
            Attendance(
                meeting_id=meeting.id,
                participant_id=participant.id,
                status="present",
                mode="in_person",
                recorded_at=clock(),
            )
        )
    db.commit()
    return site, cohorts


def test_dashboard_and_sheet_run_the_same_queries_at_two_sizes(
    factory, client, count_queries, clock
):
    site, cohorts = _staff_site(factory, clock, 6)
    login(client, factory.facilitator(site).email)
    meeting_id = next(m.id for m in cohorts[0].meetings if m.week == 1)
    pages = [
        "/staff/",
        f"/staff/meetings/{meeting_id}/attendance",
        f"/staff/meetings/{meeting_id}/print",
    ]

    def measure():
        counts = {}
        for path in pages:
            with count_queries() as counter:
                assert client.get(path).status_code == 200
            counts[path] = counter.count
        return counts

    small = measure()
    _add_participants(factory, cohorts, 300, clock)
    large = measure()
    assert small == large, (small, large)


def test_the_facilitators_page_of_a_participant_runs_the_same_queries_at_two_sizes(
    factory, client, count_queries, clock
):
    """The week-by-week table with its check-in column, as the site and the person's
    check-in history grow."""
    site, cohorts = _staff_site(factory, clock, 6)
    person = factory.participant(cohorts[0])
    factory.db.add(sent_check_in(person, 3, (6, 5, 4), clock()))
    factory.db.commit()
    login(client, factory.facilitator(site).email)

    def measure():
        with count_queries() as counter:
            page = client.get(f"/staff/participants/{person.id}").get_data(as_text=True)
        return counter.count, page.count("<td>not answered</td>")

    small = measure()
    _add_participants(factory, cohorts, 300, clock)
    for others in factory.db.scalars(select(Participant).where(Participant.id != person.id)):
        factory.db.add(sent_check_in(others, 3, (3, 3, 3), clock()))
    factory.db.add(sent_check_in(person, 1, (7, 7, 7), clock() - timedelta(days=14)))
    factory.db.commit()
    large = measure()
    assert small[1] == 2 and large[1] == 1  # week 1 answered now, week 2 still not
    assert small[0] == large[0], (small, large)


def _calls_and_dismissals(factory, cohorts, clock, done: set[int]) -> None:
    """Two calls for every other person on the list and a dismissal for every fifth, so the
    list reads call records and dismissals at both sizes."""
    from p4p.modules.attendance.models import FollowUpCall, FollowUpDismissal

    db = factory.db
    people = db.scalars(
        select(Participant)
        .where(Participant.cohort_id.in_([c.id for c in cohorts]))
        .order_by(Participant.id)
    ).all()
    for index, person in enumerate(people):
        if person.id in done:
            continue
        done.add(person.id)
        if index % 2 == 0:
            for hours in (1, 2):
                db.add(
                    FollowUpCall(
                        participant_id=person.id,
                        called_at=clock() - timedelta(hours=hours),
                        outcome="no_answer",
                        note="try later",
                        recorded_at=clock(),
                    )
                )
        if index % 5 == 0:
            db.add(
                FollowUpDismissal(
                    participant_id=person.id,
                    dismissed_at=clock() - timedelta(days=1),
                    reasons="not-activated",  # nothing new since: the person leaves the list
                )
            )
    db.commit()


def test_follow_up_list_with_call_records_runs_the_same_queries_at_two_sizes(
    factory, client, count_queries, clock
):
    site, cohorts = _staff_site(factory, clock, 6)
    done: set[int] = set()
    _calls_and_dismissals(factory, cohorts, clock, done)
    login(client, factory.facilitator(site).email)

    def measure():
        with count_queries() as counter:
            page = client.get("/staff/").get_data(as_text=True)
        return counter.count, page.count("Last call:")

    small, small_calls = measure()
    _add_participants(factory, cohorts, 300, clock)
    _calls_and_dismissals(factory, cohorts, clock, done)
    large, large_calls = measure()
    assert (small_calls, large_calls) == (2, 122)
    assert small == large
