"""Enrolment by a coordinator: one participant at a time, the list, arm and cohort changes,
withdrawal and the invite link; every rule has its field message and every change its event."""

import re

import pytest
from conftest import login
from coordinator_helpers import as_role, enrolment_form, events, participant_count, real_smtp
from flask.testing import FlaskClient
from sqlalchemy import func, select

from p4p.modules.auth.models import User
from p4p.modules.participants.models import Participant
from p4p.modules.practice.models import PracticeLog


@pytest.fixture
def coordinator(factory, client):
    return as_role(factory, client, "coordinator")


@pytest.fixture
def cohort(factory):
    return factory.cohort(site=factory.site("North"), name="North P4P")


def test_enrolling_creates_an_account_without_password_and_one_audit_event(
    db, cohort, coordinator, clock
):
    response = coordinator.post("/admin/participants/new", data=enrolment_form(cohort))
    participant = db.scalar(select(Participant))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/participants/{participant.id}"
    user = participant.user
    assert (user.role, user.email, user.phone, user.language, user.password_hash) == (
        "participant",
        "rosa@example.org",
        "+13125550142",  # typed 312-555-0142: stored in E.164
        "es",
        None,
    )
    assert (participant.study_id, participant.arm, participant.cohort_id) == (
        "P4P-101",
        "partners4pain",
        cohort.id,
    )
    assert participant.enrolled_at == clock() and participant.withdrawn_at is None
    (event,) = events(db, "enrol")
    assert event.entity_id == str(participant.id)
    assert event.new["study_id"] == "P4P-101" and event.new["cohort"] == "North P4P"
    assert events(db, "create", "user")[-1].new["role"] == "coordinator"  # no second event


@pytest.mark.parametrize(
    "changes",
    [{"email": ""}, {"phone": ""}, {"email": "  ROSA@Example.org "}],
)
def test_an_email_or_a_phone_is_enough(db, cohort, coordinator, changes):
    response = coordinator.post("/admin/participants/new", data=enrolment_form(cohort, **changes))
    assert response.status_code == 302
    email = db.scalar(select(User.email).where(User.role == "participant"))
    assert email in (None, "rosa@example.org")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"study_id": ""}, "study_id", "Enter the study ID."),
        ({"study_id": "P4P 101"}, "study_id", "letters, digits and hyphens"),
        ({"study_id": "-101"}, "study_id", "letters, digits and hyphens"),
        ({"study_id": "P" * 41}, "study_id", "letters, digits and hyphens"),
        ({"study_id": "t-0900"}, "study_id", "Another participant has this study ID."),
        ({"name": ""}, "name", "Enter the participant"),
        ({"name": "x" * 121}, "name", "120"),
        ({"email": "rosa@"}, "email", "like name@example.org"),
        ({"email": "TAKEN@example.org"}, "email", "Another account has this email."),
        ({"email": "", "phone": ""}, "email", "Give an email or a phone number"),
        ({"phone": "call after 5"}, "phone", "Enter a valid phone number"),
        ({"language": "fr"}, "language", "Choose one of the options shown."),
        ({"language": ""}, "language", "Choose a language."),
        ({"arm": "usual_care"}, "arm", "Choose one of the options shown."),
        ({"cohort_id": ""}, "cohort_id", "Choose a cohort."),
        ({"cohort_id": "999"}, "cohort_id", "Choose one of the options shown."),
        ({"arm": "keys_to_wellbeing"}, "cohort_id", "North P4P is a Partners4Pain cohort."),
    ],
)
def test_bad_enrolment_input_gets_a_field_message_and_saves_nothing(
    db, factory, cohort, coordinator, changes, field, message
):
    existing = factory.participant(cohort)
    existing.study_id = "T-0900"
    factory.user("facilitator", email="taken@example.org")
    db.commit()
    response = coordinator.post("/admin/participants/new", data=enrolment_form(cohort, **changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    assert 'aria-invalid="true"' in page
    assert participant_count(db) == 1
    assert events(db, "enrol") == []


def test_the_form_can_start_from_a_cohort(factory, cohort, coordinator):
    other = factory.cohort(site=cohort.site, arm="keys_to_wellbeing", name="North KTW")
    page = coordinator.get(f"/admin/participants/new?cohort={other.id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{other.id}">', page)
    assert re.search(r'checked id="arm-1"[^>]*value="keys_to_wellbeing"', page)
    assert coordinator.get("/admin/participants/new?cohort=x").status_code == 200


def test_the_list_filters_by_site_cohort_program_and_status(db, factory, coordinator, clock):
    north, south = factory.site("North"), factory.site("South")
    p4p = factory.cohort(site=north, name="North P4P")
    ktw = factory.cohort(site=north, arm="keys_to_wellbeing", name="North KTW")
    far = factory.cohort(site=south, name="South P4P")
    a, b, c = factory.participant(p4p), factory.participant(ktw), factory.participant(far)
    b.withdrawn_at = clock()
    db.commit()

    def shown(query):
        response = coordinator.get("/admin/participants" + query)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        return {p.study_id for p in (a, b, c) if f">{p.study_id}</a>" in page}

    assert shown("") == {a.study_id, b.study_id, c.study_id}
    assert shown(f"?site={north.id}") == {a.study_id, b.study_id}
    assert shown(f"?cohort={far.id}") == {c.study_id}
    assert shown("?arm=keys_to_wellbeing") == {b.study_id}
    assert shown("?status=withdrawn") == {b.study_id}
    assert shown(f"?status=active&site={north.id}") == {a.study_id}
    assert "Withdrawn" in coordinator.get("/admin/participants").get_data(as_text=True)
    for bad in ("?site=x", "?cohort=999", "?arm=usual_care", "?status=gone"):
        assert coordinator.get("/admin/participants" + bad).status_code == 422, bad


def test_the_list_is_paged_a_hundred_at_a_time(db, factory, cohort, coordinator, clock):
    for n in range(101):
        db.add(
            Participant(
                user=User(name=f"P {n}", role="participant", session_nonce="x", created_at=clock()),
                study_id=f"S-{n:04d}",
                arm=cohort.arm,
                cohort=cohort,
                enrolled_at=clock(),
            )
        )
    db.commit()
    first = coordinator.get("/admin/participants").get_data(as_text=True)
    assert "1–100 of 101" in first and "S-0099" in first and "S-0100" not in first
    second = coordinator.get("/admin/participants?page=2").get_data(as_text=True)
    assert "101–101 of 101" in second and "S-0100" in second
    assert "Page 2 of 2" in second and 'rel="prev"' in second
    for odd in ("?page=0", "?page=-3", "?page=abc", "?page=99999999999999999999"):
        assert coordinator.get("/admin/participants" + odd).status_code == 200


def test_changing_arm_and_cohort_needs_a_reason_and_is_audited(db, factory, cohort, coordinator):
    participant = factory.participant(cohort)
    ktw = factory.cohort(site=cohort.site, arm="keys_to_wellbeing", name="North KTW")
    url = f"/admin/participants/{participant.id}/assignment"
    form = {"assign-arm": "keys_to_wellbeing", "assign-cohort_id": str(ktw.id)}
    response = coordinator.post(url, data=form)
    assert response.status_code == 422
    assert 'id="assign-reason-error"' in response.get_data(as_text=True)
    response = coordinator.post(url, data={**form, "assign-reason": "Randomisation entry error"})
    assert response.status_code == 302
    db.expire_all()
    moved = db.get(Participant, participant.id)
    assert (moved.arm, moved.cohort_id) == ("keys_to_wellbeing", ktw.id)
    (event,) = events(db, "reassign")
    assert event.old == {"arm": "partners4pain", "cohort_id": cohort.id, "cohort": "North P4P"}
    assert event.new == {"arm": "keys_to_wellbeing", "cohort_id": ktw.id, "cohort": "North KTW"}
    assert event.reason == "Randomisation entry error"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"assign-arm": "keys_to_wellbeing"}, "North P4P is a Partners4Pain cohort."),
        ({}, "already the participant"),
        ({"assign-cohort_id": ""}, "Choose a cohort."),
    ],
)
def test_a_cohort_only_takes_its_own_arm_when_moving(
    db, factory, cohort, coordinator, form, message
):
    participant = factory.participant(cohort)
    data = {
        "assign-arm": "partners4pain",
        "assign-cohort_id": str(cohort.id),
        "assign-reason": "Move",
        **form,
    }
    response = coordinator.post(f"/admin/participants/{participant.id}/assignment", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="assign-cohort_id-error"' in page and message in page
    assert events(db, "reassign") == []


def test_a_participant_moved_to_another_arm_reads_that_arms_weeks(
    app, db, factory, cohort, coordinator
):
    participant = factory.participant(cohort)
    ktw = factory.cohort(site=cohort.site, arm="keys_to_wellbeing", name="North KTW")
    coordinator.post(
        f"/admin/participants/{participant.id}/assignment",
        data={"assign-arm": ktw.arm, "assign-cohort_id": str(ktw.id), "assign-reason": "Error"},
    )
    own = FlaskClient(app)
    login(own, participant.user.email)
    assert "Keys to Wellbeing" in own.get("/home").get_data(as_text=True)


def test_withdrawal_keeps_every_record_and_shows_as_withdrawn(
    db, factory, cohort, coordinator, clock
):
    participant = factory.participant(cohort)
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
    url = f"/admin/participants/{participant.id}/withdraw"
    assert coordinator.post(url, data={"withdraw-reason": ""}).status_code == 422
    assert events(db, "withdraw") == []
    response = coordinator.post(url, data={"withdraw-reason": "Moved away"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Participant, participant.id).withdrawn_at == clock()
    assert db.scalar(select(func.count(PracticeLog.id))) == 1
    (event,) = events(db, "withdraw")
    assert (event.old, event.new, event.reason) == (
        {"withdrawn_at": None},
        {"withdrawn_at": clock().isoformat()},
        "Moved away",
    )
    for path in (f"/admin/participants/{participant.id}", f"/admin/cohorts/{cohort.id}"):
        assert "Withdrawn" in coordinator.get(path).get_data(as_text=True)
    again = coordinator.post(url, data={"withdraw-reason": "Twice"})
    assert again.status_code == 422
    assert "already withdrawn" in again.get_data(as_text=True)


def test_the_invite_link_goes_by_email_and_is_audited(app, db, factory, cohort, coordinator):
    participant = factory.participant(cohort)
    participant.user.password_hash = None  # enrolled, not yet joined
    db.commit()
    with real_smtp(app) as smtp:
        page = coordinator.post(
            f"/admin/participants/{participant.id}/invite", follow_redirects=True
        ).get_data(as_text=True)
    assert "is on its way" in page and "Re-send the invite link" in page
    assert [m["To"] for m in smtp.messages] == [participant.user.email]
    assert "/invite/" in smtp.messages[0].get_content()
    (event,) = events(db, "invite-sent")
    assert event.entity_id == str(participant.user_id)


def test_no_invite_without_an_email_or_after_withdrawal(
    app, db, factory, cohort, coordinator, clock
):
    phone_only = factory.participant(cohort)
    phone_only.user.email = None
    gone = factory.participant(cohort)
    gone.withdrawn_at = clock()
    db.commit()
    with real_smtp(app) as smtp:
        first = coordinator.post(
            f"/admin/participants/{phone_only.id}/invite", follow_redirects=True
        ).get_data(as_text=True)
        second = coordinator.post(
            f"/admin/participants/{gone.id}/invite", follow_redirects=True
        ).get_data(as_text=True)
    assert "no email address" in first and "not contacted" in second
    assert smtp.messages == [] and events(db, "invite-sent") == []


def test_a_participant_who_set_a_password_gets_no_new_invite(app, db, factory, cohort, coordinator):
    joined = factory.participant(cohort)
    page = coordinator.get(f"/admin/participants/{joined.id}").get_data(as_text=True)
    assert "Password set" in page and "Forgot your password?" in page
    assert "Send the invite link" not in page
    with real_smtp(app) as smtp:
        coordinator.post(f"/admin/participants/{joined.id}/invite")
    assert smtp.messages == []


def test_a_withdrawal_can_be_undone_with_a_reason_and_both_stay_in_the_trail(
    db, factory, cohort, coordinator, clock, app
):
    participant = factory.participant(cohort)
    page_url = f"/admin/participants/{participant.id}"
    comeback = f"/admin/participants/{participant.id}/return"
    response = coordinator.post(comeback, data={"return-reason": "Asked to rejoin"})
    assert response.status_code == 422  # not withdrawn: nothing to undo
    assert "This participant has not withdrawn." in response.get_data(as_text=True)
    assert "Bring back into the study" not in coordinator.get(page_url).get_data(as_text=True)

    coordinator.post(f"/admin/participants/{participant.id}/withdraw",
                     data={"withdraw-reason": "Clicked the wrong person"})  # fmt: skip
    withdrawn_at = clock()
    assert "Bring back into the study" in coordinator.get(page_url).get_data(as_text=True)
    response = coordinator.post(comeback, data={"return-reason": "  "})
    assert response.status_code == 422
    assert 'id="return-reason-error"' in response.get_data(as_text=True)

    clock.advance(minutes=5)
    assert coordinator.post(comeback, data={"return-reason": "Wrong person"}).status_code == 302
    db.expire_all()
    assert db.get(Participant, participant.id).withdrawn_at is None
    (event,) = events(db, "return")
    assert (event.old, event.new, event.reason) == (
        {"withdrawn_at": withdrawn_at.isoformat()},
        {"withdrawn_at": None},
        "Wrong person",
    )
    assert len(events(db, "withdraw")) == 1
    page = coordinator.get(page_url).get_data(as_text=True)
    assert "Withdraw from the study" in page and "Bring back into the study" not in page
