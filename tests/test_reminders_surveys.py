"""Follow-up surveys: timed from each person's own start, one message per round at a time."""

from datetime import UTC, date, datetime, timedelta

from reminder_helpers import enrolled, plan_at, reminders, send_at, use_smtp
from smtp_server import SmtpServer

from p4p.modules.participants.program_start import program_start
from p4p.modules.reminders.rules import add_months


def _survey_mails(smtp):
    return [m for m in smtp.messages if "survey" in m["Subject"]]


def test_overdue_rounds_of_a_survey_collapse_into_one_message(app, factory, db):
    participant = enrolled(factory, db)  # the cohort starts 23 February; 2 months: 23 April
    first_start = datetime(2026, 4, 28, 16, tzinfo=UTC)  # rounds 1 (23 Apr) and 2 (27 Apr) due
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        plan_at(app, first_start)
        send_at(app, first_start)
        send_at(app, first_start + timedelta(minutes=1))
    assert [m["To"] for m in _survey_mails(smtp)] == [participant.user.email]
    statuses = {r.key.split(":")[1]: (r.status, r.last_error) for r in reminders(db, kind="survey")}
    assert statuses["s2r2"] == ("sent", None)
    assert statuses["s2r1"][0] == "expired" and "superseded" in statuses["s2r1"][1]


def test_a_server_down_for_days_sends_one_survey_message_not_each_missed_round(app, factory, db):
    enrolled(factory, db)
    plan_at(app, datetime(2026, 4, 22, 16, tzinfo=UTC))  # round 1 planned, then the server stops
    back = datetime(2026, 4, 27, 16, tzinfo=UTC)
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        plan_at(app, back)
        send_at(app, back)
    assert len(_survey_mails(smtp)) == 1


def test_the_repeat_still_goes_when_the_first_round_went_on_time(app, factory, db):
    enrolled(factory, db)
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        for moment in (
            datetime(2026, 4, 23, 16, tzinfo=UTC),
            datetime(2026, 4, 27, 16, tzinfo=UTC),
        ):
            plan_at(app, moment)
            send_at(app, moment)
    assert len(_survey_mails(smtp)) == 2


def test_someone_enrolled_into_a_finished_cohort_is_surveyed_from_their_own_start(
    app, factory, db, clock
):
    today = clock().date()  # 10 March 2026
    cohort = factory.cohort(start=add_months(today, -2) - timedelta(days=3))  # ended in February
    participant = factory.participant(cohort, enrolled_on=today)
    plan_at(app, clock())
    assert reminders(db, kind="survey") == []  # not the cohort's 2-month survey, at once
    assert program_start(db, participant) == today
    two_months = datetime(2026, 5, 10, 16, tzinfo=UTC)
    plan_at(app, two_months)
    assert {r.payload["months"] for r in reminders(db, kind="survey")} == {2}


def test_a_participants_own_start_is_the_first_meeting_they_could_attend(app, factory, db):
    cohort = factory.cohort(start=date(2026, 2, 23))  # Mondays 10:00 in Chicago
    early = factory.participant(cohort)
    late = factory.participant(cohort, enrolled_on=date(2026, 3, 4))
    on_the_day = factory.participant(cohort)
    on_the_day.enrolled_at = datetime(2026, 3, 9, 16, tzinfo=UTC)  # after week 3 began
    db.commit()
    assert program_start(db, early) == date(2026, 2, 23)
    assert program_start(db, late) == date(2026, 3, 9)
    assert program_start(db, on_the_day) == date(2026, 3, 16)
    next(m for m in cohort.meetings if m.week == 3).status = "cancelled"
    db.commit()
    assert program_start(db, late) == date(2026, 3, 16)
