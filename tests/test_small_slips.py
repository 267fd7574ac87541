"""Small slips staff and participants hit daily (issue 10, item 9): blank names, "None" for
a missing phone, "Hello Smith,,", "1 days", a check-in card that never says it is done, and a
reminder choice offered while it is switched off."""

import io
from datetime import timedelta

import pytest
from check_in_helpers import answer_check_in
from conftest import login
from coordinator_helpers import enrolment_form, roster_csv, roster_row
from sqlalchemy import func, select

from p4p.modules.auth.models import User
from p4p.modules.participants.models import Participant
from p4p.modules.sites.models import Cohort, Site


def _staff(factory, client, role="coordinator", language="en"):
    user = factory.user(role, language=language)
    login(client, user.email)
    return client


def _count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


# -- Names of only spaces ---------------------------------------------------------------------


def test_a_site_name_of_only_spaces_is_refused_on_create_and_edit(factory, db, client):
    coordinator = _staff(factory, client, role="admin")  # sites are the admin's settings
    form = {"name": "   ", "timezone": "America/Chicago", "address": ""}
    response = coordinator.post("/admin/sites/new", data=form)
    assert response.status_code == 422 and "Enter the site" in response.text
    assert _count(db, Site) == 0
    site = factory.site(name="North")
    response = coordinator.post(f"/admin/sites/{site.id}/edit", data={**form, "name": "\t "})
    assert response.status_code == 422
    db.expire_all()
    assert db.get(Site, site.id).name == "North"


def test_a_cohort_name_of_only_spaces_is_refused_on_create_and_edit(factory, db, client):
    cohort = factory.cohort(name="Spring")
    site = cohort.site
    coordinator = _staff(factory, client)
    form = {
        "site_id": str(site.id),
        "arm": "keys_to_wellbeing",
        "name": "    ",
        "start_date": "2026-10-20",
        "weekday": "1",
        "local_start_time": "18:00",
        "duration_minutes": "90",
        "location": "",
        "video_link": "",
    }
    response = coordinator.post("/admin/cohorts/new", data=form)
    assert response.status_code == 422 and "Enter a name for the cohort." in response.text
    assert _count(db, Cohort) == 1
    response = coordinator.post(
        f"/admin/cohorts/{cohort.id}/edit", data={"name": "  ", "location": "", "video_link": ""}
    )
    assert response.status_code == 422
    db.expire_all()
    assert db.get(Cohort, cohort.id).name == "Spring"


def test_a_participant_name_of_only_spaces_is_refused_in_the_form_and_the_roster(
    factory, db, client
):
    cohort = factory.cohort()
    coordinator = _staff(factory, client)
    response = coordinator.post("/admin/participants/new", data=enrolment_form(cohort, name="  "))
    assert response.status_code == 422 and "Enter the participant" in response.text
    file = roster_csv([roster_row(cohort, 1, name="   ")])
    response = coordinator.post(
        "/admin/roster",
        data={"file": (io.BytesIO(file), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "Enter the participant" in response.text
    assert _count(db, Participant) == 0


# -- "None" for a missing phone or email ------------------------------------------------------


@pytest.mark.parametrize(("language", "words"), [("en", "not given"), ("es", "no indicado")])
def test_a_missing_phone_or_email_is_shown_as_not_given_never_none(
    factory, db, client, language, words
):
    participant = factory.participant()
    participant.user.phone = None
    facilitator = factory.facilitator(participant.cohort.site)
    facilitator.phone = None
    db.commit()
    coordinator = _staff(factory, client, language=language)
    for path in (
        f"/admin/participants/{participant.id}",
        f"/admin/facilitators/{facilitator.id}",
        "/admin/facilitators",
    ):
        page = coordinator.get(path).get_data(as_text=True)
        assert ">None<" not in page and "Ninguno" not in page and " None" not in page, path
        assert words in page, path


def test_a_phone_removed_in_the_audit_trail_reads_not_given(factory, db, client):
    site = factory.site()
    facilitator = factory.facilitator(site)
    facilitator.phone = "+13125550142"
    db.commit()
    coordinator = _staff(factory, client)
    response = coordinator.post(
        f"/admin/facilitators/{facilitator.id}/details",
        data={"details-name": facilitator.name, "details-phone": ""},
    )
    assert response.status_code == 302
    trail = coordinator.get("/admin/audit").get_data(as_text=True)
    assert "None" not in trail and "Phone removed (it was (312) 555-0142)." in trail


# -- "Hello Smith,," ---------------------------------------------------------------------------


def test_a_last_first_roster_name_is_stored_first_last(factory, db, client):
    cohort = factory.cohort()
    coordinator = _staff(factory, client)
    file = roster_csv([roster_row(cohort, 1, name="  Smith,   Jane ")])
    response = coordinator.post(
        "/admin/roster",
        data={"file": (io.BytesIO(file), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.expire_all()
    assert db.scalar(select(User.name).where(User.role == "participant")) == "Jane Smith"


@pytest.mark.parametrize(
    ("name", "greeting"),
    [("Smith, Jane", "Hello Jane,"), ("Jane Smith", "Hello Jane,"), ("Cher", "Hello Cher,")],
)
def test_reminders_greet_people_by_their_given_name_with_one_comma(
    app, factory, db, name, greeting
):
    from reminder_helpers import WEEK4_EVE, plan_at, send_at, use_smtp
    from smtp_server import SmtpServer

    participant = factory.participant()
    participant.user.name = name  # a name stored before import normalised it
    db.commit()
    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        send_at(app, WEEK4_EVE)
    assert smtp.messages
    for message in smtp.messages:
        text = message.get_body(("plain",)).get_content()
        assert text.startswith(greeting) and ",," not in text


# -- "1 days" ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected", "wrong"),
    [("en", "1 minute on 1 day", "1 days"), ("es", "1 minuto en 1 día", "1 días")],
)
def test_one_day_of_practice_is_counted_in_the_singular(
    factory, db, client, clock, language, expected, wrong
):
    participant = factory.participant(language=language)
    login(client, participant.user.email)
    response = client.post(
        "/practice",
        data={
            "practiced_on": clock().date().isoformat(),
            "practice_type": "belly-breathing",
            "minutes": "1",
            "guided": "guided",
        },
    )
    assert response.status_code == 302, response.text
    home = client.get("/home").get_data(as_text=True)
    assert expected in home and wrong not in home
    log = client.get("/practice").get_data(as_text=True)
    assert ("1 minutes" not in log) and ("1 minutos" not in log)
    facilitator = factory.facilitator(participant.cohort.site)
    staff = factory.app.test_client()
    login(staff, facilitator.email)
    page = staff.get(f"/staff/participants/{participant.id}").get_data(as_text=True)
    assert "1 days" not in page and "1 min, 1 day" in page


# -- The check-in card -------------------------------------------------------------------------


def test_the_home_card_says_the_check_in_is_done_once_it_is(participant_client):
    home = participant_client.get("/home").get_data(as_text=True)
    assert "Do my check-in" in home and 'href="/questionnaires/peg/week-3"' in home
    assert "questionnaire is ready" not in home  # the week's PEG has its own card, not two
    answer_check_in(participant_client, 3, 5, 4, 3)
    home = participant_client.get("/home").get_data(as_text=True)
    assert "Do my check-in" not in home and "/questionnaires/peg/week-3" not in home
    assert "check-in is done." in home and 'href="/progress">See my progress' in home


# -- The "a few hours before" choice -----------------------------------------------------------


def test_the_few_hours_before_choice_is_offered_only_while_it_is_switched_on(
    app, factory, db, client
):
    from p4p.modules.reminders.models import ReminderPreference

    participant = factory.participant()
    login(client, participant.user.email)
    app.config["REMINDER_SOON_HOURS"] = 0
    page = client.get("/preferences").get_data(as_text=True)
    assert "A few hours before each group meeting" not in page
    client.post("/preferences", data={"email_on": "y", "language": "en", "kinds_on": ["survey"]})
    db.expire_all()
    kept = db.get(ReminderPreference, participant.user_id)
    assert "meeting-soon" not in kept.kinds_off  # a choice not shown is left as it was
    app.config["REMINDER_SOON_HOURS"] = 2
    assert "A few hours before each group meeting" in client.get("/preferences").text


def test_one_invite_is_counted_in_the_singular(app, factory, db, client):
    from coordinator_helpers import real_smtp

    cohort = factory.cohort()
    coordinator = _staff(factory, client)
    file = roster_csv([roster_row(cohort, 1)])
    coordinator.post(
        "/admin/roster",
        data={"file": (io.BytesIO(file), "roster.csv")},
        content_type="multipart/form-data",
    )
    page = coordinator.get("/admin/roster/invites").get_data(as_text=True)
    assert "Send 1 invite<" in page and "1 participant has an email" in page
    with real_smtp(app):
        done = coordinator.post("/admin/roster/invites", follow_redirects=True).get_data(
            as_text=True
        )
    assert "1 invite link is on its way;" in done


def test_create_user_refuses_a_name_of_only_spaces(runner, db):
    args = ["create-user", "--email", "b@example.org", "--name", "   ", "--role", "admin"]
    result = runner.invoke(args=[*args, "--password", "a long pass phrase 2026"])
    assert result.exit_code != 0 and "name" in result.output
    assert _count(db, User) == 0
