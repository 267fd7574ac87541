"""The site, arm and study report: each arm's figures side by side, aggregated in SQL.

Eleven queries whatever the size of the study: the meetings of the cohorts in scope, head
counts per cohort, the dose distribution, marks per week, practice per cohort and day, weeks
done per program, and the five of the follow-up rules.
"""

from bisect import bisect_right
from collections import defaultdict
from datetime import datetime

from sqlalchemy import Row, String, and_, cast, func, select
from sqlalchemy.orm import Session

from p4p.local_time import local_datetime, local_today
from p4p.modules.attendance.models import Attendance
from p4p.modules.attendance.queries import follow_up_reasons
from p4p.modules.curriculum.models import Program
from p4p.modules.participants.models import Participant, WeekProgress
from p4p.modules.participants.service import week_windows
from p4p.modules.practice.models import PracticeLog
from p4p.modules.reports.figures import ArmFigures, CohortLine, SummaryReport, WeekFigures
from p4p.modules.reports.queries import (
    Scope,
    attendance_totals,
    cohort_conditions,
    count_where,
    has_range,
    is_attended,
    is_made_up,
    meeting_in_range,
    practice_in_range,
)
from p4p.modules.sites.models import Cohort, Meeting


def summary_report(
    db: Session, scope: Scope, program: Program, now: datetime, min_dose: int
) -> SummaryReport:
    """Every figure of the site, arm or study report, per arm, for the scope's filters."""
    chosen = [scope.filters.arm] if scope.filters.arm else list(program.arms)
    arms = {
        key: ArmFigures(key, program.arm(key).label, program.arm(key).weeks)
        for key in chosen
        if key in program.arms
    }
    for figures in arms.values():
        figures.by_week = {week: WeekFigures(week) for week in figures.weeks}
    conditions = cohort_conditions(scope)
    # Who was enrolled when each meeting started: a week's participants, per person.
    enrolled_by_then = (
        select(func.count(Participant.id))
        .where(
            Participant.cohort_id == Meeting.cohort_id,
            Participant.enrolled_at <= Meeting.starts_at,
        )
        .scalar_subquery()
    )
    meetings = db.execute(
        select(
            Meeting.cohort_id,
            Meeting.week,
            Meeting.starts_at,
            Meeting.status,
            Cohort.arm,
            Cohort.site_id,
            Cohort.name,
            meeting_in_range(scope).label("in_range"),
            enrolled_by_then.label("enrolled_by_then"),
        )
        .join(Cohort, Cohort.id == Meeting.cohort_id)
        .where(*conditions)
    ).all()
    heads = {
        cohort_id: (enrolled, withdrawn)
        for cohort_id, enrolled, withdrawn in db.execute(
            select(
                Participant.cohort_id,
                func.count(Participant.id),
                count_where(Participant.withdrawn_at.is_not(None)),
            )
            .join(Cohort, Cohort.id == Participant.cohort_id)
            .where(*conditions)
            .group_by(Participant.cohort_id)
        )
    }
    windows = _meetings_and_heads(arms, meetings, heads, scope, program, now)
    _dose(db, scope, arms, min_dose)
    _marks_by_week(db, scope, arms)
    _practice(db, scope, arms, windows)
    _weeks_done(db, scope, arms)
    for flagged in follow_up_reasons(db, now, conditions).values():
        if flagged.arm in arms:
            arms[flagged.arm].follow_up_people += 1
            arms[flagged.arm].follow_ups.update(flagged.reasons)
    return SummaryReport(list(arms.values()), _cohort_lines(meetings, heads, scope), min_dose)


def _meetings_and_heads(arms, meetings, heads, scope, program, now) -> dict:
    """Meetings held and cancelled, head counts, and which weeks have opened for whom.

    Returns each cohort's (arm, [(opens_on, ends_on, week)]) for placing practice days."""
    by_cohort = defaultdict(list)
    for meeting in meetings:
        by_cohort[meeting.cohort_id].append(meeting)
        if meeting.in_range and meeting.arm in arms:
            arms[meeting.arm].meetings[meeting.status] += 1
    windows = {}
    for cohort_id, rows in by_cohort.items():
        arm = arms.get(rows[0].arm)
        if arm is None:
            continue
        timezone = scope.timezone_of(rows[0].site_id)
        enrolled, withdrawn = heads.get(cohort_id, (0, 0))
        arm.enrolled += enrolled
        arm.withdrawn += withdrawn
        spans = week_windows(rows, timezone, arm.weeks, program.arm(rows[0].arm).rhythm)
        today = local_today(now, timezone)
        # People who enrolled after a week's meeting started are not yet enrolled for it.
        by_then = {m.week: m.enrolled_by_then for m in rows if m.in_range}
        for week, (opens_on, _ends_on) in spans.items():
            if opens_on is not None and opens_on <= today and week in by_then:
                arm.by_week[week].participants_open += by_then[week]
                arm.participant_weeks += by_then[week]
        windows[cohort_id] = (arm, [(o, e, w) for w, (o, e) in spans.items() if o and e])
    return windows


def _dose(db: Session, scope: Scope, arms: dict, min_dose: int) -> None:
    """The distribution of meetings attended and of dose, from one nested aggregate."""
    totals = attendance_totals(scope, with_last=False)
    attended = func.coalesce(totals.c.attended, 0).label("attended")
    made_up = func.coalesce(totals.c.made_up, 0).label("made_up")
    people = (
        select(Participant.arm, attended, made_up)
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .outerjoin(totals, totals.c.participant_id == Participant.id)
        .where(*cohort_conditions(scope))
        .subquery()
    )
    rows = db.execute(
        select(people.c.arm, people.c.attended, people.c.made_up, func.count()).group_by(
            people.c.arm, people.c.attended, people.c.made_up
        )
    )
    for arm_key, attended_count, made_up_count, people_count in rows:
        if arm_key not in arms:
            continue
        figures = arms[arm_key]
        dose = min(attended_count + made_up_count, len(figures.weeks))
        figures.attended[attended_count] += people_count
        figures.dose[dose] += people_count
        if dose >= min_dose:
            figures.completers += people_count


def _marks_by_week(db: Session, scope: Scope, arms: dict) -> None:
    rows = db.execute(
        select(
            Cohort.arm,
            Meeting.week,
            count_where(is_attended()),
            count_where(is_made_up()),
            func.count(Attendance.id),
        )
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Participant, Participant.id == Attendance.participant_id)
        .join(Cohort, Cohort.id == Meeting.cohort_id)
        .where(*cohort_conditions(scope), meeting_in_range(scope), scope.countable())
        .group_by(Cohort.arm, Meeting.week)
    )
    for arm_key, week, attended, made_up, marked in rows:
        if arm_key in arms and week in arms[arm_key].by_week:
            figures = arms[arm_key].by_week[week]
            figures.attended, figures.made_up, figures.marked = attended, made_up, marked


def _practice(db: Session, scope: Scope, arms: dict, windows: dict) -> None:
    """Minutes per arm, and per program week by the cohort's own week windows.

    Days come back as ISO text: it sorts like the date and spares parsing ~60,000 dates."""
    rows = db.execute(
        select(
            Participant.cohort_id,
            cast(PracticeLog.practiced_on, String),
            func.sum(PracticeLog.minutes),
        )
        .join(Participant, Participant.id == PracticeLog.participant_id)
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .where(*cohort_conditions(scope), *practice_in_range(scope))
        .group_by(Participant.cohort_id, PracticeLog.practiced_on)
    )
    spans = {}
    for cohort_id, (arm, weeks) in windows.items():
        weeks = sorted(weeks)
        spans[cohort_id] = (
            arm,
            [opens.isoformat() for opens, _ends, _week in weeks],
            [(ends.isoformat(), week) for _opens, ends, week in weeks],
        )
    for cohort_id, day, minutes in rows:
        if cohort_id not in spans:
            continue
        arm, opens, ends = spans[cohort_id]
        arm.practice_minutes += minutes
        index = bisect_right(opens, day[:10]) - 1  # the latest week opened by that day
        if index >= 0 and day[:10] <= ends[index][0]:
            arm.by_week[ends[index][1]].practice_minutes += minutes


def _weeks_done(db: Session, scope: Scope, arms: dict) -> None:
    """Weeks marked done; with a date range, only the weeks whose meeting is in it."""
    query = (
        select(Participant.arm, func.count(WeekProgress.id))
        .join(Participant, Participant.id == WeekProgress.participant_id)
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .where(*cohort_conditions(scope))
        .group_by(Participant.arm)
    )
    if has_range(scope):
        query = query.join(
            Meeting,
            and_(Meeting.cohort_id == Participant.cohort_id, Meeting.week == WeekProgress.week),
        ).where(meeting_in_range(scope))
    for arm_key, done in db.execute(query):
        if arm_key in arms:
            arms[arm_key].weeks_done += done


def _cohort_lines(meetings, heads: dict, scope: Scope) -> list[CohortLine]:
    """Each cohort with its first meeting's local date and head counts, by that date."""
    first: dict[int, Row] = {}
    for m in meetings:
        if m.cohort_id not in first or m.starts_at < first[m.cohort_id].starts_at:
            first[m.cohort_id] = m
    lines = []
    for cohort_id, m in first.items():
        enrolled, withdrawn = heads.get(cohort_id, (0, 0))
        day = local_datetime(m.starts_at, scope.timezone_of(m.site_id)).date()
        lines.append(CohortLine(cohort_id, m.name, m.site_id, m.arm, day, enrolled, withdrawn))
    return sorted(lines, key=lambda line: (line.first_meeting, line.name), reverse=True)
