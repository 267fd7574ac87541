"""The staff's questionnaire completion: by site and cohort, each person's opened occasions as
done, due now or missed, a sent response's answers and scores, and who may see them.

The factory's cohort meets on Mondays from 23 February 2026; the clock is Tuesday 10 March. The
PEG is asked weekly for 3 days from the week's meeting (conftest.scheduled_peg): week 1 (23-25
February) and week 2 (2-4 March) have closed, week 3 (9-11 March) is open.
"""

from datetime import UTC, datetime, timedelta

import pytest
from conftest import login

from p4p.modules.instruments.answer_models import InstrumentAnswer, InstrumentResponse


@pytest.fixture(autouse=True)
def _the_peg_is_asked(scheduled_peg):
    """Weekly and at months 2, 4 and 6 (conftest.scheduled_peg)."""


def _sent(db, participant, occasion="week-2", at=datetime(2026, 3, 3, 18, tzinfo=UTC)):
    response = InstrumentResponse(
        participant_id=participant.id,
        instrument="peg",
        occasion=occasion,
        started_at=at,
        submitted_at=at,
        scores={"peg_score": 4.67},
    )
    for item, number in (("peg_pain", 6), ("peg_enjoyment", 4), ("peg_activity", 4)):
        response.answers.append(InstrumentAnswer(item=item, number=number, answered_at=at))
    db.add(response)
    db.commit()
    return response


@pytest.fixture
def two_sites(factory, db):
    found = {}
    for key in ("a", "b"):
        site = factory.site(f"Site {key.upper()}")
        cohort = factory.cohort(site=site, name=f"Group {key.upper()}")
        people = [factory.participant(cohort) for _ in range(2)]
        found[key] = {
            "site": site,
            "cohort": cohort,
            "people": people,
            "facilitator": factory.facilitator(site),
            "response": _sent(db, people[0]),
        }
    return found


def test_a_facilitator_sees_each_persons_occasions_done_due_or_missed(client, two_sites):
    mine = two_sites["a"]
    login(client, mine["facilitator"].email)
    page = client.get(f"/staff/questionnaires/cohorts/{mine['cohort'].id}")
    assert page.status_code == 200
    html = " ".join(page.get_data(as_text=True).split())
    answered, quiet = mine["people"]
    assert answered.user.name in html and quiet.user.name in html
    assert "2 answered" not in html and "1 answered · 2 due now · 3 missed" in html
    assert (
        "Week 2: Your pain in the past week — <strong>answered</strong>, sent Mar 3, 2026" in html
    )
    assert f"/staff/questionnaires/responses/{mine['response'].id}" in html
    assert (
        "Week 3: Your pain in the past week — <strong>due now</strong>, open until Mar 11, 2026"
        in html
    )
    assert "Week 1: Your pain in the past week — <strong>missed</strong>" in html
    assert "Week 4" not in html  # not open yet


def test_the_overview_counts_by_site_and_cohort_and_only_the_users_sites(client, two_sites):
    login(client, two_sites["a"]["facilitator"].email)
    html = "".join(client.get("/staff/questionnaires").get_data(as_text=True).split("\n"))
    assert "Site A" in html and "Group A" in html
    assert "Site B" not in html and "Group B" not in html
    assert "<td>1</td><td>2</td><td>3</td>" in html  # done, due now, missed at site A
    assert 'href="/staff/questionnaires"' in html  # in the staff navigation


def test_a_response_shows_its_answers_and_scores_to_staff_of_its_site(
    app, client, factory, two_sites
):
    mine = two_sites["a"]
    login(client, mine["facilitator"].email)
    html = client.get(f"/staff/questionnaires/responses/{mine['response'].id}").get_data(
        as_text=True
    )
    assert "Your pain in the past week" in html and "peg_score" in html and "4.67" in html
    assert "In the past week, how bad was your pain on average?" in html and "6" in html
    study_team = app.test_client()
    login(study_team, factory.user("coordinator").email)
    for key in ("a", "b"):
        other = two_sites[key]
        for path in (f"responses/{other['response'].id}", f"cohorts/{other['cohort'].id}"):
            assert study_team.get(f"/staff/questionnaires/{path}").status_code == 200


def test_a_facilitator_of_another_site_gets_404_for_its_cohort_and_its_responses(client, two_sites):
    mine, other = two_sites["a"], two_sites["b"]
    login(client, mine["facilitator"].email)
    assert client.get(f"/staff/questionnaires/cohorts/{other['cohort'].id}").status_code == 404
    assert client.get(f"/staff/questionnaires/responses/{other['response'].id}").status_code == 404


def test_a_response_not_yet_sent_is_nobodys_to_read(client, db, two_sites):
    mine = two_sites["a"]
    started = InstrumentResponse(
        participant_id=mine["people"][1].id,
        instrument="peg",
        occasion="week-3",
        started_at=datetime(2026, 3, 10, 12, tzinfo=UTC),
    )
    db.add(started)
    db.commit()
    login(client, mine["facilitator"].email)
    assert client.get(f"/staff/questionnaires/responses/{started.id}").status_code == 404


def test_participants_are_refused_the_staff_pages(client, two_sites):
    login(client, two_sites["a"]["people"][0].user.email)
    assert client.get("/staff/questionnaires").status_code == 403


def test_the_pages_run_the_same_queries_for_a_cohort_of_2_and_of_20(
    client, db, factory, two_sites, count_queries
):
    mine = two_sites["a"]
    login(client, mine["facilitator"].email)
    paths = ["/staff/questionnaires", f"/staff/questionnaires/cohorts/{mine['cohort'].id}"]

    def measure() -> list[int]:
        counts = []
        for path in paths:
            with count_queries() as counter:
                assert client.get(path).status_code == 200
            counts.append(counter.count)
        return counts

    small = measure()
    for n in range(18):
        person = factory.participant(mine["cohort"])
        if n % 2:
            _sent(db, person)
    factory.cohort(site=mine["site"], arm="keys_to_wellbeing")
    assert measure() == small


def _not_activated(db, people):
    """On the follow-up list: they have not set a password yet."""
    for person in people:
        person.user.activated_at = None
    db.commit()


def _follow_ups(client) -> str:
    page = client.get("/staff/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return " ".join(
        html[html.index('id="follow-title"') : html.index('id="cohorts-title"')].split()
    )


def test_the_follow_up_list_names_the_questionnaires_each_person_missed_lately(
    app, client, db, factory, two_sites
):
    mine = two_sites["a"]
    answered, quiet = mine["people"]
    _not_activated(db, [answered, quiet])
    login(client, mine["facilitator"].email)
    listed = _follow_ups(client)
    missed = "Questionnaires missed lately:"
    both = "Your pain in the past week (Week 1); Your pain in the past week (Week 2)"
    assert f"{quiet.user.name}" in listed and f"{missed} {both}" in listed
    assert f"{missed} Your pain in the past week (Week 1)</p>" in listed  # the one who answered
    assert listed.count(missed) == 2  # week 3 is still open: due, not missed
    spanish = factory.user("facilitator", language="es")
    from p4p.modules.sites.service import assign_facilitator

    assign_facilitator(db, spanish, mine["site"])
    db.commit()
    in_spanish = app.test_client()
    login(in_spanish, spanish.email)
    assert "Su dolor en la última semana (Semana 1)" in _follow_ups(in_spanish)


def test_a_questionnaire_missed_weeks_ago_is_no_longer_named(client, db, clock, two_sites):
    mine = two_sites["a"]
    _not_activated(db, mine["people"])
    clock.at = datetime(2026, 3, 31, 15, tzinfo=UTC)  # week 1 closed on 25 February
    login(client, mine["facilitator"].email)
    listed = _follow_ups(client)
    assert "(Week 1)" not in listed and "(Week 2)" in listed


def test_the_follow_up_list_runs_the_same_queries_with_2_and_20_people(
    client, db, factory, two_sites, count_queries
):
    mine = two_sites["a"]
    _not_activated(db, mine["people"])
    login(client, mine["facilitator"].email)

    def measure() -> tuple[int, int]:
        with count_queries() as counter:
            listed = _follow_ups(client)
        return counter.count, listed.count("Questionnaires missed lately:")

    small, small_named = measure()
    people = [factory.participant(mine["cohort"]) for _ in range(18)]
    other = factory.cohort(site=mine["site"], arm="keys_to_wellbeing")
    people += [factory.participant(other) for _ in range(2)]
    _not_activated(db, people)
    large, large_named = measure()
    assert (small_named, large_named) == (2, 22)
    assert large == small


def test_the_facilitators_digest_names_the_questionnaires_missed_lately(app, db, two_sites):
    from reminder_helpers import plan_at, send_at, use_smtp
    from smtp_server import SmtpServer

    mine = two_sites["a"]
    _not_activated(db, mine["people"])
    week4_digest = datetime(2026, 3, 16, 12, tzinfo=UTC)  # 3 hours before week 4 meets
    plan_at(app, week4_digest - timedelta(hours=1))
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        send_at(app, week4_digest)
    (digest,) = [m for m in smtp.messages if m["To"] == mine["facilitator"].email]
    body = " ".join(digest.get_body(("plain",)).get_content().split())
    quiet = mine["people"][1]
    assert (
        f"{quiet.user.name} ({quiet.study_id}): no practice for 14 days; has not set a password;"
        " questionnaires missed lately: Your pain in the past week (Week 1), Your pain in the"
        " past week (Week 2), Your pain in the past week (Week 3)"
    ) in body
