"""Planning: every reminder that should exist, once, at the right local time."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reminder_helpers import WEEK4_EVE, WEEK4_START, enrolled, plan_at, reminders

from p4p.modules.practice.models import PracticeLog
from p4p.modules.reminders.models import ReminderPreference, SurveyCompletion

NOON_15TH = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def test_planning_twice_inserts_each_reminder_once(app, factory, db):
    participant = enrolled(factory, db)
    first = plan_at(app, NOON_15TH)
    assert first.inserted > 0
    assert plan_at(app, NOON_15TH).inserted == 0
    eve = reminders(db, kind="meeting-eve")
    assert [r.due_at for r in eve] == [WEEK4_EVE]
    assert eve[0].expires_at == datetime(2026, 3, 16, 5, 0, tzinfo=UTC)  # midnight on the day
    assert eve[0].key.endswith(f":u{participant.user_id}:email")


def test_the_eve_reminder_is_at_18_local_on_both_sides_of_daylight_saving(app, factory, db):
    site = factory.site(timezone="America/Chicago")
    cohort = factory.cohort(site=site, start=date(2026, 2, 26), at=time(18, 0))  # Thursdays
    factory.participant(cohort)
    for moment in (datetime(2026, 3, 4, 12, tzinfo=UTC), datetime(2026, 3, 11, 12, tzinfo=UTC)):
        plan_at(app, moment)
    due = [r.due_at for r in reminders(db, kind="meeting-eve")]
    assert [d.astimezone(ZoneInfo("America/Chicago")).time() for d in due] == [time(18), time(18)]
    assert [d.hour for d in due] == [0, 23]  # 18:00 CST is 00:00 UTC; 18:00 CDT is 23:00 UTC


def test_a_moved_meeting_cancels_the_old_reminder_and_plans_the_new_one(app, factory, db):
    participant = enrolled(factory, db)
    plan_at(app, NOON_15TH)
    meeting = next(m for m in participant.cohort.meetings if m.week == 4)
    meeting.starts_at = WEEK4_START - timedelta(days=1)  # moved a day earlier, to Sunday
    db.commit()
    result = plan_at(app, NOON_15TH - timedelta(days=1))
    eve = reminders(db, kind="meeting-eve")
    assert {(r.status, r.due_at) for r in eve} == {
        ("cancelled", WEEK4_EVE),
        ("planned", WEEK4_EVE - timedelta(days=1)),
    }
    assert result.cancelled >= 1


def test_withdrawn_participants_and_cancelled_meetings_get_nothing(app, factory, db, clock):
    participant = enrolled(factory, db)
    plan_at(app, NOON_15TH)
    participant.withdrawn_at = clock()
    db.commit()
    plan_at(app, NOON_15TH)
    assert {r.status for r in reminders(db)} == {"cancelled"}


def test_channels_and_switched_off_kinds_are_honoured(app, factory, db, clock):
    participant = enrolled(factory, db, phone="+15550002222")
    plan_at(app, NOON_15TH)
    assert {r.channel for r in reminders(db, kind="meeting-eve")} == {"email", "sms"}
    db.add(
        ReminderPreference(
            user_id=participant.user_id,
            email_on=True,
            sms_on=False,
            kinds_off=["meeting-eve"],
            updated_at=clock(),
        )
    )
    db.commit()
    plan_at(app, NOON_15TH)
    assert {r.status for r in reminders(db, kind="meeting-eve")} == {"cancelled"}
    assert {r.channel for r in reminders(db, kind="week-open", status="planned")} == {"email"}


def test_quiet_hours_move_a_reminder_to_when_they_end(app, factory, db, clock):
    participant = enrolled(factory, db)
    db.add(
        ReminderPreference(
            user_id=participant.user_id,
            quiet_start=time(17),
            quiet_end=time(19, 30),
            updated_at=clock(),
        )
    )
    db.commit()
    plan_at(app, NOON_15TH)
    (eve,) = reminders(db, kind="meeting-eve")
    assert eve.due_at.astimezone(ZoneInfo("America/Chicago")).time() == time(19, 30)


def test_practice_nudges_come_after_three_days_without_practice_at_most_twice_a_week(
    app, factory, db, clock
):
    participant = enrolled(factory, db)
    week4_day = date(2026, 3, 16)
    plan_at(app, datetime(2026, 3, 18, 12, tzinfo=UTC))
    plan_at(app, datetime(2026, 3, 21, 12, tzinfo=UTC))
    nudges = reminders(db, kind="practice")
    assert [
        r.due_at.astimezone(ZoneInfo("America/Chicago")).date()
        for r in nudges
        if r.payload["week"] == 4
    ] == [week4_day + timedelta(days=3), week4_day + timedelta(days=6)]
    db.add(
        PracticeLog(
            participant_id=participant.id,
            practiced_on=week4_day + timedelta(days=4),
            practice_type="body-scan",
            minutes=10,
            guided=False,
            created_at=clock(),
            updated_at=clock(),
        )
    )
    db.commit()
    plan_at(app, datetime(2026, 3, 21, 12, tzinfo=UTC))
    second = [
        r
        for r in reminders(db, kind="practice")
        if r.payload["week"] == 4 and r.key.split(":")[1].startswith("w4s2")
    ]
    assert [r.status for r in second] == ["cancelled"]


def test_follow_up_surveys_at_two_months_until_marked_done(app, factory, db, clock):
    participant = enrolled(factory, db)
    opens = datetime(2026, 4, 23, 12, tzinfo=UTC)  # two months after the 23 February start
    plan_at(app, opens)
    surveys = reminders(db, kind="survey")
    assert {r.payload["months"] for r in surveys} == {2}
    assert len(surveys) >= 1
    db.add(SurveyCompletion(participant_id=participant.id, months=2, done_at=clock()))
    db.commit()
    plan_at(app, opens)
    assert {r.status for r in reminders(db, kind="survey")} == {"cancelled"}


def test_facilitators_get_a_digest_before_each_meeting(app, factory, db):
    participant = enrolled(factory, db)
    facilitator = factory.facilitator(participant.cohort.site)
    plan_at(app, NOON_15TH)
    (digest,) = reminders(db, kind="digest")
    assert digest.user_id == facilitator.id
    assert digest.due_at == WEEK4_START - timedelta(hours=3)
