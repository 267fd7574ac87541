"""What facilitators see: their cohorts, meetings still to record, who needs a call.

Every function here runs a fixed number of queries, whatever the size of the site.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, exists, false, func, or_, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from p4p.access import visible_site_ids
from p4p.local_time import local_datetime, local_today
from p4p.modules.attendance.models import ATTENDED, Attendance, FollowUpCall, FollowUpDismissal
from p4p.modules.auth.models import User
from p4p.modules.completion.service import MISSED, completion
from p4p.modules.participants.models import Participant
from p4p.modules.practice.models import PracticeLog
from p4p.modules.sites.models import Cohort, Meeting, MeetingStatus, Site

NO_PRACTICE_DAYS = 14
MISSED_IN_A_ROW = 2
# The follow-up rules hold until this many days after a cohort's last meeting.
FOLLOW_UP_DAYS_AFTER = 7
# The follow-up list names the questionnaires whose window closed unanswered this recently.
MISSED_QUESTIONNAIRE_DAYS = 28


@dataclass(frozen=True)
class MeetingToRecord:
    meeting: Meeting
    cohort: Cohort
    marked: int
    expected: int


@dataclass(frozen=True)
class FollowUp:
    participant: Participant
    reasons: list[str]  # keys: missed, no-practice, not-activated
    last_call: FollowUpCall | None = None
    # Questionnaires closed unanswered lately (completion.service.OccasionStatus), oldest first:
    # something to ask about on the call, not a reason for one.
    missed_questionnaires: tuple = ()


# A screenful of each dashboard list: a coordinator of a national study sees every site, and
# the full lists are a page away (the cohort list, each cohort's page).
DASHBOARD_ROWS = 50


@dataclass(frozen=True)
class Dashboard:
    # (cohort, its next meeting or None when finished, active people): meeting soonest first
    cohorts: list[tuple[Cohort, Meeting | None, int]]
    cohorts_total: int
    to_record: list[MeetingToRecord]  # newest first
    to_record_total: int


def _over(now: datetime, durations: set[int]) -> ColumnElement[bool]:
    """Meeting ended by `now`, in SQL on any database: starts_at + its own length <= now, as one
    comparison per length the study uses (a handful), so it stays an index range."""
    return or_(
        false(),
        *(
            and_(
                Meeting.duration_minutes == minutes,
                Meeting.starts_at <= now - timedelta(minutes=minutes),
            )
            for minutes in sorted(durations)
        ),
    )


def dashboard(db: Session, user: User, now: datetime) -> Dashboard:
    """The cohorts the user may see by their next meeting, and the past meetings whose sheet
    or record is unfinished, newest first: DASHBOARD_ROWS of each and their totals, from
    aggregates (a fixed number of queries, nothing loaded for the rest of the study).

    A meeting expects a mark from each active person enrolled when it started (people who
    enrolled later are "not yet enrolled" for it)."""
    site_ids = visible_site_ids(db, user)
    in_scope = [] if site_ids is None else [Cohort.site_id.in_(site_ids)]
    durations = set(db.scalars(select(Meeting.duration_minutes).distinct()))
    over = _over(now, durations)
    next_start = (
        select(Meeting.cohort_id, func.min(Meeting.starts_at).label("starts_at"))
        .where(Meeting.status != MeetingStatus.CANCELLED, ~over)
        .group_by(Meeting.cohort_id)
        .subquery()
    )
    cohorts_total = db.scalar(select(func.count(Cohort.id)).where(*in_scope)) or 0
    listed = db.execute(
        select(Cohort, next_start.c.starts_at)
        .outerjoin(next_start, next_start.c.cohort_id == Cohort.id)
        .where(*in_scope)
        .options(joinedload(Cohort.site))
        # Meeting soonest first; finished cohorts (no next meeting) after, newest first.
        .order_by(
            next_start.c.starts_at.is_(None),
            next_start.c.starts_at,
            Cohort.start_date.desc(),
            Cohort.id,
        )
        .limit(DASHBOARD_ROWS)
    ).all()
    cohort_ids = [cohort.id for cohort, _starts in listed]
    next_meetings = {
        meeting.cohort_id: meeting
        for meeting in db.scalars(
            select(Meeting)
            .join(next_start, and_(next_start.c.cohort_id == Meeting.cohort_id,
                                   next_start.c.starts_at == Meeting.starts_at))
            .where(Meeting.cohort_id.in_(cohort_ids), Meeting.status != MeetingStatus.CANCELLED)
        )
    }  # fmt: skip
    active = dict(
        db.execute(
            select(Participant.cohort_id, func.count(Participant.id))
            .where(Participant.cohort_id.in_(cohort_ids), Participant.withdrawn_at.is_(None))
            .group_by(Participant.cohort_id)
        ).all()
    )
    counted = and_(Participant.withdrawn_at.is_(None), Participant.enrolled_at <= Meeting.starts_at)
    marked = (
        select(func.count(Attendance.id))
        .join(Participant, Participant.id == Attendance.participant_id)
        .where(Attendance.meeting_id == Meeting.id, counted)
        .scalar_subquery()
    )
    expected = (
        select(func.count(Participant.id))
        .where(Participant.cohort_id == Meeting.cohort_id, counted)
        .scalar_subquery()
    )
    # One pass: the total rides along on each listed row (a window count), since the filter
    # has to look at every past meeting in scope either way.
    rows = db.execute(
        select(Meeting, marked.label("marked"), expected.label("expected"), func.count().over())
        .join(Cohort, Cohort.id == Meeting.cohort_id)
        .where(*in_scope, Meeting.status != MeetingStatus.CANCELLED, over)
        .where(or_(Meeting.status != MeetingStatus.HELD, marked < expected))
        .options(joinedload(Meeting.cohort).joinedload(Cohort.site))
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        .limit(DASHBOARD_ROWS)
    ).all()
    return Dashboard(
        cohorts=[
            (cohort, next_meetings.get(cohort.id), active.get(cohort.id, 0))
            for cohort, _starts in listed
        ],
        cohorts_total=cohorts_total,
        to_record=[
            MeetingToRecord(meeting, meeting.cohort, count, due) for meeting, count, due, _n in rows
        ],
        to_record_total=rows[0][3] if rows else 0,
    )


def follow_up_list(db: Session, user: User, now: datetime, program=None) -> list[FollowUp]:
    """Active participants who missed 2 meetings in a row, logged no practice for 14 days,
    or never set their password, in the user's sites, less those dismissed with nothing new
    since (see `new_since_dismissal`), each with their latest call; eleven queries for any
    number of people. Given the program, each also names the questionnaires they missed in the
    last MISSED_QUESTIONNAIRE_DAYS days, in three queries more (their cohorts' meetings, their
    starts, what they sent)."""
    site_ids = visible_site_ids(db, user)
    scope = [] if site_ids is None else [Cohort.site_id.in_(site_ids)]
    flagged = follow_up_reasons(db, now, scope)
    ids = list(flagged)
    dismissed = {
        d.participant_id: d
        for d in db.scalars(
            select(FollowUpDismissal).where(FollowUpDismissal.participant_id.in_(ids))
        )
    }
    latest_miss, latest_log = _latest_miss_and_log(db, list(dismissed), now)
    shown = [
        pid
        for pid in ids
        if pid not in dismissed
        or new_since_dismissal(
            flagged[pid].reasons, dismissed[pid], latest_miss.get(pid), latest_log.get(pid)
        )
    ]
    participants = db.scalars(
        select(Participant)
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .where(Participant.id.in_(shown))
        .options(
            joinedload(Participant.user),
            joinedload(Participant.cohort).joinedload(Cohort.site),
        )
        .order_by(Cohort.name, Participant.study_id)
    ).all()
    calls = latest_calls(db, shown)
    missed = _missed_questionnaires(db, participants, program, now) if program else {}
    return [
        FollowUp(p, flagged[p.id].reasons, calls.get(p.id), missed.get(p.id, ()))
        for p in participants
    ]


def _missed_questionnaires(db: Session, participants, program, now: datetime) -> dict:
    """Participant id -> the questionnaires whose window closed unanswered in the last
    MISSED_QUESTIONNAIRE_DAYS days (only the people who have any)."""
    if not participants or not any(i.schedule for i in program.instruments.values()):
        return {}
    cohorts = {p.cohort for p in participants}
    meetings = db.scalars(
        select(Meeting).where(Meeting.cohort_id.in_([c.id for c in cohorts])).order_by(Meeting.week)
    ).all()
    by_cohort: dict[int, list[Meeting]] = defaultdict(list)
    for meeting in meetings:
        by_cohort[meeting.cohort_id].append(meeting)
    for cohort in cohorts:  # loaded here in one query, not lazily once per cohort
        set_committed_value(cohort, "meetings", by_cohort[cohort.id])
    found = completion(db, participants, program, now)
    missed = {}
    for participant in participants:
        today = local_today(now, participant.cohort.site.timezone)
        since = today - timedelta(days=MISSED_QUESTIONNAIRE_DAYS)
        rows = tuple(
            row
            for row in found.by_participant.get(participant.id, ())
            if row.status == MISSED and row.last_day >= since
        )
        if rows:
            missed[participant.id] = rows
    return missed


def new_since_dismissal(
    reasons: list[str],
    dismissal: FollowUpDismissal,
    latest_miss: datetime | None,
    latest_log: datetime | None,
) -> bool:
    """Whether a dismissed person is back on the list: one of today's reasons is new.

    A reason is new when it was not among the reasons at the dismissal; "missed" is also new
    when the latest missed meeting started after the dismissal (a further miss, not the same
    streak); "no-practice" is also new when practice was logged after the dismissal (so this
    quiet spell began after it). "not-activated" can only be new by the first rule."""
    before = set(dismissal.reasons.split(","))
    for reason in reasons:
        if reason not in before:
            return True
        if reason == "missed" and latest_miss is not None and latest_miss > dismissal.dismissed_at:
            return True
        if (
            reason == "no-practice"
            and latest_log is not None
            and latest_log > dismissal.dismissed_at
        ):
            return True
    return False


def _latest_miss_and_log(
    db: Session, participant_ids: list[int], now: datetime
) -> tuple[dict[int, datetime], dict[int, datetime]]:
    """Per person: the start of their latest missed meeting (started, not cancelled, not made
    up) and when they last logged practice; two queries."""
    missed = dict(
        db.execute(
            select(Attendance.participant_id, func.max(Meeting.starts_at))
            .join(Meeting, Meeting.id == Attendance.meeting_id)
            .where(
                Attendance.participant_id.in_(participant_ids),
                Attendance.status.not_in(sorted(ATTENDED)),
                Attendance.made_up_on.is_(None),
                Meeting.status != "cancelled",
                Meeting.starts_at <= now,
            )
            .group_by(Attendance.participant_id)
        ).all()
    )
    logged = dict(
        db.execute(
            select(PracticeLog.participant_id, func.max(PracticeLog.created_at))
            .where(PracticeLog.participant_id.in_(participant_ids))
            .group_by(PracticeLog.participant_id)
        ).all()
    )
    return missed, logged


def latest_calls(db: Session, participant_ids: list[int]) -> dict[int, FollowUpCall]:
    """Each person's most recent call record, in one query."""
    ranked = (
        select(
            FollowUpCall.id,
            func.row_number()
            .over(
                partition_by=FollowUpCall.participant_id,
                order_by=(FollowUpCall.called_at.desc(), FollowUpCall.id.desc()),
            )
            .label("latest"),
        )
        .where(FollowUpCall.participant_id.in_(participant_ids))
        .subquery()
    )
    calls = db.scalars(
        select(FollowUpCall)
        .join(ranked, ranked.c.id == FollowUpCall.id)
        .where(ranked.c.latest == 1)
        .options(joinedload(FollowUpCall.recorded_by))
    )
    return {call.participant_id: call for call in calls}


def call_history(db: Session, participant_id: int) -> list[FollowUpCall]:
    return list(
        db.scalars(
            select(FollowUpCall)
            .where(FollowUpCall.participant_id == participant_id)
            .options(joinedload(FollowUpCall.recorded_by))
            .order_by(FollowUpCall.called_at.desc(), FollowUpCall.id.desc())
        )
    )


@dataclass(frozen=True)
class Flagged:
    arm: str
    reasons: list[str]  # in the order of REASONS


REASONS = ("missed", "no-practice", "not-activated")


def follow_up_reasons(db: Session, now: datetime, cohort_scope: list) -> dict[int, Flagged]:
    """Why each active participant of the cohorts matching `cohort_scope` (conditions on Cohort)
    needs a call, keyed by participant id; five queries that return only the people flagged,
    so the staff dashboard and the study-wide reports cost the same at any study size."""
    durations = set(
        db.scalars(
            select(Meeting.duration_minutes)
            .distinct()
            .join(Cohort, Cohort.id == Meeting.cohort_id)
            .where(*cohort_scope)
        )
    )
    spans = db.execute(
        select(
            Meeting.cohort_id,
            Site.timezone,
            func.min(Meeting.starts_at),
            func.max(Meeting.starts_at),
        )
        .join(Cohort, Cohort.id == Meeting.cohort_id)
        .join(Site, Site.id == Cohort.site_id)
        .where(*cohort_scope)
        .group_by(Meeting.cohort_id, Site.timezone)
    ).all()
    active = [*cohort_scope, Participant.withdrawn_at.is_(None)]
    running = _running(spans, now)
    found: dict[str, dict[int, str]] = {
        # Only while the program runs: once it is over there is no next session to come back
        # to (and the ranking then reads far fewer marks than the study's whole history). The
        # marks are those of running cohorts' meetings: someone moved from a finished group
        # starts afresh in the new one.
        "missed": _missed_in_a_row(db, now, [*active, Meeting.cohort_id.in_(running)], durations)
        if running
        else {},
        "no-practice": _no_recent_practice(db, now, active, spans),
        "not-activated": dict(
            db.execute(
                select(Participant.id, Participant.arm)
                .join(Cohort, Cohort.id == Participant.cohort_id)
                .join(User, User.id == Participant.user_id)
                .where(*active, User.activated_at.is_(None))
            ).all()
        ),
    }
    flagged: dict[int, Flagged] = {}
    for reason in REASONS:
        for participant_id, arm in found[reason].items():
            flagged.setdefault(participant_id, Flagged(arm, [])).reasons.append(reason)
    return flagged


def _running(spans, now: datetime) -> list[int]:
    """The cohorts from their first meeting to a week after their last, by the site's dates.

    `spans` holds each cohort's (id, timezone, first and last meeting start)."""
    running = []
    for cohort_id, timezone, first_start, last_start in spans:
        today = local_today(now, timezone)
        last = local_datetime(last_start, timezone).date()
        if first_start <= now and today <= last + timedelta(days=FOLLOW_UP_DAYS_AFTER):
            running.append(cohort_id)
    return running


def _missed_in_a_row(db: Session, now: datetime, active: list, durations: set[int]) -> dict:
    """Whose latest marks were misses (absent or excused, not made up), N times running.

    Unmarked is not absent, so the streak runs over marked meetings (held, not cancelled, and
    over) only: it reaches N when the person's N most recent marks are all misses. A window
    function ranks the marks in one pass; a correlated "last attended" lookup was faster on
    SQLite but fell apart on PostgreSQL before the tables had statistics.
    """
    missed = and_(Attendance.status.not_in(sorted(ATTENDED)), Attendance.made_up_on.is_(None))
    # Over when starts_at + duration has passed; grouping by duration keeps this in portable
    # SQL (no interval arithmetic), and a study has few durations.
    over = or_(
        false(),
        *(
            and_(Meeting.duration_minutes == m, Meeting.starts_at <= now - timedelta(minutes=m))
            for m in durations
        ),
    )
    recent = (
        select(
            Attendance.participant_id,
            Participant.arm,
            case((missed, 1), else_=0).label("missed"),
            func.row_number()
            .over(partition_by=Attendance.participant_id, order_by=Meeting.starts_at.desc())
            .label("latest"),
        )
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Participant, Participant.id == Attendance.participant_id)
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .where(*active, Meeting.status != "cancelled", over)
        .where(Meeting.starts_at >= Participant.enrolled_at)  # not yet enrolled: no mark counts
        .subquery()
    )
    return dict(
        db.execute(
            select(recent.c.participant_id, recent.c.arm)
            .where(recent.c.latest <= MISSED_IN_A_ROW)
            .group_by(recent.c.participant_id, recent.c.arm)
            .having(func.sum(recent.c.missed) == MISSED_IN_A_ROW)
        ).all()
    )


def _no_recent_practice(db: Session, now: datetime, active: list, spans) -> dict:
    """During the program (from 14 days after the first meeting to 7 days after the last),
    nothing logged in the last 14 days; counted from the first meeting if never. Someone who
    enrolled late gets the same 14 days from their enrolment before this rule applies.

    `spans` holds each cohort's (id, timezone, first and last meeting start)."""
    cutoffs: dict[date, list[int]] = defaultdict(list)  # last quiet day -> cohorts in program
    for cohort_id, timezone, first_start, last_start in spans:
        first = local_datetime(first_start, timezone).date()
        last = local_datetime(last_start, timezone).date()
        today = local_today(now, timezone)
        if (
            first + timedelta(days=NO_PRACTICE_DAYS)
            <= today
            <= last + timedelta(days=FOLLOW_UP_DAYS_AFTER)
        ):
            cutoffs[today - timedelta(days=NO_PRACTICE_DAYS)].append(cohort_id)
    practiced_since = {
        cutoff: exists().where(
            PracticeLog.participant_id == Participant.id, PracticeLog.practiced_on > cutoff
        )
        for cutoff in cutoffs
    }
    in_program_and_quiet = or_(
        false(),
        *(
            and_(Participant.cohort_id.in_(ids), ~practiced_since[cutoff])
            for cutoff, ids in cutoffs.items()
        ),
    )
    return dict(
        db.execute(
            select(Participant.id, Participant.arm)
            .join(Cohort, Cohort.id == Participant.cohort_id)
            .where(*active, in_program_and_quiet)
            .where(Participant.enrolled_at <= now - timedelta(days=NO_PRACTICE_DAYS))
        ).all()
    )


@dataclass(frozen=True)
class ParticipantDetail:
    states: list
    attendance: dict
    attended: int
    made_up: int
    practice: dict
    plans: dict
    checks: dict  # week -> the sent check-in's score
    check_ins: dict  # week -> its check-in occasion so far (instruments.queries.PastOccasion)


def participant_detail(
    db: Session, participant: Participant, program, now: datetime
) -> ParticipantDetail:
    """Everything a facilitator reviews before a call, in a fixed number of queries."""
    from p4p.modules.instruments import queries as instrument_queries
    from p4p.modules.instruments import service as instruments
    from p4p.modules.participants import queries as participant_queries
    from p4p.modules.participants.service import done_weeks, week_states
    from p4p.modules.practice import service as practice

    states = week_states(participant, program, done_weeks(db, participant.id), now)
    attendance = participant_queries.attendance_by_week(db, participant.id, now)
    attended, made_up = participant_queries.meetings_attended(attendance)
    responses = instruments.responses_by_occasion(db, participant.id)
    today = local_today(now, participant.cohort.site.timezone)
    history = instrument_queries.occasion_history(participant, program, states, today, responses)
    return ParticipantDetail(
        states=states,
        attendance=attendance,
        attended=attended,
        made_up=made_up,
        practice=participant_queries.practice_by_week(db, participant.id, states),
        plans=practice.plans_by_week(db, participant.id),
        checks=instrument_queries.check_in_scores(responses),
        check_ins={
            int(past.occasion.occasion.removeprefix(instruments.WEEK_OCCASION)): past
            for past in history
            if past.instrument.key == instruments.CHECK_IN
            and past.occasion.occasion.startswith(instruments.WEEK_OCCASION)
        },
    )
