"""A moved, cancelled or video meeting is told at once: one notice per person and channel, in their
language, held by quiet hours unless the meeting is within a day, never sent twice, and shown on
the participant's home and week pages until the meeting is over (real outbox, SMTP and SMS)."""

from datetime import UTC, datetime, timedelta

import pytest
from conftest import PASSWORD, login
from coordinator_helpers import as_role, events
from reminder_helpers import SmsProvider, plan_at, reminders, send_at, use_smtp
from smtp_server import SmtpServer

from p4p.local_time import local_datetime
from p4p.modules.reminders.models import ReminderPreference
from p4p.modules.sites.models import MeetingStatus

# Notices are counted message by message; the PEG's own reminders would be counted with them.
pytestmark = pytest.mark.usefixtures("without_questionnaires")

PHONE = "+13125550142"


@pytest.fixture
def outbox(app):
    """Real mail and SMS servers, as the app sends to in production."""
    with SmtpServer() as smtp, SmsProvider() as sms:
        use_smtp(app, smtp)
        sms.configure(app)
        yield smtp, sms


def _week(cohort, number):
    return next(meeting for meeting in cohort.meetings if meeting.week == number)


def _cohort_of_two(factory, db):
    """An English speaker with email and phone, and a Spanish speaker with email only."""
    english = factory.participant()
    english.user.phone = PHONE
    spanish = factory.participant(cohort=english.cohort, language="es")
    db.commit()
    return english.cohort, english, spanish


def _post(client, path, data):
    response = client.post(path, data=data)
    response.close()  # the response is delivered: its queued notices are tried now
    assert "/login" not in response.headers.get("Location", "")  # still signed in
    return response


def _move(client, meeting, day, at="18:00", reason="The room is closed that day"):
    return _post(
        client,
        f"/admin/meetings/{meeting.id}/move",
        {"move-date": day.isoformat(), "move-time": at, "move-reason": reason},
    )


def _cancel(client, meeting, reason="The site is closed for a holiday"):
    return _post(client, f"/admin/meetings/{meeting.id}/cancel", {"cancel-reason": reason})


def _texts(sms):
    return [message["Body"] for message in sms.received]


def _mails(smtp):
    return [
        (str(m["To"]), str(m["Subject"]), m.get_body(("plain",)).get_content())
        for m in smtp.messages
    ]


def test_a_move_is_told_once_per_person_and_channel_in_their_language(
    app, factory, db, client, clock, outbox
):
    smtp, sms = outbox
    cohort, english, spanish = _cohort_of_two(factory, db)
    week4 = _week(cohort, 4)
    new_day = local_datetime(week4.starts_at, cohort.site.timezone).date() + timedelta(days=1)
    as_role(factory, client, "coordinator")
    assert _move(client, week4, new_day).status_code == 302

    rows = reminders(db, kind="meeting-moved")
    assert sorted((r.user_id, r.channel, r.status) for r in rows) == sorted(
        [
            (english.user_id, "email", "sent"),
            (english.user_id, "sms", "sent"),
            (spanish.user_id, "email", "sent"),
        ]
    )
    [text] = _texts(sms)
    assert "has moved" in text and "Mar 17, 2026" in text and "6:00" in text
    mails = {to: (subject, body) for to, subject, body in _mails(smtp)}
    assert mails[english.user.email][0] == "Your group meeting has moved"
    subject, body = mails[spanish.user.email]
    assert "reunión" in subject
    assert "Your group" not in body  # all Spanish

    # The planner's and sender's next ticks add nothing: the notice is not sent twice.
    plan_at(app, clock())
    send_at(app, clock() + timedelta(minutes=1))
    assert len(sms.received) == 1 and len(smtp.messages) == 2
    assert len(reminders(db, kind="meeting-moved")) == 3


def test_a_cancelled_meeting_is_told_and_its_reminders_never_go(
    app, factory, db, client, clock, outbox
):
    smtp, sms = outbox
    cohort, english, spanish = _cohort_of_two(factory, db)
    week4 = _week(cohort, 4)
    plan_at(app, week4.starts_at - timedelta(days=2))  # the eve reminders are in the outbox
    assert reminders(db, kind="meeting-eve")
    as_role(factory, client, "coordinator")
    assert _cancel(client, week4).status_code == 302

    db.refresh(week4)
    assert week4.status == MeetingStatus.CANCELLED
    [event] = events(db, "cancel", "meeting")
    assert event.reason == "The site is closed for a holiday"
    [text] = _texts(sms)
    assert "cancelled" in text and "Please do not come" in text
    spanish_mail = next(m for m in _mails(smtp) if m[0] == spanish.user.email)
    assert "cancelada" in spanish_mail[2]

    # Through the eve and the meeting's hour: no reminder for the cancelled meeting is sent.
    for hours in range(0, 49, 6):
        moment = week4.starts_at - timedelta(hours=48 - hours)
        plan_at(app, moment)
        send_at(app, moment)
    sent_kinds = [
        r.kind for r in reminders(db, status="sent") if r.payload.get("meeting_id") == week4.id
    ]
    assert sorted(sent_kinds) == ["meeting-cancelled"] * 3


def test_quiet_hours_hold_a_notice_unless_the_meeting_is_within_a_day(
    app, factory, db, client, clock, outbox
):
    smtp, sms = outbox
    cohort, english, _spanish = _cohort_of_two(factory, db)
    clock.at = datetime(2026, 3, 11, 3, 30, tzinfo=UTC)  # 22:30 in Chicago: quiet hours
    coordinator = as_role(factory, client, "coordinator")
    week5 = _week(cohort, 5)  # 12 days away
    new_day = local_datetime(week5.starts_at, cohort.site.timezone).date() + timedelta(days=1)
    assert _move(coordinator, week5, new_day).status_code == 302
    assert sms.received == [] and smtp.messages == []
    held = reminders(db, kind="meeting-moved")
    assert {r.status for r in held} == {"planned"}
    assert {local_datetime(r.due_at, "America/Chicago").hour for r in held} == {8}
    plan_at(app, clock())  # the planner leaves a held notice alone
    assert {r.status for r in reminders(db, kind="meeting-moved")} == {"planned"}
    send_at(app, datetime(2026, 3, 11, 13, 0, tzinfo=UTC))  # 08:00 in Chicago
    assert len(sms.received) == 1 and len(smtp.messages) == 2

    # Week 4's meeting, moved at 22:30 to tomorrow morning: told now, quiet hours or not.
    clock.at = datetime(2026, 3, 12, 3, 30, tzinfo=UTC)
    coordinator = as_role(factory, app.test_client(), "coordinator")  # yesterday's session ended
    week4 = _week(cohort, 4)
    tomorrow = local_datetime(clock(), cohort.site.timezone).date() + timedelta(days=1)
    assert _move(coordinator, week4, tomorrow, at="09:00").status_code == 302
    assert len(sms.received) == 2


def test_a_switch_to_video_sends_the_link_and_a_person_who_said_stop_gets_no_text(
    app, factory, db, client, clock, outbox
):
    smtp, sms = outbox
    cohort, english, spanish = _cohort_of_two(factory, db)
    db.add(ReminderPreference(user_id=english.user_id, sms_on=False, updated_at=clock()))
    withdrawn = factory.participant(cohort=cohort)
    withdrawn.withdrawn_at = clock() - timedelta(days=1)
    db.commit()
    as_role(factory, client, "coordinator")
    week4 = _week(cohort, 4)
    response = _post(
        client,
        f"/admin/meetings/{week4.id}/mode",
        {
            "mode-mode": "video",
            "mode-video_link": "https://meet.example.org/group-4",
            "mode-reason": "Room flooded",
        },
    )
    assert response.status_code == 302
    assert sms.received == []  # texts are off for the one person with a phone
    to = sorted(m[0] for m in _mails(smtp))
    assert to == sorted([english.user.email, spanish.user.email])  # not the withdrawn person
    body = next(m[2] for m in _mails(smtp) if m[0] == english.user.email)
    assert "will be by video" in body and "https://meet.example.org/group-4" in body


def test_home_and_week_pages_show_the_change_until_the_meeting_is_over(
    app, factory, db, client, clock, outbox
):
    cohort, english, spanish = _cohort_of_two(factory, db)
    week4 = _week(cohort, 4)
    new_day = local_datetime(week4.starts_at, cohort.site.timezone).date() + timedelta(days=1)
    as_role(factory, client, "coordinator")
    _move(client, week4, new_day)
    _cancel(client, _week(cohort, 5))

    participant = app.test_client()
    login(participant, english.user.email, PASSWORD)
    home = participant.get("/home").get_data(as_text=True)
    assert "A change to your group meetings" in home
    section = home[home.find('class="notice changes"') :][:1500]
    assert "Moved:" in section and "Monday, March 16, 2026 at 10:00" in section
    assert "is now on Tuesday, March 17, 2026 at 6:00" in section
    assert "Cancelled:" in section and "March 23, 2026" in section
    week = participant.get("/weeks/3").get_data(as_text=True)
    assert "Moved:" in week

    spanish_client = app.test_client()
    login(spanish_client, spanish.user.email, PASSWORD)
    home_es = spanish_client.get("/home").get_data(as_text=True)
    assert "Un cambio en sus reuniones de grupo" in home_es

    clock.at = datetime(2026, 3, 18, 1, 0, tzinfo=UTC)  # the moved meeting (18:00-19:30) is over
    participant = app.test_client()  # (a new day: yesterday's session has ended)
    login(participant, english.user.email, PASSWORD)
    home = participant.get("/home").get_data(as_text=True)
    assert "Moved:" not in home and "Cancelled:" in home
    clock.at = datetime(2026, 3, 24, 23, 0, tzinfo=UTC)
    participant = app.test_client()
    login(participant, english.user.email, PASSWORD)
    assert "A change to your group meetings" not in participant.get("/home").get_data(as_text=True)


@pytest.mark.parametrize(
    "reason, when, message",
    [
        ("", None, "Write the reason for this change."),
        ("Holiday", "past", "This meeting has started or passed"),
        ("Holiday", "cancelled", "This meeting is cancelled. Its participants were told."),
    ],
)
def test_a_cancel_that_cannot_be_done_says_why_and_changes_nothing(
    app, factory, db, client, clock, outbox, reason, when, message
):
    smtp, sms = outbox
    cohort, _english, _spanish = _cohort_of_two(factory, db)
    meeting = _week(cohort, 2 if when == "past" else 4)
    as_role(factory, client, "coordinator")
    if when == "cancelled":
        assert _cancel(client, meeting).status_code == 302
        sms.received.clear()
        smtp.messages.clear()
    before = len(events(db))
    response = _cancel(client, meeting, reason)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert len(events(db)) == before
    assert sms.received == [] and smtp.messages == []
