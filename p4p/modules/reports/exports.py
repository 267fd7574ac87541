"""The exports as CSV: long (participant x meeting), summary (one row per person), in
redcap.py REDCap's import format and data dictionary, and in answers.py the questionnaires'
answers (long, and their part of the REDCap files).

Each export is one SQL query read in batches (yield_per) and written out in chunks, so a
study of any size streams without being built in memory. Text cells that a spreadsheet
would run as a formula get a leading apostrophe.
"""

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from p4p.local_time import local_datetime
from p4p.modules.attendance.models import ATTENDED, Attendance
from p4p.modules.audit.service import record
from p4p.modules.participants.models import Participant
from p4p.modules.reports.queries import (
    Scope,
    attendance_totals,
    cohort_conditions,
    last_activity,
    meeting_in_range,
    offered_totals,
    practice_totals,
    weeks_done_totals,
)
from p4p.modules.sites.models import Cohort, Meeting, Site

FORMATS = ("long", "summary", "redcap", "redcap-dictionary", "questionnaires")
LONG_COLUMNS = (
    "study_id", "site", "cohort", "arm", "week", "meeting_date", "meeting_status",
    "attendance_status", "made_up", "mode",
)  # fmt: skip
SUMMARY_COLUMNS = (
    "study_id", "site", "cohort", "arm", "status", "meetings_attended", "makeups", "dose",
    "completer", "weeks_done", "practice_minutes", "practice_days", "last_activity",
    "meetings_offered", "meetings_not_yet_enrolled",
)  # fmt: skip
NOT_YET_ENROLLED = "not_yet_enrolled"  # the long export's status of a meeting before enrolment
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A spreadsheet may read a fullwidth or small "＝ ＋ － ＠" as the ASCII one; NFKC folds those
# into it. The minus sign (U+2212) has no such folding, so it is named here.
LOOKALIKE_STARTS = ("\u2212",)
BATCH = 1000  # rows read from the database and written out at a time


def neutralise(value):
    """A text cell that starts like a formula gets a leading ' (OWASP's CSV injection advice)."""
    if isinstance(value, str) and value:
        first = unicodedata.normalize("NFKC", value[0])
        if first.startswith(FORMULA_STARTS) or value.startswith(LOOKALIKE_STARTS):
            return "'" + value
    return value


def csv_chunks(
    header: Iterable[str], rows: Iterable[Iterable], *, neutralised: bool = True
) -> Iterator[str]:
    """CSV text in chunks of BATCH lines: the header, then every row, neutralised (unless
    told not to: a data dictionary's action tags start with '@' and REDCap must read them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([neutralise(value) for value in row] if neutralised else row)
        if count % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def streamed(db: Session, query: Select):
    """Rows of `query` fetched BATCH at a time (a server-side cursor on PostgreSQL)."""
    return db.execute(query.execution_options(yield_per=BATCH))


def long_rows(db: Session, scope: Scope) -> Iterator[list]:
    """One row per participant x meeting of their cohort; unmarked meetings say so, and so do
    meetings that started before the person enrolled. A mark the reports do not count (at a
    meeting not started or cancelled, from before that rule) reads as unmarked."""
    query = (
        select(
            Participant.study_id,
            Site.name,
            Site.timezone,
            Cohort.name,
            Participant.arm,
            Meeting.week,
            Meeting.starts_at,
            Meeting.status,
            Attendance.status,
            Attendance.made_up_on,
            Attendance.mode,
            Participant.enrolled_at,
        )  # fmt: skip
        .select_from(Participant)
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .join(Site, Site.id == Cohort.site_id)
        .join(Meeting, Meeting.cohort_id == Participant.cohort_id)
        .outerjoin(
            Attendance,
            (Attendance.meeting_id == Meeting.id) & (Attendance.participant_id == Participant.id),
        )
        .where(*cohort_conditions(scope), meeting_in_range(scope))
        .order_by(Site.name, Cohort.name, Participant.study_id, Meeting.week)
    )
    for row in streamed(db, query):
        (study_id, site, timezone, cohort, arm, week, starts_at, meeting_status, status,
         made_up_on, mode, enrolled_at) = row  # fmt: skip
        if starts_at < enrolled_at:
            status, made_up_on, mode = NOT_YET_ENROLLED, None, None
        elif meeting_status == "cancelled" or starts_at > scope.now:
            status, made_up_on, mode = None, None, None
        made_up = int(status not in (None, *ATTENDED) and made_up_on is not None)
        meeting_date = local_datetime(starts_at, timezone).date()
        yield [study_id, site, cohort, arm, week, meeting_date, meeting_status,
               status or "unmarked", made_up, mode or ""]  # fmt: skip


def participant_totals(scope: Scope) -> Select:
    """One row per participant of the scope with every total of the summary (and REDCap)."""
    marks, practice, done, offered = (
        attendance_totals(scope),
        practice_totals(scope),
        weeks_done_totals(scope),
        offered_totals(scope),
    )
    return (
        select(
            Participant.id,
            Participant.study_id,
            Site.name.label("site"),
            Site.timezone,
            Cohort.name.label("cohort"),
            Participant.arm,
            Participant.withdrawn_at,
            Participant.enrolled_at,
            func.coalesce(marks.c.attended, 0).label("attended"),
            func.coalesce(marks.c.made_up, 0).label("made_up"),
            marks.c.last_attended,
            marks.c.last_made_up,
            func.coalesce(done.c.weeks_done, 0).label("weeks_done"),
            done.c.last_done,
            func.coalesce(practice.c.minutes, 0).label("practice_minutes"),
            func.coalesce(practice.c.days, 0).label("practice_days"),
            practice.c.last_practiced,
            func.coalesce(offered.c.offered, 0).label("offered"),
            func.coalesce(offered.c.not_yet_enrolled, 0).label("not_yet_enrolled"),
        )  # fmt: skip
        .join(Cohort, Cohort.id == Participant.cohort_id)
        .join(Site, Site.id == Cohort.site_id)
        .outerjoin(marks, marks.c.participant_id == Participant.id)
        .outerjoin(practice, practice.c.participant_id == Participant.id)
        .outerjoin(done, done.c.participant_id == Participant.id)
        .outerjoin(offered, offered.c.participant_id == Participant.id)
        .where(*cohort_conditions(scope))
        .order_by(Site.name, Cohort.name, Participant.study_id)
    )


def person_last_activity(row):
    return last_activity(
        row.timezone, row.last_attended, row.last_made_up, row.last_practiced, row.last_done
    )


def summary_rows(db: Session, scope: Scope, min_dose: int) -> Iterator[list]:
    """One row per participant: status, meetings attended, make-ups, dose, completer, ..."""
    for row in streamed(db, participant_totals(scope)):
        dose = row.attended + row.made_up
        yield [
            row.study_id, row.site, row.cohort, row.arm,
            "withdrawn" if row.withdrawn_at else "active",
            row.attended, row.made_up, dose, int(dose >= min_dose), row.weeks_done,
            row.practice_minutes, row.practice_days, person_last_activity(row),
            row.offered, row.not_yet_enrolled,
        ]  # fmt: skip


def export_chunks(db: Session, scope: Scope, fmt: str, program, config) -> Iterator[str]:
    """The chosen export as CSV chunks."""
    from itertools import chain

    from flask_babel import get_locale

    from p4p.modules.reports import answers, redcap

    min_dose = config["COMPLETER_MIN_DOSE"]
    if fmt == "long":
        return csv_chunks(LONG_COLUMNS, long_rows(db, scope))
    if fmt == "summary":
        return csv_chunks(SUMMARY_COLUMNS, summary_rows(db, scope, min_dose))
    if fmt == "questionnaires":
        return csv_chunks(answers.LONG_COLUMNS, answers.long_rows(db, scope, program))
    fields = redcap.Fields(program, config["REDCAP_FIELD_PREFIX"])
    if fmt == "redcap":
        event = config["REDCAP_EVENT_NAME"]
        questionnaires = answers.redcap_columns(program)
        records = (
            [*record, *[""] * len(questionnaires)]
            for record in redcap.record_rows(db, scope, fields, event, min_dose)
        )
        rows = chain(records, answers.redcap_rows(db, scope, program, fields, event))
        return csv_chunks(fields.import_columns() + questionnaires, rows)
    if fmt == "redcap-dictionary":
        language = str(get_locale() or "en")
        rows = chain(fields.dictionary_rows(), answers.dictionary_rows(program, language))
        # Not neutralised, like `instruments export-redcap` (instruments/redcap.py says why):
        # the scores' "@READONLY" annotations are REDCap's to read, and the text is the study's.
        return csv_chunks(redcap.DICTIONARY_COLUMNS, rows, neutralised=False)
    raise ValueError(f"unknown export format {fmt!r}")


def export_filename(fmt: str, now: datetime) -> str:
    if fmt == "questionnaires":
        return f"p4p-questionnaires-{now:%Y%m%d-%H%M}.csv"
    return f"p4p-attendance-{fmt}-{now:%Y%m%d-%H%M}.csv"


def record_export(
    db: Session, *, fmt: str, filters: dict, actor_id: int | None, via: str, now: datetime
) -> None:
    """Write the export to the audit trail (who, when, which format and filters). The caller
    commits it before the first byte leaves (the request's end does, before streaming; the
    command line explicitly): data that left is on record even if the download breaks."""
    record(
        db,
        at=now,
        actor_id=actor_id,
        action="export",
        entity="export",
        entity_id=fmt,
        new={"format": fmt, "filters": filters, "via": via},
    )
    db.flush()
