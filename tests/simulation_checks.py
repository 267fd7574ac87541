"""The rules the simulated trial checks after every step. Each check returns the problems it
found as sentences (empty when the rule holds); expectations come from the database and from
what was delivered, not from a second implementation of the app."""

import csv
import dataclasses
import io
import re
from zoneinfo import ZoneInfo

from simulation import Person, StaffAction
from sqlalchemy import select

from p4p.modules.attendance.models import ATTENDED, Attendance
from p4p.modules.audit.models import AuditEvent
from p4p.modules.participants.models import Participant, WeekProgress
from p4p.modules.reports.redcap import ATTENDANCE_CODES, NOT_MARKED
from p4p.modules.sites.models import Meeting, MeetingStatus


def local_date(moment, timezone):
    return moment.astimezone(ZoneInfo(timezone)).date()


def _counts(meeting: Meeting, participant: Participant, now) -> bool:
    """A meeting that can carry this person's mark: not cancelled, started, after enrolment."""
    return (
        meeting.status != MeetingStatus.CANCELLED
        and meeting.starts_at <= now
        and meeting.starts_at >= participant.enrolled_at
    )


def marks_only_for_meetings_that_happened(db, now) -> list[str]:
    problems = []
    rows = db.execute(
        select(Attendance, Meeting, Participant)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Participant, Participant.id == Attendance.participant_id)
    ).all()
    for attendance, meeting, participant in rows:
        if not _counts(meeting, participant, now):
            why = (
                "cancelled"
                if meeting.status == MeetingStatus.CANCELLED
                else "in the future"
                if meeting.starts_at > now
                else f"before {participant.study_id} enrolled ({participant.enrolled_at})"
            )
            problems.append(
                f"attendance {attendance.status!r} of {participant.study_id} for meeting "
                f"{meeting.id} (week {meeting.week}, {meeting.starts_at}) that is {why}"
            )
    held_ahead = db.scalars(
        select(Meeting).where(Meeting.status == MeetingStatus.HELD, Meeting.starts_at > now)
    ).all()
    problems += [
        f"meeting {m.id} (week {m.week}, {m.starts_at}) recorded held before it started"
        for m in held_ahead
    ]
    return problems


def _parse_csv(response) -> dict[str, dict]:
    assert response.status_code == 200, response.status_code
    rows = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    # REDCap: the delivery record only (questionnaires are rows on their occasions' events).
    return {
        row.get("study_id") or row["record_id"]: row
        for row in rows
        if row.get("redcap_event_name", "program_arm_1") == "program_arm_1"
    }


ATTENDED_LABELS = ("Group meetings attended", "Reuniones del grupo a las que fuiste")


def progress_attended(client) -> int:
    page = client.get("/progress").get_data(as_text=True)
    label = "|".join(ATTENDED_LABELS)
    found = re.search(rf"(?:{label})</dt>\s*<dd>(\d+)", page)
    assert found, "the progress page shows no count of meetings attended"
    return int(found.group(1))


def _records(db, now) -> tuple[list[Participant], dict[int, list], dict[int, int]]:
    """Everyone, their countable marks (attendance, meeting) and how many weeks they marked done."""
    participants = list(db.scalars(select(Participant)))
    by_id = {p.id: p for p in participants}
    marks: dict[int, list] = {p.id: [] for p in participants}
    for attendance, meeting in db.execute(
        select(Attendance, Meeting).join(Meeting, Meeting.id == Attendance.meeting_id)
    ).all():
        if _counts(meeting, by_id[attendance.participant_id], now):
            marks[attendance.participant_id].append((attendance, meeting))
    done: dict[int, int] = {p.id: 0 for p in participants}
    for participant_id in db.scalars(select(WeekProgress.participant_id)):
        done[participant_id] += 1
    return participants, marks, done


def _export_problems(participant, attended, done, row, record, now) -> list[str]:
    sid = participant.study_id
    if row is None or record is None:
        return [f"{sid} missing from the summary or REDCap export"]
    problems = []
    seen = {
        "summary meetings_attended": (int(row["meetings_attended"]), attended),
        "REDCap attended": (int(record["p4p_attended"]), attended),
        "summary weeks_done": (int(row["weeks_done"]), done),
        "REDCap weeks_done": (int(record["p4p_weeks_done"]), done),
    }
    problems += [
        f"{sid}: {name} is {value}, the records say {want}"
        for name, (value, want) in seen.items()
        if value != want
    ]
    today = local_date(now, participant.cohort.site.timezone).isoformat()
    if row["last_activity"] and row["last_activity"] > today:
        problems.append(f"{sid}: last_activity {row['last_activity']} is after today ({today})")
    status = "withdrawn" if participant.withdrawn_at else "active"
    if row["status"] != status:
        problems.append(f"{sid}: summary status {row['status']}, the records say {status}")
    return problems


def _whole_study(db, now):
    """The reports' scope of every site (with the report's moment, where the scope has one)."""
    from p4p.modules.reports.queries import Scope, visible_sites

    moment = {"now": now} if "now" in {f.name for f in dataclasses.fields(Scope)} else {}
    return Scope(None, tuple(visible_sites(db, None)), **moment)


def dose_rows_agree(db, coordinator, readers: list[Person], program, now) -> list[str]:
    """Each person's marks and weeks done, as the database holds them, against the summary
    export, the REDCap export (totals and week by week), the reports' figures per arm and
    (for `readers`) their own progress page."""
    from p4p.modules.reports.summary import summary_report

    summary = _parse_csv(coordinator.post("/reports/attendance.csv", data={"format": "summary"}))
    redcap = _parse_csv(coordinator.post("/reports/attendance.csv", data={"format": "redcap"}))
    participants, marks, done = _records(db, now)
    attended = {
        pid: sum(1 for a, _m in rows if a.status in ATTENDED) for pid, rows in marks.items()
    }
    problems, by_arm = [], {}
    for participant in participants:
        pid, sid = participant.id, participant.study_id
        by_arm[participant.arm] = by_arm.get(participant.arm, 0) + attended[pid]
        record = redcap.get(sid)
        problems += _export_problems(
            participant, attended[pid], done[pid], summary.get(sid), record, now
        )
        for attendance, meeting in marks[pid] if record else ():
            code = record.get(f"p4p_w{meeting.week}_status")
            if code != str(ATTENDANCE_CODES.get(attendance.status, NOT_MARKED)):
                problems.append(
                    f"{sid}: REDCap week {meeting.week} is {code!r}, marked {attendance.status}"
                )
    report = summary_report(db, _whole_study(db, now), program, now, 6)
    for figures in report.arms:
        total = sum(k * n for k, n in figures.attended.items())
        if total != by_arm.get(figures.key, 0):
            problems.append(
                f"report: {figures.key} meetings attended {total}, "
                f"the records say {by_arm.get(figures.key, 0)}"
            )
    for person in readers:
        shown = progress_attended(person.client)
        if shown != attended.get(person.participant_id):
            problems.append(
                f"{person.study_id}: progress page says {shown} attended, "
                f"the records say {attended.get(person.participant_id)}"
            )
    return problems


def staff_changes_audited(db, actions: list[StaffAction]) -> list[str]:
    events = {
        (e.actor_id, e.entity, str(e.entity_id), e.at)
        for e in db.scalars(select(AuditEvent).where(AuditEvent.actor_id.is_not(None)))
    }
    return [
        f"no audit event for {a.what} ({a.entity} {a.entity_id} at {a.at})"
        for a in actions
        if (a.actor_id, a.entity, str(a.entity_id), a.at) not in events
    ]


def planned_as_a_full_plan_would(app, moment) -> list[str]:
    """A full re-plan at `moment`, rolled back, over the lead every reminder is promised (three
    quarters of the horizon): each reminder it would add was lost by the ticks' incremental
    planning, and each it would cancel was left standing by them."""
    from p4p.modules.reminders.service import plan

    hours = int(app.config["REMINDER_HORIZON_HOURS"])
    config = {**app.config, "REMINDER_HORIZON_HOURS": hours * 3 // 4}
    with app.app_context():
        session = app.extensions["p4p.sessionmaker"]()
        try:
            result = plan(session, app.extensions["p4p.program"], moment, config)
        finally:
            session.rollback()
            session.close()
    return [f"a full plan at {moment} would add {key}" for key in result.new_keys] + [
        f"a full plan at {moment} would cancel {key}" for key in result.keys
    ]
