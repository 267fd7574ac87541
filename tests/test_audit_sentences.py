"""The audit trail reads as what happened, in the viewer's language and the study's time zone
(UTC on hover), and a save that changes nothing puts nothing on it."""

from datetime import date

import pytest
from babel.dates import format_date
from conftest import login
from coordinator_helpers import as_role, events

from p4p.modules.attendance.service import record_makeup
from p4p.modules.audit.service import record
from p4p.modules.sites.queries import staff_timezone


def _trail(client) -> str:
    page = client.get("/admin/audit").get_data(as_text=True)
    return page[page.index("<table") : page.index("</table>")]


@pytest.mark.parametrize(
    ("language", "sentence", "cancelled"),
    [
        (
            "en",
            "Recorded that {study_id} made up week 2 on {day} (watched the recording).",
            "Removed the week 3 attendance mark of {study_id}: the meeting was cancelled.",
        ),
        (
            "es",
            "Registró que {study_id} recuperó la semana 2 el {day} (vio la grabación).",
            "Quitó la asistencia de {study_id} a la semana 3: la reunión se canceló.",
        ),
    ],
)
def test_a_make_up_and_a_cancelled_mark_read_as_sentences_in_the_viewers_language(
    db, factory, client, clock, language, sentence, cancelled
):
    participant = factory.participant()
    facilitator = factory.facilitator(participant.cohort.site)
    week2, week3 = participant.cohort.meetings[1], participant.cohort.meetings[2]
    record_makeup(
        db,
        participant,
        week2,
        made_up_on=date(2026, 3, 9),
        how="recording",
        actor=facilitator,
        now=clock(),
    )
    record(  # what a cancelled meeting writes for each mark it removes
        db,
        at=clock(),
        actor_id=facilitator.id,
        action="attendance",
        entity="participant",
        entity_id=participant.id,
        old={"status": "present", "mode": "in_person", "note": None},
        new={"meeting_id": week3.id, "week": 3, "status": None, "reason": "meeting cancelled"},
    )
    db.commit()
    coordinator = factory.user("coordinator", language=language)
    login(client, coordinator.email)
    trail = _trail(client)
    day = format_date(date(2026, 3, 9), "medium", locale=language)
    assert sentence.format(study_id=participant.study_id, day=day) in trail
    assert cancelled.format(study_id=participant.study_id) in trail
    assert "→" not in trail and "status" not in trail and "—" not in trail  # no raw values


@pytest.mark.parametrize(
    ("language", "changed", "created"),
    [
        ("en", "Address changed from “1 Main St” to “9 Elm St”.", "Time zone: America/Chicago."),
        ("es", "Dirección: cambió de “1 Main St” a “9 Elm St”.", "Zona horaria: America/Chicago."),
    ],
)
def test_each_changed_field_is_a_sentence(db, factory, client, language, changed, created):
    site = factory.site("North")
    admin = factory.user("admin", language=language)
    login(client, admin.email)
    data = {"name": "North", "timezone": "America/Chicago", "address": "9 Elm St"}
    assert client.post(f"/admin/sites/{site.id}/edit", data=data).status_code == 302
    trail = _trail(client)
    assert changed in trail and created in trail


def test_times_are_in_the_study_time_zone_with_utc_on_hover(app, factory, client, clock):
    factory.site("West", timezone="America/Los_Angeles")  # the first site: the study's home
    factory.site("North")
    as_role(factory, client, "coordinator")
    trail = _trail(client)
    assert 'datetime="2026-03-10T15:00:00+00:00" title="2026-03-10 15:00 UTC"' in trail
    assert ">Mar 10, 2026, 8:00\u202fAM</time>" in trail
    app.config["STUDY_TIMEZONE"] = "America/New_York"
    assert ">Mar 10, 2026, 11:00\u202fAM</time>" in _trail(client)
    app.config["STUDY_TIMEZONE"] = "Mars/Olympus"  # a mistyped setting: the first site's
    assert ">Mar 10, 2026, 8:00\u202fAM</time>" in _trail(client)


def test_a_facilitator_reads_times_in_their_own_sites_zone(db, factory):
    factory.site("North")
    west = factory.site("West", timezone="America/Los_Angeles")
    facilitator = factory.facilitator(west)
    assert staff_timezone(db, facilitator, "America/New_York") == "America/Los_Angeles"
    coordinator = factory.user("coordinator")
    assert staff_timezone(db, coordinator, None) == "America/Chicago"


def test_saves_that_change_nothing_write_no_entry(app, db, factory, client):
    participant = factory.participant()
    cohort, site = participant.cohort, participant.cohort.site
    facilitator = factory.facilitator(site)
    admin = factory.user("admin")
    coordinator = factory.user("coordinator")
    login(client, admin.email)
    saves = [
        (f"/admin/sites/{site.id}/edit", {"name": site.name, "timezone": site.timezone,
                                          "address": site.address}),
        (f"/admin/cohorts/{cohort.id}/edit", {"name": cohort.name, "location": cohort.location,
                                              "video_link": ""}),
        (f"/admin/facilitators/{facilitator.id}/details", {"details-name": facilitator.name,
                                                           "details-phone": ""}),
        (f"/admin/facilitators/{facilitator.id}", {"site_ids": [str(site.id)]}),
        (f"/admin/staff/{coordinator.id}", {"role": "coordinator"}),
    ]  # fmt: skip
    before = len(events(db))
    for path, data in saves:
        response = client.post(path, data=data, follow_redirects=True)
        assert response.status_code == 200, path
        assert "Nothing changed." in response.get_data(as_text=True), path
    assert len(events(db)) == before

    # A facilitator saves a meeting record twice: one entry. A participant saves their
    # reminder choices as they are: none.
    staff = app.test_client()
    login(staff, facilitator.email)
    week1 = cohort.meetings[0]
    record = {"status": "held", "actual_minutes": "90", "note": "Good group"}
    for _time in range(2):
        assert staff.post(f"/staff/meetings/{week1.id}/delivery", data=record).status_code == 302
    assert len(events(db, "meeting-delivery")) == 1
    person = app.test_client()
    login(person, participant.user.email)
    kinds = ["meeting-eve", "week-open", "practice", "survey", "questionnaire"]
    choices = {"language": "en", "email_on": "y", "sms_on": "y", "kinds_on": kinds}
    assert person.post("/preferences", data=choices).status_code == 302
    assert events(db, "reminder-preferences") == []
    assert person.post("/preferences", data={**choices, "sms_on": ""}).status_code == 302
    (changed,) = events(db, "reminder-preferences")
    assert person.post("/preferences", data={**choices, "sms_on": ""}).status_code == 302
    assert events(db, "reminder-preferences") == [changed]


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_kind_of_event_reads_as_a_sentence_about_its_subject(app, language):
    """Each WHAT_HAPPENED entry, and the fuller sentences of some, with their values as the
    services write them: a sentence naming the subject, no code, no None."""
    from flask_babel import force_locale

    from p4p.modules.audit.models import AuditEvent
    from p4p.modules.audit.queries import WHAT_HAPPENED
    from p4p.modules.audit.sentences import Teller

    samples = {
        ("enrol", "participant"): (None, {"study_id": "P-1", "name": "Rosa", "email": None,
                                          "phone": "+13125550142", "language": "es",
                                          "arm": "partners4pain", "cohort": "Tues", "cohort_id": 1,
                                          "user_id": 2, "source": "form"}),
        ("reassign", "participant"): ({"arm": "partners4pain", "cohort_id": 1, "cohort": "Tues"},
                                      {"arm": "keys_to_wellbeing", "cohort_id": 2, "cohort": "Wed"}),
        ("meeting-delivery", "meeting"): (
            {"status": "scheduled", "actual_minutes": None, "sections_covered": [], "note": None},
            {"status": "held", "actual_minutes": 85, "sections_covered": ["welcome"], "note": "Ok"},
        ),
        ("role", "user"): ({"role": "coordinator"}, {"role": "admin"}),
        ("language", "user"): ({"language": "en"}, {"language": "es"}),
        ("sites", "user"): ({"site_ids": [7]}, {"site_ids": [7, 8]}),
        ("reminder-preferences", "user"): (
            {"email_on": True, "sms_on": True, "quiet_start": None, "quiet_end": None,
             "kinds_off": []},
            {"email_on": True, "sms_on": False, "quiet_start": "21:00:00", "quiet_end": "08:00:00",
             "kinds_off": ["practice"]},
        ),
        ("survey-done", "participant"): (None, {"months": 4}),
        ("export", "export"): (None, {"format": "long", "filters": {"site": 7}, "via": "web"}),
    }  # fmt: skip
    labels = {("participant", "1"): "P-1", ("user", "1"): "Dana", ("site", "1"): "North",
              ("cohort", "1"): "Tues", ("meeting", "1"): "Tues · 3", ("site", "7"): "North",
              ("site", "8"): "South"}  # fmt: skip
    with app.test_request_context("/"), force_locale(language):
        teller = Teller(labels, "America/Chicago")
        for action, entity in WHAT_HAPPENED:
            old, new = samples.get((action, entity), (None, None))
            event = AuditEvent(action=action, entity=entity, entity_id="1", old=old, new=new)
            told = teller.tell(event)
            text = " ".join([told.sentence, *told.details])
            assert told.sentence.endswith("."), (action, entity, text)
            if entity != "export":
                assert labels[(entity, "1")] in told.sentence, (action, entity, text)
            assert "None" not in text and "%(" not in text and f" · {entity}" not in text, text
        role = teller.tell(
            AuditEvent(
                action="role",
                entity="user",
                entity_id="1",
                old={"role": "coordinator"},
                new={"role": "admin"},
            )
        )
        sites = teller.tell(
            AuditEvent(
                action="sites",
                entity="user",
                entity_id="1",
                old={"site_ids": [7]},
                new={"site_ids": [7, 8]},
            )
        )
    expected = {
        "en": ("Role changed from Coordinator to Admin.", "Sites changed from North to North, South."),
        "es": ("Rol: cambió de Coordinador(a) a Administrador(a).",
               "Sedes: cambió de North a North, South."),
    }[language]  # fmt: skip
    assert (role.details[0], sites.details[0]) == expected
