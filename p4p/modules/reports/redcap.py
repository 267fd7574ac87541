"""The REDCap export: one record per participant, ready for REDCap's Data Import Tool, and
the matching data dictionary.

REDCap wants record_id first, then redcap_event_name in a longitudinal project, and
variable names of lowercase letters, digits and underscores that start with a letter, at most
26 characters. Categories travel as codes, and the dictionary lists every code.
"""

import re
from collections.abc import Iterator
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from p4p.modules.attendance.labels import STATUS_LABELS
from p4p.modules.attendance.models import Attendance, AttendanceStatus
from p4p.modules.curriculum.models import Program
from p4p.modules.participants.models import Participant
from p4p.modules.reports.exports import participant_totals, person_last_activity, streamed
from p4p.modules.reports.queries import Scope, cohort_conditions, is_made_up, meeting_in_range
from p4p.modules.sites.models import Cohort, Meeting, MeetingStatus

DICTIONARY_COLUMNS = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
)  # fmt: skip
VARIABLE = re.compile(r"^[a-z][a-z0-9_]{0,25}$")
PREFIX = re.compile(r"^([a-z][a-z0-9_]*)?$")
EVENT = re.compile(r"^[a-z][a-z0-9_]*$")
# Codes never change meaning once data is imported: new statuses get new numbers.
ATTENDANCE_CODES = {
    AttendanceStatus.PRESENT: 1, AttendanceStatus.LATE: 2, AttendanceStatus.LEFT_EARLY: 3,
    AttendanceStatus.EXCUSED: 4, AttendanceStatus.ABSENT: 5,
}  # fmt: skip
NOT_MARKED = 0
NOT_YET_ENROLLED = 6  # the meeting started before the person enrolled
MEETING_CODES = {MeetingStatus.SCHEDULED: 1, MeetingStatus.HELD: 2, MeetingStatus.CANCELLED: 3}
STATUS_CODES = {"active": 1, "withdrawn": 2}
LONGEST_SUFFIX = len("practice_days")


def settings_problems(config) -> list[str]:
    """What is wrong with the export settings; the app refuses to start on any."""
    problems = []
    prefix, event = config["REDCAP_FIELD_PREFIX"], config["REDCAP_EVENT_NAME"]
    if not PREFIX.match(prefix) or len(prefix) + LONGEST_SUFFIX > 26:
        problems.append(
            f"REDCAP_FIELD_PREFIX {prefix!r}: lowercase letters, digits and underscores, "
            f"starting with a letter, at most {26 - LONGEST_SUFFIX} characters"
        )
    if not EVENT.match(event):
        problems.append(
            f"REDCAP_EVENT_NAME {event!r}: a REDCap unique event name, like program_arm_1"
        )
    if not isinstance(config["COMPLETER_MIN_DOSE"], int) or config["COMPLETER_MIN_DOSE"] < 0:
        problems.append("COMPLETER_MIN_DOSE: a whole number of meetings, 0 or more")
    return problems


def _choices(codes: dict[int, str]) -> str:
    return " | ".join(f"{code}, {label}" for code, label in codes.items())


class Fields:
    """The REDCap variables of the export, in order, each with its dictionary entry."""

    def __init__(self, program: Program, prefix: str):
        self.program, self.prefix = program, prefix
        self.arm_codes = {key: index + 1 for index, key in enumerate(program.arms)}
        self.weeks = sorted({week for arm in program.arms.values() for week in arm.weeks})
        self.form = f"{prefix}delivery"

    def name(self, suffix: str) -> str:
        name = self.prefix + suffix
        if not VARIABLE.match(name):
            raise ValueError(f"{name!r} is not a valid REDCap variable name")
        return name

    def _entries(self) -> list[tuple]:
        """(suffix, type, label, choices, validation, min, max), after record_id."""
        weeks = str(len(self.weeks))
        counts = [
            ("attended", _("Meetings attended (present, late or left early)"), "0", weeks),
            ("makeups", _("Meetings made up (absent or excused, then made up)"), "0", weeks),
            ("dose", _("Dose: meetings attended plus make-ups"), "0", weeks),
        ]
        entries = [
            ("site", "text", _("Site"), "", "", "", ""),
            ("cohort", "text", _("Cohort"), "", "", "", ""),
            ("arm", "radio", _("Program (arm)"), _choices(
                {code: self.program.arm(key).label for key, code in self.arm_codes.items()}
            ), "", "", ""),
            ("status", "radio", _("Participation"),
             _choices({1: _("Active"), 2: _("Withdrawn")}), "", "", ""),
            *[(s, "text", label, "", "integer", low, high) for s, label, low, high in counts],
            ("completer", "yesno", _("Completer (dose at or above the set minimum)"),
             "", "", "", ""),
            ("weeks_done", "text", _("Weeks marked done by the participant"),
             "", "integer", "0", weeks),
            ("practice_min", "text", _("Home practice minutes logged"), "", "integer", "0", ""),
            ("practice_days", "text", _("Days with home practice logged"), "", "integer", "0", ""),
            ("last_activity", "text", _("Last activity (local date)"), "", "date_ymd", "", ""),
        ]  # fmt: skip
        marks = {NOT_MARKED: _("Not marked")}
        marks.update({code: str(STATUS_LABELS[s]) for s, code in ATTENDANCE_CODES.items()})
        marks[NOT_YET_ENROLLED] = _("Not yet enrolled (the meeting was before enrolment)")
        meeting_labels = {
            "scheduled": _("Scheduled"),
            "held": _("Held"),
            "cancelled": _("Cancelled"),
        }
        meetings = {code: meeting_labels[s] for s, code in MEETING_CODES.items()}
        for week in self.weeks:
            entries += [
                (f"w{week}_meeting", "dropdown", _("Week %(n)d: meeting", n=week),
                 _choices(meetings), "", "", ""),
                (f"w{week}_status", "dropdown", _("Week %(n)d: attendance", n=week),
                 _choices(marks), "", "", ""),
                (f"w{week}_madeup", "yesno", _("Week %(n)d: made up", n=week), "", "", "", ""),
            ]  # fmt: skip
        return entries

    def import_columns(self) -> list[str]:
        return ["record_id", "redcap_event_name"] + [self.name(e[0]) for e in self._entries()]

    def dictionary_rows(self) -> Iterator[list[str]]:
        """One row per variable in REDCap's 18 dictionary columns, record_id first."""
        yield ["record_id", self.form, "", "text", _("Record ID (study ID)")] + [""] * 13
        for suffix, kind, label, choices, validation, low, high in self._entries():
            yield [self.name(suffix), self.form, "", kind, label, choices, "", validation, low,
                   high] + [""] * 8  # fmt: skip


def _as_utc(moment):
    """MAX() over a CASE loses the column's type, so SQLite gives back text or a naive value."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def record_rows(
    db: Session, scope: Scope, fields: Fields, event: str, min_dose: int
) -> Iterator[list]:
    """One coded record per participant, in the order of fields.import_columns()."""
    weeks = fields.weeks
    conditions = [*cohort_conditions(scope), meeting_in_range(scope)]
    by_week = (
        select(
            Attendance.participant_id,
            *[func.max(case((Meeting.week == w, Attendance.status))).label(f"s{w}") for w in weeks],
            *[
                func.max(case((and_(Meeting.week == w, is_made_up()), 1), else_=0)).label(f"m{w}")
                for w in weeks
            ],
        )  # fmt: skip
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Participant, Participant.id == Attendance.participant_id)
        .join(Cohort, Cohort.id == Meeting.cohort_id)
        .where(*conditions, scope.countable())
        .group_by(Attendance.participant_id)
        .subquery("marks_by_week")
    )
    held = (
        select(
            Meeting.cohort_id,
            *[func.max(case((Meeting.week == w, Meeting.status))).label(f"h{w}") for w in weeks],
            *[func.max(case((Meeting.week == w, Meeting.starts_at))).label(f"t{w}") for w in weeks],
        )
        .join(Cohort, Cohort.id == Meeting.cohort_id)
        .where(*conditions)
        .group_by(Meeting.cohort_id)
        .subquery("meetings_by_week")
    )
    query = (
        participant_totals(scope)
        .add_columns(*by_week.c[1:], *held.c[1:])
        .outerjoin(by_week, by_week.c.participant_id == Participant.id)
        .outerjoin(held, held.c.cohort_id == Participant.cohort_id)
    )
    for row in streamed(db, query):
        values = row._mapping
        dose = row.attended + row.made_up
        last = person_last_activity(row)
        record = [
            row.study_id, event, row.site, row.cohort, fields.arm_codes.get(row.arm, ""),
            STATUS_CODES["withdrawn" if row.withdrawn_at else "active"], row.attended,
            row.made_up, dose, int(dose >= min_dose), row.weeks_done, row.practice_minutes,
            row.practice_days, last.isoformat() if last else "",
        ]  # fmt: skip
        for week in weeks:
            meeting = values[f"h{week}"]
            if meeting is None:  # no meeting that week in the range: nothing to say
                record += ["", "", ""]
                continue
            if _as_utc(values[f"t{week}"]) < row.enrolled_at:
                record += [MEETING_CODES[meeting], NOT_YET_ENROLLED, 0]
                continue
            status = values[f"s{week}"]
            made_up = values[f"m{week}"] or 0
            record += [MEETING_CODES[meeting], ATTENDANCE_CODES.get(status, NOT_MARKED), made_up]
        yield record
