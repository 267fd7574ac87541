"""Roster import: a CSV file of participants, checked as a whole, imported all or nothing.

Every row is judged by the same rules as the enrolment form, plus duplicates within the file
and against the database. One bad row imports nothing, and each problem names its line and
column, so the coordinator can fix the file and upload it again.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from p4p.modules.auth.accounts import clean_email, emails_in_use
from p4p.modules.curriculum.models import Program
from p4p.modules.enrolment.service import (
    Enrolment,
    add_participant,
    details_problems,
    finished_problem,
)
from p4p.modules.participants.models import Participant
from p4p.modules.sites.models import Cohort

COLUMNS = ("study_id", "name", "email", "phone", "language", "cohort")
MAX_ROWS = 2000
MAX_BYTES = 1024 * 1024  # 2,000 rows are about 200 KB; the app refuses any request over 2 MB
# The form's field names, as columns of the file.
COLUMN_OF_FIELD = {"cohort_id": "cohort", "arm": "cohort"}


@dataclass(frozen=True)
class RowProblem:
    line: int | None  # None: the file as a whole
    column: str | None
    message: str


class RosterRefused(Exception):
    def __init__(self, problems: list[RowProblem]):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


@dataclass(frozen=True)
class RosterRow:
    line: int
    enrolment: Enrolment
    cohort: Cohort | None


def _file_problem(message) -> RosterRefused:
    return RosterRefused([RowProblem(None, None, message)])


def read_rows(data: bytes) -> list[tuple[int, dict[str, str] | None]]:
    """(line number, cells by column) for each non-blank row, None for a row of the wrong
    length; RosterRefused for the file."""
    if len(data) > MAX_BYTES:
        raise _file_problem(_l("The file is larger than 1 MB. Split it into smaller files."))
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError as error:
        raise _file_problem(
            _l("The file is not UTF-8 text. In Excel, save it as “CSV UTF-8”.")
        ) from error
    if "\x00" in text:
        raise _file_problem(_l("The file is not a text file. Save it as CSV UTF-8."))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows, header, line = [], None, 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if header is None:
                    header = _checked_header(cells)
                else:
                    rows.append((line, cells))
                    if len(rows) > MAX_ROWS:
                        raise _file_problem(
                            _l("The file has more than %(n)d participants.", n=MAX_ROWS)
                        )
            line = reader.line_num + 1
    except csv.Error as error:
        raise RosterRefused(
            [RowProblem(line, None, _l("This line is not valid CSV (check the quotes)."))]
        ) from error
    if header is None or not rows:  # no header means no rows either
        raise _file_problem(_l("The file has no participants under its header line."))
    return [(line, _cells_by_column(header, cells)) for line, cells in rows]


def _checked_header(cells: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    if sorted(names) != sorted(COLUMNS):
        raise _file_problem(
            _l(
                "The first line must name these columns, separated by commas: %(columns)s.",
                columns=", ".join(COLUMNS),
            )
        )
    return names


def _cells_by_column(header: list[str], cells: list[str]) -> dict[str, str] | None:
    if len(cells) != len(header):
        return None
    return {name: cell.strip() for name, cell in zip(header, cells, strict=True)}


def check_roster(
    db: Session,
    data: bytes,
    program: Program,
    now: datetime | None = None,
    finished_ok: bool = False,
) -> list[RosterRow]:
    """Every row as an Enrolment, or RosterRefused naming each bad line and column."""
    rows = read_rows(data)
    cohorts = _cohorts_by_name(db)
    problems, checked = [], []
    for line, cells in rows:
        if cells is None:
            message = _l("This line needs exactly %(n)d cells.", n=len(COLUMNS))
            problems.append(RowProblem(line, None, message))
            continue
        row, row_problems = _check_row(line, cells, cohorts, program)
        finished = None if finished_ok or row_problems else finished_problem(row.cohort, now)
        if finished:
            row_problems.append(RowProblem(line, "cohort", finished))
        checked.append(row)
        problems.extend(row_problems)
    problems.extend(_duplicates(db, checked))
    if problems:
        raise RosterRefused(
            sorted(problems, key=lambda p: (p.line or 0, COLUMNS.index(p.column or "study_id")))
        )
    return checked


def _cohorts_by_name(db: Session) -> dict[str, list[Cohort]]:
    by_name = defaultdict(list)
    # Meetings and site too: a finished cohort is found from them without a query per row.
    query = select(Cohort).options(selectinload(Cohort.meetings), selectinload(Cohort.site))
    for cohort in db.scalars(query):
        by_name[cohort.name.strip().lower()].append(cohort)
    return by_name


def _check_row(line, cells, cohorts, program) -> tuple[RosterRow, list[RowProblem]]:
    problems = []
    found = cohorts.get(cells["cohort"].lower(), [])
    cohort = found[0] if len(found) == 1 else None
    enrolment = Enrolment(
        study_id=cells["study_id"],
        name=cells["name"],
        email=clean_email(cells["email"]),
        phone=cells["phone"] or None,
        language=cells["language"].lower(),
        arm=cohort.arm if cohort else next(iter(program.arms)),  # the cohort gives the arm
        cohort_id=cohort.id if cohort else None,
    )
    for field, message in details_problems(enrolment, cohort, program).items():
        if field not in ("cohort_id", "arm"):
            problems.append(RowProblem(line, COLUMN_OF_FIELD.get(field, field), message))
    if not cells["cohort"]:
        problems.append(RowProblem(line, "cohort", _l("Name the cohort.")))
    elif not found:
        problems.append(RowProblem(line, "cohort", _l("No cohort has this name.")))
    elif len(found) > 1:
        problems.append(RowProblem(line, "cohort", _l("Several cohorts have this name.")))
    return RosterRow(line, enrolment, cohort), problems


def _duplicates(db: Session, rows: list[RosterRow]) -> list[RowProblem]:
    """Study IDs and emails seen twice in the file, or already in the study: two queries."""
    problems = []
    first_line: dict[tuple[str, str], int] = {}
    for row in rows:
        for column, value in (("study_id", row.enrolment.study_id), ("email", row.enrolment.email)):
            if not value:
                continue
            key = (column, value.lower())
            if key in first_line:
                message = _l("The same value is on line %(n)d.", n=first_line[key])
                problems.append(RowProblem(row.line, column, message))
            else:
                first_line[key] = row.line
    study_ids = [value for column, value in first_line if column == "study_id"]
    emails = [value for column, value in first_line if column == "email"]
    taken_ids = (
        set(
            db.scalars(
                select(func.lower(Participant.study_id)).where(
                    func.lower(Participant.study_id).in_(study_ids)
                )
            )
        )
        if study_ids
        else set()
    )
    taken_emails = emails_in_use(db, emails)
    for (column, value), line in first_line.items():
        if column == "study_id" and value in taken_ids:
            problems.append(RowProblem(line, column, _l("Another participant has this study ID.")))
        if column == "email" and value in taken_emails:
            problems.append(RowProblem(line, column, _l("Another account has this email.")))
    return problems


def import_roster(
    db: Session,
    data: bytes,
    *,
    program: Program,
    actor_id: int,
    now: datetime,
    finished_ok: bool = False,
) -> list[Participant]:
    """Check the whole file, then enrol every row in one transaction (one audit event each).
    A row into a finished cohort is refused by line unless `finished_ok` (the upload's box)."""
    rows = check_roster(db, data, program, now, finished_ok)
    try:
        participants = [
            add_participant(
                db,
                row.enrolment,
                cast(Cohort, row.cohort),  # check_roster() refused every row without one
                actor_id=actor_id,
                now=now,
                source="roster",
            )
            for row in rows
        ]
        db.flush()
    except IntegrityError as error:
        db.rollback()  # another import or form took one of these a moment ago
        raise _file_problem(
            _l("Someone saved one of these participants a moment ago. Upload the file again.")
        ) from error
    return participants
