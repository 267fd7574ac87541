"""A participant's place in their program: which weeks are open, done, and what is next."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from p4p.local_time import local_datetime, local_today
from p4p.modules.curriculum.models import Program, SessionRhythm
from p4p.modules.participants.models import Participant, WeekProgress
from p4p.modules.participants.program_start import program_start_of
from p4p.modules.sites.models import Cohort, Meeting
from p4p.modules.sites.service import next_meeting


class WeekState(NamedTuple):  # a tuple, not a frozen dataclass: built 9 times a page
    number: int
    meeting: Meeting | None
    opens_on: date | None  # the local date of the week's meeting
    ends_on: date | None  # the day before the next week opens
    is_open: bool
    is_done: bool


# Built once: every participant page runs these, and building a statement costs more than
# running it on SQLite (the benchmark's home page throughput depends on it).
_PARTICIPANT_OF_USER = (
    select(Participant)
    .where(Participant.user_id == bindparam("user_id"))
    .options(joinedload(Participant.cohort).joinedload(Cohort.site))
)
_MEETINGS_OF_COHORT = (
    select(Meeting).where(Meeting.cohort_id == bindparam("cohort_id")).order_by(Meeting.week)
)
_DONE_WEEKS = select(WeekProgress.week).where(
    WeekProgress.participant_id == bindparam("participant_id")
)


def participant_for_user(db: Session, user_id: int) -> Participant | None:
    """The participant with cohort, site and meetings loaded: two queries, whatever the study size."""
    participant = db.scalar(_PARTICIPANT_OF_USER, {"user_id": user_id})
    if participant is not None and "meetings" not in participant.cohort.__dict__:
        # Loaded by hand rather than with selectinload: the same query, half the overhead.
        meetings = db.scalars(_MEETINGS_OF_COHORT, {"cohort_id": participant.cohort_id}).all()
        set_committed_value(participant.cohort, "meetings", list(meetings))
    return participant


def done_weeks(db: Session, participant_id: int) -> set[int]:
    return set(db.scalars(_DONE_WEEKS, {"participant_id": participant_id}))


def week_states(
    participant: Participant, program: Program, done: set[int], now: datetime
) -> list[WeekState]:
    """Each week of the participant's arm; a week opens on its meeting's local date."""
    site = participant.cohort.site
    return states_of_weeks(
        program.arm(participant.arm).weeks,
        participant.cohort.meetings,
        site.timezone,
        done,
        local_today(now, site.timezone),
        program.arm(participant.arm).rhythm,
    )


def states_of_weeks(
    weeks: tuple[int, ...],
    meetings,
    timezone: str,
    done: set[int],
    today: date,
    rhythm: SessionRhythm,
) -> list[WeekState]:
    """The states of `weeks` from their meetings (anything with .week and .starts_at)."""
    by_week = {meeting.week: meeting for meeting in meetings}
    windows = week_windows(by_week.values(), timezone, weeks, rhythm)
    states = []
    for week in weeks:
        opens_on, ends_on = windows[week]
        states.append(
            WeekState(
                number=week,
                meeting=by_week.get(week),
                opens_on=opens_on,
                ends_on=ends_on,
                is_open=opens_on is not None and opens_on <= today,
                is_done=week in done,
            )
        )
    return states


def week_windows(
    meetings, timezone: str, weeks: tuple[int, ...], rhythm: SessionRhythm
) -> dict[int, tuple[date | None, date | None]]:
    """(opens_on, ends_on) of each week from its meeting (anything with .week and .starts_at):
    a week opens on its meeting's local date and ends the day before the next week opens; the
    last ends the day before the arm's rhythm would have brought the next session."""
    opens = {m.week: local_datetime(m.starts_at, timezone).date() for m in meetings}
    windows = {}
    for index, week in enumerate(weeks):
        opens_on = opens.get(week)
        next_opens = opens.get(weeks[index + 1]) if index + 1 < len(weeks) else None
        if next_opens is not None:
            ends_on = next_opens - timedelta(days=1)
        elif opens_on is not None:
            ends_on = opens_on + timedelta(days=rhythm.days_after_last(opens_on) - 1)
        else:
            ends_on = None
        windows[week] = (opens_on, ends_on)
    return windows


def current_week(states: list[WeekState]) -> WeekState | None:
    """The latest open week; None before the program starts."""
    open_states = [state for state in states if state.is_open]
    return open_states[-1] if open_states else None


def week_of_date(states: list[WeekState], day: date) -> int | None:
    """Which program week a date falls in (None before week 1 or after the last week ends)."""
    for state in states:
        if state.opens_on and state.ends_on and state.opens_on <= day <= state.ends_on:
            return state.number
    return None


def set_week_done(
    db: Session, participant: Participant, week: int, done: bool, now: datetime
) -> None:
    existing = db.scalar(
        select(WeekProgress).where(
            WeekProgress.participant_id == participant.id, WeekProgress.week == week
        )
    )
    if done and existing is None:
        db.add(WeekProgress(participant_id=participant.id, week=week, completed_at=now))
    elif not done and existing is not None:
        db.delete(existing)
    db.flush()


def participant_or_404(db: Session, user_id: int) -> Participant:
    """The logged-in participant's own record; a participant account without one sees 404."""
    from werkzeug.exceptions import NotFound

    participant = participant_for_user(db, user_id)
    if participant is None:
        raise NotFound()
    return participant


@dataclass(frozen=True)
class ParticipantContext:
    """What every participant page needs: who, which arm, and where they are in it."""

    participant: Participant
    states: list[WeekState]
    current: WeekState | None
    today: date

    @property
    def open_weeks(self) -> list[int]:
        return [s.number for s in self.states if s.is_open]

    def state(self, week: int) -> WeekState | None:
        return next((s for s in self.states if s.number == week), None)


def participant_context(
    db: Session, user_id: int, program: Program, now: datetime
) -> ParticipantContext:
    participant = participant_or_404(db, user_id)
    states = week_states(participant, program, done_weeks(db, participant.id), now)
    today = local_today(now, participant.cohort.site.timezone)
    return ParticipantContext(participant, states, current_week(states), today)


class HomeMeeting(NamedTuple):
    id: int
    week: int
    starts_at: datetime
    duration_minutes: int
    status: str
    mode: str
    location: str | None


class HomePlan(NamedTuple):
    what: str
    how_much: str
    when: str
    how_often: str
    confidence: int


@dataclass(frozen=True)
class HomePage:
    """What the participant's home page shows, built from `queries.home_rows` alone."""

    participant_id: int
    arm: str
    is_withdrawn: bool
    site_name: str
    timezone: str
    cohort_location: str | None
    video_link: str | None
    enrolled_at: datetime
    program_start: date  # the person's own start (participants.program_start)
    states: list[WeekState]
    current: WeekState | None
    today: date
    next_meeting: HomeMeeting | None
    plan: HomePlan | None
    check_in_done: bool  # this week's check-in (its PEG) is sent

    @property
    def done_count(self) -> int:
        return sum(1 for state in self.states if state.is_done)


def home_page(rows, program: Program, now: datetime) -> HomePage | None:
    """The home page from `queries.home_rows` (None for no rows: no such participant).
    Unpacked by position, in the query's column order: this runs on every home page."""
    if not rows:
        return None
    arm, is_withdrawn, cohort_location, video_link, site_name, timezone, enrolled_at, *_ = rows[0]
    participant_id = rows[0][-1]
    meetings, done, plans, checked = [], set(), {}, set()
    for (*_, meeting_id, week, starts_at, duration, status, mode, location, done_id,
         what, how_much, when, how_often, confidence, check_id, _participant) in rows:  # fmt: skip
        if meeting_id is None:
            continue  # a cohort without meetings: one row, of the participant alone
        meetings.append(HomeMeeting(meeting_id, week, starts_at, duration, status, mode, location))
        if done_id is not None:
            done.add(week)
        if what is not None:
            plans[week] = HomePlan(what, how_much, when, how_often, confidence)
        if check_id is not None:
            checked.add(week)
    today = local_today(now, timezone)
    weeks = program.arm(arm).weeks
    states = states_of_weeks(weeks, meetings, timezone, done, today, program.arm(arm).rhythm)
    current = current_week(states)
    upcoming = next_meeting(meetings, now)
    return HomePage(
        participant_id=participant_id,
        arm=arm,
        is_withdrawn=bool(is_withdrawn),
        site_name=site_name,
        timezone=timezone,
        cohort_location=cohort_location,
        video_link=video_link,
        enrolled_at=enrolled_at,
        program_start=program_start_of(meetings, enrolled_at, timezone),
        states=states,
        current=current,
        today=today,
        next_meeting=upcoming,
        plan=plans.get(current.number) if current else None,
        check_in_done=current is not None and current.number in checked,
    )
