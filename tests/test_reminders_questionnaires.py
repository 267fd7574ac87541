"""Questionnaire reminders: one when an occasion opens (and a nudge near the end of a long
window), planned once, judged again when sent, through a real SMTP server and a local SMS API.

The factory's cohort meets on Mondays at 10:00 in Chicago from 23 February 2026; the PEG is asked
weekly (a 3-day window from the week's meeting day) and at months 2, 4 and 6 (14 days), as
conftest.scheduled_peg has it. Clocks in Chicago go forward on Sunday 8 March 2026.
"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import login
from reminder_helpers import (
    SmsProvider,
    enrolled,
    plan_at,
    post_sms_reply,
    reminders,
    send_at,
    use_smtp,
)
from smtp_server import SmtpServer

from p4p.modules.reminders.models import ReminderPreference

CHICAGO = ZoneInfo("America/Chicago")
# Week 4's questionnaire opens on Monday 16 March (CDT, UTC-5): its reminder is at 10:00 local.
WEEK4_OPENS = datetime(2026, 3, 16, 15, 0, tzinfo=UTC)
BEFORE = WEEK4_OPENS - timedelta(hours=6)
SUBJECT = "You have a short questionnaire to answer"


@pytest.fixture(autouse=True)
def _the_peg_is_asked(scheduled_peg):
    """Weekly and at months 2, 4 and 6 (conftest.scheduled_peg)."""


def _questionnaire_mails(smtp):
    return [m for m in smtp.messages if m["Subject"] == SUBJECT]


def _answer_the_peg(client, clock, participant, moment, occasion="week-4"):
    clock.at = moment  # (before logging in: a session from days earlier has timed out)
    login(client, participant.user.email)
    for number in (1, 2, 3):
        saved = client.post(f"/questionnaires/peg/{occasion}/{number}", data={"answer": "5"})
        assert saved.headers["Location"].startswith("/questionnaires/peg/")
    assert client.post(f"/questionnaires/peg/{occasion}/review").status_code == 302


def test_planning_many_times_plans_one_reminder_per_occasion_and_channel(app, factory, db):
    participant = enrolled(factory, db, phone="+15550002222")
    first = plan_at(app, BEFORE)
    for hours in (1, 2, 3):
        assert plan_at(app, BEFORE + timedelta(hours=hours)).inserted == 0
    planned = reminders(db, kind="questionnaire")
    assert first.inserted >= 2
    assert [(r.channel, r.due_at, r.status) for r in planned] == [
        ("email", WEEK4_OPENS, "planned"),
        ("sms", WEEK4_OPENS, "planned"),
    ]
    assert planned[0].key == f"questionnaire:peg.week-4@2026-03-16r1:u{participant.user_id}:email"
    # The window's last day is Wednesday 18 March: void from local midnight after it.
    assert planned[0].expires_at == datetime(2026, 3, 19, 5, 0, tzinfo=UTC)
    assert planned[0].payload["occasion"] == "week-4"


def test_the_reminder_goes_once_by_email_and_text_and_names_no_questionnaire(app, factory, db):
    participant = enrolled(factory, db, phone="+15550002222")
    plan_at(app, BEFORE)
    with SmtpServer() as smtp, SmsProvider() as sms:
        use_smtp(app, smtp)
        sms.configure(app)
        send_at(app, WEEK4_OPENS - timedelta(minutes=1))  # the week-open reminder (08:00)
        assert _questionnaire_mails(smtp) == []
        send_at(app, WEEK4_OPENS)
        send_at(app, WEEK4_OPENS + timedelta(minutes=5))
    (mail,) = _questionnaire_mails(smtp)
    assert mail["To"] == participant.user.email
    body = mail.get_body(("plain",)).get_content()
    assert "http://p4p.test/questionnaires" in body and "/stop/" in body
    assert "Wednesday, March 18, 2026" in body  # the window's last day
    (text,) = [m for m in sms.received if "questionnaire" in m["Body"]]
    assert text["To"] == "+15550002222" and "http://p4p.test/questionnaires" in text["Body"]
    for words in (body, text["Body"], mail["Subject"]):
        assert "pain" not in words.lower() and "PEG" not in words
    assert {r.status for r in reminders(db, kind="questionnaire")} == {"sent"}


def test_no_reminder_once_the_participant_has_sent_the_questionnaire(
    app, factory, db, client, clock
):
    participant = enrolled(factory, db)
    plan_at(app, WEEK4_OPENS - timedelta(hours=1))  # planned before they answered
    _answer_the_peg(
        client, clock, participant, WEEK4_OPENS - timedelta(minutes=30)
    )  # early in the day
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        send_at(app, WEEK4_OPENS)
    assert _questionnaire_mails(smtp) == []
    (reminder,) = reminders(db, kind="questionnaire")
    assert (reminder.status, reminder.last_error) == (
        "cancelled",
        "questionnaire sent since planning",
    )
    plan_at(app, WEEK4_OPENS + timedelta(hours=1))  # and the planner does not plan it again
    assert len(reminders(db, kind="questionnaire")) == 1


def test_a_questionnaire_started_but_not_sent_still_gets_its_reminder(
    app, factory, db, client, clock
):
    participant = enrolled(factory, db)
    plan_at(app, BEFORE)
    clock.at = WEEK4_OPENS - timedelta(minutes=30)
    login(client, participant.user.email)
    assert client.post("/questionnaires/peg/week-4/1", data={"answer": "5"}).status_code == 302
    assert client.get("/questionnaires/peg/week-4/2").status_code == 200  # started, not sent
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        send_at(app, WEEK4_OPENS)
    assert len(_questionnaire_mails(smtp)) == 1


def test_no_text_after_stop_and_no_email_after_the_stop_link(app, factory, db, client):
    participant = enrolled(factory, db, phone="+15550002222")
    plan_at(app, BEFORE)
    with SmsProvider() as sms:
        sms.configure(app)
        assert post_sms_reply(client, app, {"From": "+15550002222", "Body": "STOP"}).status_code
        with app.app_context():
            from p4p.modules.reminders.messages import stop_token

            token = stop_token(participant.user_id, "questionnaire")
        assert client.post(f"/stop/{token}", data={"scope": "kind"}).status_code == 200
        with SmtpServer() as smtp:
            use_smtp(app, smtp)
            send_at(app, WEEK4_OPENS)
    assert [m for m in sms.received if "/questionnaires" in m["Body"]] == []
    assert _questionnaire_mails(smtp) == []
    assert {r.last_error for r in reminders(db, kind="questionnaire")} == {"opted out of this kind"}
    db.expire_all()
    assert "questionnaire" in db.get(ReminderPreference, participant.user_id).kinds_off


def test_a_withdrawn_participant_gets_no_questionnaire_reminder(app, factory, db, clock):
    participant = enrolled(factory, db)
    plan_at(app, BEFORE)
    participant.withdrawn_at = BEFORE + timedelta(hours=1)
    db.commit()
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        send_at(app, WEEK4_OPENS)
    assert _questionnaire_mails(smtp) == []
    assert reminders(db, kind="questionnaire")[0].last_error == "withdrawn"


def test_a_spanish_speaker_gets_it_in_spanish(app, factory, db):
    participant = factory.participant(language="es")
    participant.user.phone = "+15550003333"
    db.commit()
    plan_at(app, BEFORE)
    with SmtpServer() as smtp, SmsProvider() as sms:
        use_smtp(app, smtp)
        sms.configure(app)
        send_at(app, WEEK4_OPENS)
    (mail,) = [m for m in smtp.messages if "cuestionario" in m["Subject"]]
    assert mail["Subject"] == "Tiene un cuestionario corto para contestar"
    body = mail.get_body(("plain",)).get_content()
    assert "Hola" in body and "miércoles, 18 de marzo de 2026" in body
    (text,) = [m for m in sms.received if "/questionnaires" in m["Body"]]
    assert "cuestionario" in text["Body"] and "questionnaire " not in text["Body"]


def test_quiet_hours_move_it_to_when_they_end(app, factory, db, clock):
    participant = enrolled(factory, db)
    db.add(
        ReminderPreference(
            user_id=participant.user_id,
            quiet_start=time(9),
            quiet_end=time(11, 30),
            updated_at=clock(),
        )
    )
    db.commit()
    plan_at(app, BEFORE)
    (reminder,) = reminders(db, kind="questionnaire")
    assert reminder.due_at.astimezone(CHICAGO).time() == time(11, 30)


def test_it_is_at_10_local_in_the_week_the_clocks_change(app, factory, db):
    enrolled(factory, db)
    week2, week3 = datetime(2026, 3, 2, 16, tzinfo=UTC), datetime(2026, 3, 9, 15, tzinfo=UTC)
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        for opens in (week2, week3):  # 10:00 CST, then 10:00 CDT (clocks went forward on the 8th)
            plan_at(app, opens - timedelta(hours=12))
            send_at(app, opens - timedelta(minutes=1))
            assert reminders(db, kind="questionnaire")[-1].status == "planned"
            send_at(app, opens)
    sent = reminders(db, kind="questionnaire")
    assert [r.payload["occasion"] for r in sent] == ["week-2", "week-3"]
    assert [r.due_at.astimezone(CHICAGO).time() for r in sent] == [time(10), time(10)]
    assert [r.due_at.hour for r in sent] == [16, 15]
    assert [r.status for r in sent] == ["sent", "sent"]
    assert len(_questionnaire_mails(smtp)) == 2


def test_never_after_the_window_closes(app, factory, db):
    enrolled(factory, db)
    plan_at(app, BEFORE)  # then the server is off until the window has closed
    closed = datetime(2026, 3, 19, 5, 0, tzinfo=UTC)
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        send_at(app, closed)
    assert _questionnaire_mails(smtp) == []
    assert {r.status for r in reminders(db, kind="questionnaire")} == {"expired"}


def test_a_long_window_gets_a_nudge_near_its_end_and_overdue_rounds_collapse(app, factory, db):
    enrolled(factory, db)  # program start 23 February: the 2-month PEG is open 23 April - 6 May
    opens, nudge = datetime(2026, 4, 23, 15, tzinfo=UTC), datetime(2026, 5, 5, 15, tzinfo=UTC)
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        plan_at(app, opens - timedelta(hours=1))
        send_at(app, opens)
        plan_at(app, nudge - timedelta(hours=1))
        send_at(app, nudge)
    month2 = [r for r in reminders(db, kind="questionnaire") if r.payload["occasion"] == "month-2"]
    assert [(r.payload["round"], r.due_at, r.status) for r in month2] == [
        (1, opens, "sent"),
        (2, nudge, "sent"),
    ]
    assert len(_questionnaire_mails(smtp)) == 2


def test_a_server_off_for_the_whole_window_sends_only_the_nudge(app, factory, db):
    enrolled(factory, db)
    opens, nudge = datetime(2026, 4, 23, 15, tzinfo=UTC), datetime(2026, 5, 5, 15, tzinfo=UTC)
    plan_at(app, opens - timedelta(hours=1))  # the opening round, then the server stops
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        plan_at(app, nudge)
        send_at(app, nudge)
    assert len(_questionnaire_mails(smtp)) == 1
    statuses = {r.payload["round"]: r.status for r in reminders(db, kind="questionnaire")}
    assert statuses == {1: "expired", 2: "sent"}


def test_a_moved_meeting_moves_the_reminder_of_its_weeks_questionnaire(app, factory, db):
    participant = enrolled(factory, db)
    plan_at(app, BEFORE - timedelta(days=1))
    meeting = next(m for m in participant.cohort.meetings if m.week == 4)
    meeting.starts_at += timedelta(days=1)  # to Tuesday 17 March
    db.commit()
    plan_at(app, BEFORE)
    assert {(r.key.split(":")[1], r.status) for r in reminders(db, kind="questionnaire")} == {
        ("peg.week-4@2026-03-16r1", "cancelled"),
        ("peg.week-4@2026-03-17r1", "planned"),
    }


def test_an_occasion_that_moves_after_its_reminder_went_is_not_told_again(app, factory, db):
    participant = enrolled(factory, db)
    plan_at(app, BEFORE)
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        send_at(app, WEEK4_OPENS)
        meeting = next(m for m in participant.cohort.meetings if m.week == 4)
        meeting.starts_at += timedelta(days=1)  # moved to Tuesday, after the reminder went
        db.commit()
        plan_at(app, WEEK4_OPENS + timedelta(hours=1))
        send_at(app, WEEK4_OPENS + timedelta(days=1, hours=2))  # more than a day later
    assert len(_questionnaire_mails(smtp)) == 1
    moved = reminders(db, kind="questionnaire")[-1]
    assert moved.key.split(":")[1] == "peg.week-4@2026-03-17r1"
    assert moved.status == "expired" and moved.last_error.startswith("superseded")


def test_nothing_is_planned_for_someone_who_enrolled_after_the_occasion_opened(app, factory, db):
    cohort = factory.cohort()
    participant = factory.participant(cohort)
    participant.enrolled_at = WEEK4_OPENS + timedelta(hours=2)
    db.commit()
    plan_at(app, WEEK4_OPENS + timedelta(hours=3))
    assert reminders(db, kind="questionnaire") == []


def test_planning_runs_the_same_queries_for_3_and_30_participants(app, factory, db, count_queries):
    from p4p.db import get_session
    from p4p.modules.reminders.service import plan

    cohort = factory.cohort()
    for _ in range(3):
        factory.participant(cohort)

    def measure() -> int:
        with app.app_context(), count_queries() as counter:
            plan(get_session(), app.extensions["p4p.program"], BEFORE, app.config)
            get_session().rollback()
        return counter.count

    small = measure()
    other = factory.cohort(site=cohort.site, arm="keys_to_wellbeing")
    for n in range(27):
        factory.participant(cohort if n % 2 else other)
    assert measure() == small


def test_the_choice_is_offered_when_the_study_asks_questionnaires(
    app, factory, db, client, monkeypatch
):
    participant = factory.participant(language="es")
    login(client, participant.user.email)
    page = client.get("/preferences").get_data(as_text=True)
    assert 'value="questionnaire"' in page
    assert "Cuando hay un cuestionario corto para contestar en la aplicación" in page
    saved = client.post("/preferences", data={"email_on": "y", "language": "es", "kinds_on": []})
    assert saved.status_code == 302
    db.expire_all()
    assert "questionnaire" in db.get(ReminderPreference, participant.user_id).kinds_off
    monkeypatch.delitem(app.extensions["p4p.program"].instruments, "peg")
    assert 'value="questionnaire"' not in client.get("/preferences").get_data(as_text=True)
