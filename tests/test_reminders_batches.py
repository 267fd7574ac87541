"""Sending in batches: a fixed number of queries per batch, about one per message, through the
real SMTP server and SMS provider; and a batch whose rows another sender took back."""

from datetime import date, timedelta

from reminder_helpers import WEEK4_EVE, WEEK4_START, SmsProvider, reminders, send_at, use_smtp
from smtp_server import SmtpServer

from p4p.modules.practice.models import PracticeLog
from p4p.modules.reminders.models import Reminder
from p4p.modules.reminders.rules import meeting_target, questionnaire_target

KINDS = ("meeting-eve", "practice", "survey", "questionnaire")
WEEK4_DAY = date(2026, 3, 16)


def _payload_and_target(kind: str, participant, serial: int) -> tuple[dict, str]:
    ids = {"participant_id": participant.id}
    if kind == "meeting-eve":
        meeting = next(m for m in participant.cohort.meetings if m.week == 4)
        target = meeting_target(meeting.id, meeting.starts_at)
        return {**ids, "meeting_id": meeting.id, "week": 4,
                "starts_at": meeting.starts_at.isoformat()}, target  # fmt: skip
    if kind == "practice":
        since, until = WEEK4_DAY - timedelta(days=4), WEEK4_DAY
        return {**ids, "week": 3, "since": since.isoformat(), "until": until.isoformat()}, (
            f"w3s{serial}@{since.isoformat()}"
        )
    if kind == "survey":
        return {**ids, "months": 2}, f"s2r{serial}"
    target = questionnaire_target("peg", f"week-{serial}", WEEK4_DAY)
    return {**ids, "instrument": "peg", "occasion": f"week-{serial}", "round": 1,
            "opens_on": WEEK4_DAY.isoformat(), "last_day": "2026-03-18"}, f"{target}r1"  # fmt: skip


def _due_mix(factory, db, count: int, due, cohorts) -> None:
    """`count` due reminders, one person each, of every kind by turns, by email and by text."""
    for index in range(count):
        participant = factory.participant(cohorts[index % len(cohorts)])
        participant.user.phone = f"+1555000{index:04d}"
        kind = KINDS[index % len(KINDS)]
        channel = ("email", "sms")[(index // len(KINDS)) % 2]
        payload, target = _payload_and_target(kind, participant, index + 1)
        db.add(
            Reminder(
                key=f"{kind}:{target}:u{participant.user_id}:{channel}",
                user_id=participant.user_id,
                kind=kind,
                channel=channel,
                payload=payload,
                due_at=due,
                expires_at=WEEK4_START - timedelta(hours=6),
                status="planned",
                attempts=0,
                created_at=due,
                updated_at=due,
            )
        )
    db.commit()


def test_a_batch_costs_at_most_two_queries_a_message_and_more_messages_cost_less_each(
    app, factory, db, count_queries
):
    cohorts = [factory.cohort() for _ in range(3)]
    per_message = {}
    with SmtpServer() as smtp, SmsProvider() as provider:
        use_smtp(app, smtp)
        provider.configure(app)
        for count, moment in ((10, WEEK4_EVE), (40, WEEK4_EVE + timedelta(minutes=5))):
            _due_mix(factory, db, count, moment - timedelta(minutes=1), cohorts)
            with count_queries() as counter:
                result = send_at(app, moment)
            assert (result.sent, result.cancelled, result.expired) == (count, 0, 0), result.lines
            per_message[count] = counter.count / count
    assert len(smtp.messages) + len(provider.received) == 50
    assert {m["Subject"] for m in smtp.messages} >= {
        "Reminder: your group meets tomorrow",
        "A few minutes for your home practice",
        "Your 2-month survey is ready",
        "You have a short questionnaire to answer",
    }
    assert per_message[40] <= 2, per_message
    assert per_message[40] <= per_message[10], per_message


def test_a_batch_still_judges_each_reminder_by_what_the_database_says(app, factory, db):
    """Practice logged since planning cancels one, a withdrawal another, an opt-out a third; the
    rest of the batch goes."""
    cohorts = [factory.cohort()]
    _due_mix(factory, db, 8, WEEK4_EVE - timedelta(minutes=1), cohorts)
    rows = {r.key.split(":")[0] + r.channel: r for r in reminders(db)}
    practice = rows["practiceemail"]
    db.add(
        PracticeLog(
            participant_id=practice.payload["participant_id"],
            practiced_on=WEEK4_DAY - timedelta(days=2),
            practice_type="breathing",
            minutes=10,
            guided=False,
            created_at=WEEK4_EVE - timedelta(hours=3),
            updated_at=WEEK4_EVE - timedelta(hours=3),
        )
    )
    from p4p.modules.participants.models import Participant
    from p4p.modules.reminders.models import ReminderPreference

    withdrawn = db.get(Participant, rows["surveysms"].payload["participant_id"])
    withdrawn.withdrawn_at = WEEK4_EVE - timedelta(hours=2)
    db.add(
        ReminderPreference(
            user_id=rows["meeting-eveemail"].user_id,
            kinds_off=["meeting-eve"],
            updated_at=WEEK4_EVE - timedelta(hours=2),
        )
    )
    db.commit()
    with SmtpServer() as smtp, SmsProvider() as provider:
        use_smtp(app, smtp)
        provider.configure(app)
        result = send_at(app, WEEK4_EVE)
    assert (result.sent, result.cancelled) == (5, 3), result.lines
    reasons = {
        r.key.split(":")[0] + r.channel: r.last_error for r in reminders(db, status="cancelled")
    }
    assert reasons == {
        "practiceemail": "practice logged since planning",
        "surveysms": "withdrawn",
        "meeting-eveemail": "opted out of this kind",
    }
    assert len(smtp.messages) + len(provider.received) == 5


def test_a_claim_takes_at_most_its_limit_and_each_row_once(app, factory, db):
    from p4p.db import get_session
    from p4p.modules.reminders.sending import claim_due

    _due_mix(factory, db, 20, WEEK4_EVE - timedelta(minutes=1), [factory.cohort()])
    with app.app_context():
        session = get_session()
        batches = [claim_due(session, WEEK4_EVE, f"sender-{n}", limit=7) for n in range(4)]
        session.commit()
    assert [len(batch) for batch in batches] == [7, 7, 6, 0]
    assert len({i for batch in batches for i in batch}) == 20
    due_order = [r.id for r in sorted(reminders(db), key=lambda r: (r.due_at, r.id))]
    assert sorted(batches[0]) == due_order[:7]  # the first due first


class PausedAfter:
    """A sender's clock (RunClock's way: its moment plus the time it has taken) on which the
    process is paused, as by SIGSTOP or a long garbage collection, between two of its messages:
    once `result` counts `messages` sent, `meanwhile` runs (another sender) and the clock then
    reads `pause` later. Nothing is in flight during the pause."""

    def __init__(self, start, result, messages: int, pause: timedelta, meanwhile):
        from p4p.modules.reminders.sending import RunClock

        self.clock, self.result, self.messages = RunClock(start), result, messages
        self.pause, self.meanwhile, self.paused = pause, meanwhile, False
        self.start = start

    def __call__(self):
        if not self.paused and self.result.sent == self.messages:
            self.paused = True
            self.meanwhile()
        return self.clock() + (self.pause if self.paused else timedelta(0))


def test_rows_another_sender_took_back_mid_batch_go_once(app, factory, db):
    from p4p.db import get_session
    from p4p.modules.reminders.sending import SendResult, claim_due, deliver
    from p4p.modules.reminders.tasks import senders

    _due_mix(factory, db, 8, WEEK4_EVE - timedelta(minutes=1), [factory.cohort()])
    taken_back = []
    with SmtpServer() as smtp, SmsProvider() as provider:
        use_smtp(app, smtp)
        provider.configure(app)

        def another_sender():  # eleven minutes on: the paused sender's leases are stale
            taken_back.append(send_at(app, WEEK4_EVE + timedelta(minutes=11), worker="other"))

        slow = SendResult()
        clock = PausedAfter(WEEK4_EVE, slow, 3, timedelta(minutes=11), another_sender)
        with app.app_context():
            session = get_session()
            claimed = claim_due(session, WEEK4_EVE, "paused", limit=8, leased_at=WEEK4_EVE)
            session.commit()
            deliver(session, claimed, "paused", clock, senders(), app.extensions["p4p.program"],
                    app.config, slow, leased_at=WEEK4_EVE)  # fmt: skip
    (other,) = taken_back
    assert (slow.sent, slow.lost) == (3, 5), slow.lines
    assert (other.reclaimed, other.sent) == (5, 5), other.lines
    delivered = [m["To"] for m in smtp.messages] + [t["To"] for t in provider.received]
    rows = reminders(db)
    assert sorted(delivered) == sorted(
        r.user.email if r.channel == "email" else r.user.phone for r in rows
    )  # each once
    assert {r.status for r in rows} == {"sent"}
    by = {r.claimed_by.split("#")[0] for r in rows}
    assert by == {"paused", "other"}
