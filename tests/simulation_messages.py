"""The messages rule of the simulated trial: each message delivered, read once, judged against
the state it was sent in (language, consent, purpose, one per purpose and moment)."""

from datetime import date, timedelta

from simulation import Delivered, Person, digits
from simulation_checks import local_date as _local_date
from sqlalchemy import select

from p4p.modules.curriculum.service import PACKAGED_CONTENT, load_program
from p4p.modules.instruments.answer_models import InstrumentResponse
from p4p.modules.participants.models import Participant
from p4p.modules.practice.models import PracticeLog
from p4p.modules.reminders.models import Reminder, ReminderStatus
from p4p.modules.reminders.rules import add_months
from p4p.modules.sites.models import Meeting, MeetingStatus

# Words only the English or only the Spanish reminder templates use (footer, greeting, SMS tail).
# An invite's text has no footer: its own words mark its language.
MARKERS = {
    "en": ("To stop this kind of reminder:", "Reply STOP to stop texts.", "Hello ", "Works once"),
    "es": ("Para dejar de recibir este tipo de recordatorio:", "Responde STOP", "Hola, ",
           "Sirve una vez"),
}  # fmt: skip
ACCOUNT_LINKS = ("invite-link", "reset-link")
MEETING_KINDS = ("meeting-eve", "meeting-soon", "week-open", "digest")
# Notices of a change, sent at once by the change itself (p4p.modules.reminders.changes).
CHANGE_NOTICES = ("meeting-moved", "meeting-cancelled", "meeting-mode")
# The windows of the shipped PEG (weekly and months), the same in both arms.
PEG_SCHEDULE_WINDOWS = {
    asked.kind: asked.window_days
    for asked in load_program(str(PACKAGED_CONTENT)).instruments["peg"].schedule["partners4pain"]
}


class Deliveries:
    """Reads each delivered message once and judges it against the state it was sent in."""

    def __init__(self):
        self.read = 0
        self.moments: set[tuple] = set()  # (user, kind, purpose, channel, run) already delivered

    def problems(self, db, wire, people: list[Person], staff_emails: dict, config) -> list[str]:
        new, self.read = wire.delivered[self.read :], len(wire.delivered)
        by_provider = {
            r.provider_id: r
            for r in db.scalars(select(Reminder).where(Reminder.status == ReminderStatus.SENT))
        }
        problems = []
        for message in new:
            problems += self._judge(db, message, by_provider, people, staff_emails, config)
        return problems

    def _judge(self, db, message: Delivered, by_provider, people, staff_emails, config):
        where = f"{message.channel} to {message.to} at {message.at:%Y-%m-%d %H:%M}Z"
        person = _recipient(message, people)
        language = person.language_at(message.at) if person else staff_emails.get(message.to)
        if language is None:
            return [f"{where}: to nobody in the study"]
        problems = [f"{where}: not in {language}: {message.text[:120]!r}"] * (
            not _in_language(message, language)
        )
        reminder = by_provider.get(message.provider_id)
        if reminder is None:
            return [*problems, f"{where}: no sent reminder accounts for it (a second copy?)"]
        what = f"{where} ({reminder.key})"
        if person is not None:
            problems += _reachability(person, message, what)
        problems += _purpose_passed(db, reminder, message, what, config)
        purpose = _purpose(reminder)
        moment = (reminder.user_id, reminder.kind, purpose, message.channel, message.run)
        if moment in self.moments:
            problems.append(f"{what}: a second message for {purpose} at the same moment")
        self.moments.add(moment)
        return problems


def _recipient(message: Delivered, people: list[Person]) -> Person | None:
    for person in people:
        if message.channel == "email" and person.email and person.email == message.to.lower():
            return person
        if message.channel == "sms" and person.phone and digits(person.phone) == digits(message.to):
            return person
    return None


def _in_language(message: Delivered, language: str) -> bool:
    others = [w for code, words in MARKERS.items() if code != language for w in words]
    text = f"{message.subject}\n{message.text}"
    return any(w in text for w in MARKERS[language]) and not any(w in text for w in others)


def _reachability(person: Person, message: Delivered, what: str) -> list[str]:
    if person.withdrawn:
        return [f"{what}: {person.study_id} has withdrawn"]
    if not (person.email_on if message.channel == "email" else person.sms_on):
        return [f"{what}: {person.study_id} switched {message.channel} off (or texted STOP)"]
    return []


def _purpose(reminder: Reminder) -> str:
    payload = reminder.payload
    if reminder.kind in ACCOUNT_LINKS:
        return f"{reminder.kind} {reminder.key}"
    if reminder.kind in MEETING_KINDS + CHANGE_NOTICES:
        return f"meeting {payload['meeting_id']}"
    if reminder.kind == "survey":
        return f"{payload['months']}-month survey"
    if reminder.kind == "questionnaire":
        return f"questionnaire {payload['instrument']} {payload['occasion']}"
    return f"practice of week {payload.get('week')} since {payload.get('since')}"


def _purpose_passed(db, reminder: Reminder, message: Delivered, what: str, config) -> list[str]:
    """Why the message came after its purpose had passed, if it did."""
    at, payload = message.at, reminder.payload
    if reminder.kind in ACCOUNT_LINKS:
        return []  # asked for by a person or their coordinator, sent at once: never stale
    if reminder.kind in CHANGE_NOTICES:
        return _change_notice_stale(db.get(Meeting, payload["meeting_id"]), reminder, at, what)
    if reminder.kind in MEETING_KINDS:
        meeting = db.get(Meeting, payload["meeting_id"])
        timezone = meeting.cohort.site.timezone
        if meeting.status == MeetingStatus.CANCELLED:
            return [f"{what}: the meeting is cancelled"]
        if not reminder.key.split(":")[1].endswith(f"@{int(meeting.starts_at.timestamp())}"):
            return [f"{what}: the meeting moved to {meeting.starts_at}"]
        late = {
            "meeting-eve": _local_date(at, timezone) >= _local_date(meeting.starts_at, timezone),
            "meeting-soon": at >= meeting.starts_at,
            "digest": at >= meeting.starts_at,
            "week-open": at >= meeting.starts_at + timedelta(minutes=meeting.duration_minutes),
        }[reminder.kind]
        return [f"{what}: too late for the meeting at {meeting.starts_at}"] if late else []
    participant = db.get(Participant, payload["participant_id"])
    if reminder.kind == "survey":
        return _survey_too_early_or_late(db, participant, payload["months"], at, what, config)
    if reminder.kind == "questionnaire":
        return _questionnaire_sent_or_closed(db, participant, payload, at, what, config)
    since, until = (date.fromisoformat(payload[k]) for k in ("since", "until"))
    practiced = db.scalar(
        select(PracticeLog.id).where(
            PracticeLog.participant_id == participant.id,
            PracticeLog.practiced_on >= since,
            PracticeLog.practiced_on < until,
        )
    )
    return [f"{what}: practice was logged between {since} and {until}"] if practiced else []


def _change_notice_stale(meeting: Meeting, reminder: Reminder, at, what: str) -> list[str]:
    """A change notice tells the meeting as it stands when it arrives, before it starts."""
    if at >= meeting.starts_at:
        return [f"{what}: the notice came after the meeting began at {meeting.starts_at}"]
    cancelled = meeting.status == MeetingStatus.CANCELLED
    if reminder.kind == "meeting-cancelled":
        return [] if cancelled else [f"{what}: the meeting is not cancelled"]
    if cancelled:
        return [f"{what}: the meeting is cancelled, yet the notice tells another change"]
    if not reminder.key.split(":")[1].endswith(f"@{int(meeting.starts_at.timestamp())}"):
        return [f"{what}: the meeting moved again, to {meeting.starts_at}"]
    if reminder.kind == "meeting-mode" and reminder.payload["mode"] != meeting.mode:
        return [f"{what}: tells {reminder.payload['mode']}, the meeting is {meeting.mode}"]
    return []


def _own_start(db, participant) -> date:
    """The person's own program start: the first meeting they could go to, else enrolment."""
    first = db.scalar(
        select(Meeting.starts_at)
        .where(
            Meeting.cohort_id == participant.cohort_id,
            Meeting.status != MeetingStatus.CANCELLED,
            Meeting.starts_at >= participant.enrolled_at,
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    )
    return _local_date(first or participant.enrolled_at, participant.cohort.site.timezone)


def _survey_too_early_or_late(db, participant, months, at, what, config) -> list[str]:
    """A survey counts from the person's own program start: the first meeting they could go to."""
    timezone = participant.cohort.site.timezone
    start = _own_start(db, participant)
    opens = add_months(start, months)
    closes = opens + timedelta(days=int(config["SURVEY_WINDOW_DAYS"]))
    day = _local_date(at, timezone)
    if not opens <= day <= closes:
        return [f"{what}: the {months}-month survey is open {opens}..{closes} (start {start})"]
    return []


def _questionnaire_sent_or_closed(db, participant, payload, at, what, config) -> list[str]:
    """A questionnaire's reminder comes while its occasion is open for the person (worked out
    here from the meetings, as the participant's list has it) and before they sent it."""
    instrument, occasion = payload["instrument"], payload["occasion"]
    sent = db.scalar(
        select(InstrumentResponse.submitted_at).where(
            InstrumentResponse.participant_id == participant.id,
            InstrumentResponse.instrument == instrument,
            InstrumentResponse.occasion == occasion,
            InstrumentResponse.submitted_at.is_not(None),
        )
    )
    if sent is not None and sent <= at:
        return [f"{what}: {instrument} {occasion} was sent at {sent}"]
    timezone = participant.cohort.site.timezone
    kind, _dash, number = occasion.partition("-")
    window = {"week": PEG_SCHEDULE_WINDOWS["weekly"], "month": PEG_SCHEDULE_WINDOWS["months"]}
    if kind == "week":
        meeting = db.scalar(
            select(Meeting).where(
                Meeting.cohort_id == participant.cohort_id, Meeting.week == int(number)
            )
        )
        opens = _local_date(meeting.starts_at, timezone) if meeting else None
    else:
        opens = add_months(_own_start(db, participant), int(number))
    if opens is None:
        return [f"{what}: {occasion} has no opening day"]
    last_day = opens + timedelta(days=window[kind] - 1)
    day = _local_date(at, timezone)
    if not opens <= day <= last_day:
        return [f"{what}: {instrument} {occasion} is open {opens}..{last_day}, not on {day}"]
    if at < participant.enrolled_at:
        return [f"{what}: before {participant.study_id} enrolled"]
    return []
