"""A reminder says what is true when it is sent, or it is not sent at all.

The factory's cohort meets on Mondays at 10:00 in Chicago; week 4 is Monday 16 March 2026
(15:00 UTC). Default quiet hours are 21:00-08:00 local.
"""

from datetime import UTC, datetime, timedelta

from reminder_helpers import (
    WEEK4_EVE,
    WEEK4_START,
    SmsProvider,
    enrolled,
    plan_at,
    reminders,
    send_at,
    use_smtp,
)
from smtp_server import SmtpServer

from p4p.modules.reminders.models import ReminderPreference
from p4p.modules.sites.meetings import move_meeting


def _week4(participant):
    return next(m for m in participant.cohort.meetings if m.week == 4)


def _move(app, db, factory, meeting, starts_at, at):
    coordinator = factory.user("coordinator")
    with app.app_context():
        move_meeting(db, meeting, starts_at, "The room is needed", coordinator.id, at)
    db.commit()  # as the request that moved it would


def _bodies(smtp):
    return [(m["Subject"], m.get_body(("plain",)).get_content()) for m in smtp.messages]


def test_a_meeting_moved_to_today_gets_a_moved_message_not_an_eve_saying_tomorrow(app, factory, db):
    participant = enrolled(factory, db)
    plan_at(app, datetime(2026, 3, 14, 12, tzinfo=UTC))  # the old eve reminder is planned
    moved_at = datetime(2026, 3, 15, 15, tzinfo=UTC)  # Sunday 10:00 in Chicago
    tonight = datetime(2026, 3, 15, 23, tzinfo=UTC)  # Sunday 18:00 in Chicago
    _move(app, db, factory, _week4(participant), tonight, moved_at)
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        plan_at(app, moved_at)
        send_at(app, moved_at)
        plan_at(app, moved_at + timedelta(minutes=5))
        send_at(app, moved_at + timedelta(minutes=5))
    mails = _bodies(smtp)
    assert not [s for s, body in mails if "tomorrow" in s or "tomorrow" in body], mails
    (moved,) = [(s, body) for s, body in mails if "moved" in s]
    assert "It is now today, Sunday, March 15, 2026, at 6:00" in moved[1]
    assert {r.status for r in reminders(db, kind="meeting-eve")} <= {"cancelled", "expired"}


def test_a_short_notice_move_tells_each_person_once_in_their_language_and_channels(
    app, factory, db, clock
):
    spanish = enrolled(factory, db, phone="+15550006666")
    spanish.user.language = "es"
    cohort = spanish.cohort
    withdrawn = factory.participant(cohort)
    withdrawn.withdrawn_at = clock()
    email_only = factory.participant(cohort)
    email_only.user.phone = "+15550007777"
    db.add(ReminderPreference(user_id=email_only.user_id, sms_on=False, updated_at=clock()))
    db.commit()
    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    with SmtpServer() as smtp, SmsProvider() as provider:
        use_smtp(app, smtp)
        provider.configure(app)
        send_at(app, WEEK4_EVE)  # Sunday 18:00: "tomorrow at 10:00" goes out as usual
        moved_at = WEEK4_EVE + timedelta(hours=2)  # Sunday 20:00: moved to 9:00 on Monday
        _move(app, db, factory, _week4(spanish), WEEK4_START - timedelta(hours=1), moved_at)
        for minutes in (0, 1, 30):
            plan_at(app, moved_at + timedelta(minutes=minutes))
            send_at(app, moved_at + timedelta(minutes=minutes))
    moved_mails = [m for m in smtp.messages if "moved" in m["Subject"] or "cambió" in m["Subject"]]
    by_person = sorted(m["To"] for m in moved_mails)
    assert by_person == sorted([spanish.user.email, email_only.user.email])
    (spanish_mail,) = [m for m in moved_mails if m["To"] == spanish.user.email]
    assert "Ahora es mañana" in spanish_mail.get_body(("plain",)).get_content()
    texts = [r for r in provider.received if "Ahora" in r["Body"] or "now" in r["Body"]]
    assert [t["To"] for t in texts] == ["+15550006666"]
    assert withdrawn.user.email not in [m["To"] for m in smtp.messages]
    eve_mails = [m for m in smtp.messages if "tomorrow" in m["Subject"] or "mañana" in m["Subject"]]
    assert sorted(m["To"] for m in eve_mails) == by_person  # the first one, not a second eve


def test_a_move_well_ahead_is_told_once_at_the_move_and_the_eve_reminder_follows_it(
    app, factory, db
):
    participant = enrolled(factory, db)
    moved_at = datetime(2026, 3, 11, 15, tzinfo=UTC)
    _move(app, db, factory, _week4(participant), WEEK4_START + timedelta(days=1), moved_at)
    plan_at(app, moved_at)
    plan_at(app, WEEK4_EVE)
    (moved,) = reminders(db, kind="meeting-moved")  # queued by the move itself, due at once
    assert moved.due_at == moved_at
    (eve,) = reminders(db, kind="meeting-eve")
    assert eve.due_at == WEEK4_EVE + timedelta(days=1)


def test_week_open_after_that_weeks_meeting_is_expired_not_sent(app, factory, db):
    enrolled(factory, db)
    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        send_at(app, WEEK4_START + timedelta(hours=1))  # back on at 11:00, after the meeting
    assert [m["Subject"] for m in smtp.messages if "Week 4" in m["Subject"]] == []
    assert [r.status for r in reminders(db, kind="week-open")] == ["expired"]


def test_a_reminder_for_a_cancelled_meeting_is_expired_not_sent(app, factory, db):
    participant = enrolled(factory, db)
    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    _week4(participant).status = "cancelled"
    db.commit()
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        send_at(app, WEEK4_EVE)
        plan_at(app, WEEK4_EVE + timedelta(minutes=1))
    assert [m for m in smtp.messages if "meets" in m["Subject"]] == []
    eve = reminders(db, kind="meeting-eve")
    assert [(r.status, r.last_error) for r in eve] == [("expired", "meeting cancelled")]


def test_someone_enrolled_after_a_move_is_not_told_that_it_moved(app, factory, db):
    participant = enrolled(factory, db)
    moved_at = WEEK4_EVE + timedelta(hours=2)
    _move(app, db, factory, _week4(participant), WEEK4_START - timedelta(hours=1), moved_at)
    newcomer = factory.participant(participant.cohort)
    newcomer.enrolled_at = moved_at + timedelta(minutes=10)
    db.commit()
    plan_at(app, moved_at + timedelta(minutes=20))
    told = {r.user_id for r in reminders(db, kind="meeting-moved")}
    assert told == {participant.user_id}
