"""Loading what the rules need, in a fixed number of queries for the whole study."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session, joinedload

from p4p.modules.audit.models import AuditEvent
from p4p.modules.auth.models import User
from p4p.modules.instruments.answer_models import InstrumentResponse
from p4p.modules.participants.models import Participant
from p4p.modules.participants.program_start import program_starts
from p4p.modules.practice.models import PracticeLog
from p4p.modules.reminders.models import Reminder, ReminderPreference, SurveyCompletion
from p4p.modules.reminders.rules import Recipient
from p4p.modules.sites.models import Cohort, FacilitatorSite, Meeting


class MeetingTime(NamedTuple):
    """A meeting as a week's opening day needs it (participants.service.week_windows)."""

    week: int
    starts_at: datetime


@dataclass
class PlanningData:
    meetings: list[Meeting]
    recipients: dict[int, Recipient]  # by participant id
    participants_by_cohort: dict[int, list[Participant]]
    practiced: dict[int, set[date]]
    done_surveys: dict[int, set[int]]
    facilitators_by_site: dict[int, list[int]]
    survey_starts: dict[int, date]  # by participant id: their own start, if surveys may be due
    moved_at: dict[int, datetime]  # by meeting id: when it last moved
    # Questionnaires (only when the program schedules any): each person's own start, their
    # cohort's meetings, what they sent lately as (participant, instrument,
    # occasion), and the local days an occasion must overlap to be planned now.
    program_starts: dict[int, date] = field(default_factory=dict)
    cohort_meetings: dict[int, list[MeetingTime]] = field(default_factory=dict)
    submitted: set[tuple[int, str, str]] = field(default_factory=set)
    occasion_days: tuple[date, date] | None = None


def recipient_for(
    participant: Participant,
    preference: ReminderPreference | None,
    default_quiet: tuple[time | None, time | None] = (None, None),
) -> Recipient:
    user = participant.user
    email_on = preference.email_on if preference else True
    sms_on = preference.sms_on if preference else True
    channels = tuple(
        channel
        for channel, wanted in (("email", email_on and user.email), ("sms", sms_on and user.phone))
        if wanted
    )
    return Recipient(
        user_id=user.id,
        participant_id=participant.id,
        channels=channels,
        timezone=participant.cohort.site.timezone,
        kinds_off=frozenset(preference.kinds_off or []) if preference else frozenset(),
        quiet_start=preference.quiet_start if preference else default_quiet[0],
        quiet_end=preference.quiet_end if preference else default_quiet[1],
    )


def planning_data(
    db: Session,
    now: datetime,
    horizon: timedelta,
    survey_reach_days: int,
    cohort_ids: list[int],
    default_quiet: tuple[time | None, time | None] = (None, None),
    questionnaire_days: int = 0,
) -> PlanningData:
    """Of these cohorts (a bounded piece of the study), the meetings near `now` and the active
    participants of those with a meeting near, or due a survey.

    Every lookup that depends on who is planned for names them by a subquery, never by a list of
    their ids: a list puts one bind parameter per person in the statement, and PostgreSQL refuses
    more than 65,535 of them (SQLite's default build 32,766).

    `questionnaire_days`, the longest window of any questionnaire the program schedules (0 for
    none), adds two queries: the cohorts' meetings (weekly occasions open on them) and the
    questionnaires sent in that many days (none sent earlier can be for an occasion open now)."""
    near = (
        Meeting.cohort_id.in_(cohort_ids),
        Meeting.status != "cancelled",
        Meeting.starts_at.between(now - timedelta(days=10), now + horizon + timedelta(days=2)),
    )
    meetings = list(
        db.scalars(
            select(Meeting)
            .join(Cohort, Cohort.id == Meeting.cohort_id)
            .where(*near)
            .options(
                joinedload(Meeting.cohort).joinedload(Cohort.site),
                joinedload(Meeting.cohort).selectinload(Cohort.meetings),
            )
        ).unique()
    )
    # Surveys count from each person's own start, which is a meeting of their cohort or their
    # enrolment day: either lies within the survey reach for anyone who may be due one.
    reach_from = now - timedelta(days=survey_reach_days + 1)
    cohorts_meeting_lately = select(Meeting.cohort_id).where(
        Meeting.cohort_id.in_(cohort_ids),
        Meeting.starts_at.between(reach_from, now + timedelta(days=1)),
    )
    planned_for = (
        Participant.cohort_id.in_(cohort_ids),
        or_(
            Participant.cohort_id.in_(select(Meeting.cohort_id).where(*near)),
            Participant.cohort_id.in_(cohorts_meeting_lately),
            Participant.enrolled_at >= reach_from,
        ),
        Participant.enrolled_at <= now,
        Participant.withdrawn_at.is_(None),
        User.active.is_(True),
    )
    participants = list(
        db.scalars(
            select(Participant)
            .join(User, User.id == Participant.user_id)
            .where(*planned_for)
            .options(
                joinedload(Participant.user), joinedload(Participant.cohort).joinedload(Cohort.site)
            )
        )
    )
    # The same people, as a subquery for the lookups below. Each statement reads the database
    # as it is when it runs, so these may name someone enrolled since the list above was read:
    # they are left for the next tick.
    planned_ids = (
        select(Participant.id).join(User, User.id == Participant.user_id).where(*planned_for)
    )
    starts = program_starts(db, participants, among=planned_ids)
    survey_starts = {
        pid: day for pid, day in starts.items() if reach_from.date() <= day <= now.date()
    }
    preferences = {
        preference.user_id: preference
        for preference in db.scalars(
            select(ReminderPreference)
            .join(Participant, Participant.user_id == ReminderPreference.user_id)
            .where(Participant.id.in_(planned_ids))
        )
    }
    ids = [p.id for p in participants]
    practiced: dict[int, set[date]] = {pid: set() for pid in ids}
    for pid, day in db.execute(
        select(PracticeLog.participant_id, PracticeLog.practiced_on).where(
            PracticeLog.participant_id.in_(planned_ids),
            PracticeLog.practiced_on >= (now - timedelta(days=14)).date(),
        )
    ):
        if pid in practiced:
            practiced[pid].add(day)
    done: dict[int, set[int]] = {pid: set() for pid in ids}
    for pid, months in db.execute(
        select(SurveyCompletion.participant_id, SurveyCompletion.months).where(
            SurveyCompletion.participant_id.in_(planned_ids)
        )
    ):
        if pid in done:
            done[pid].add(months)
    sites_meeting_near = select(Cohort.site_id).join(Meeting, Meeting.cohort_id == Cohort.id)
    facilitators: dict[int, list[int]] = {}
    for site_id, user_id in db.execute(
        select(FacilitatorSite.site_id, FacilitatorSite.user_id)
        .join(User, User.id == FacilitatorSite.user_id)
        .where(
            FacilitatorSite.site_id.in_(sites_meeting_near.where(*near)),
            User.active.is_(True),
            User.email.is_not(None),
        )
    ):
        facilitators.setdefault(site_id, []).append(user_id)
    moved_at = {
        int(meeting_id): at
        for meeting_id, at in db.execute(
            select(AuditEvent.entity_id, func.max(AuditEvent.at))
            .where(
                AuditEvent.action == "move",
                AuditEvent.entity == "meeting",
                # The audit log names what it is about by a string id.
                AuditEvent.entity_id.in_(select(cast(Meeting.id, String)).where(*near)),
            )
            .group_by(AuditEvent.entity_id)
        )
        if meeting_id is not None  # always: the query asks for these ids
    }
    by_cohort: dict[int, list[Participant]] = {}
    for participant in participants:
        by_cohort.setdefault(participant.cohort_id, []).append(participant)
    questionnaires = (
        _questionnaire_data(db, now, horizon, planned_ids, planned_for, questionnaire_days)
        if questionnaire_days and participants
        else {}
    )
    return PlanningData(
        meetings=meetings,
        recipients={
            p.id: recipient_for(p, preferences.get(p.user_id), default_quiet) for p in participants
        },
        participants_by_cohort=by_cohort,
        practiced=practiced,
        done_surveys=done,
        facilitators_by_site=facilitators,
        survey_starts=survey_starts,
        moved_at=moved_at,
        program_starts=starts if questionnaires else {},
        **questionnaires,
    )


def _questionnaire_data(
    db: Session, now: datetime, horizon: timedelta, planned_ids, planned_for, window_days: int
) -> dict:
    """What questionnaire reminders need, in two queries whatever the number of people."""
    cohort_meetings: dict[int, list[MeetingTime]] = {}
    for cohort_id, week, starts_at in db.execute(
        select(Meeting.cohort_id, Meeting.week, Meeting.starts_at)
        .where(
            Meeting.cohort_id.in_(
                select(Participant.cohort_id)
                .join(User, User.id == Participant.user_id)
                .where(*planned_for)
            )
        )
        .order_by(Meeting.cohort_id, Meeting.week)
    ):
        cohort_meetings.setdefault(cohort_id, []).append(MeetingTime(week, starts_at))
    # An occasion open now opened at most window_days ago (a day more for timezones), and
    # nothing about it was sent before it opened.
    sent_since = now - timedelta(days=window_days + 1)
    submitted = {
        (pid, instrument, occasion)
        for pid, instrument, occasion in db.execute(
            select(
                InstrumentResponse.participant_id,
                InstrumentResponse.instrument,
                InstrumentResponse.occasion,
            ).where(
                InstrumentResponse.participant_id.in_(planned_ids),
                InstrumentResponse.submitted_at >= sent_since,
            )
        )
    }
    return {
        "cohort_meetings": cohort_meetings,
        "submitted": submitted,
        # Every site's local date lies within a day of the UTC one.
        "occasion_days": (
            (now - timedelta(days=1)).date(),
            (now + horizon + timedelta(days=1)).date(),
        ),
    }


def outbox_page(db: Session, status: str, limit: int) -> tuple[list[Reminder], dict[str, int]]:
    """One status tab of the staff outbox (upcoming soonest first, the rest newest first),
    and the count of every status, in two queries."""
    order = Reminder.due_at.asc() if status == "planned" else Reminder.updated_at.desc()
    rows = db.scalars(
        select(Reminder)
        .where(Reminder.status == status)
        .order_by(order)
        .limit(limit)
        .options(joinedload(Reminder.user))
    ).all()
    counts = dict(
        db.execute(select(Reminder.status, func.count(Reminder.id)).group_by(Reminder.status)).all()
    )
    return list(rows), counts
