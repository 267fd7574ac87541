"""Helpers for the coordinator screens' tests: logged-in staff, valid form data, the audit trail,
roster files."""

import csv
import io
from contextlib import contextmanager

from conftest import login
from smtp_server import SmtpServer, free_port
from sqlalchemy import func, select

from p4p.modules.audit.models import AuditEvent
from p4p.modules.participants.models import Participant

# The study's settings and staff accounts: admins only (a coordinator gets 403).
ADMIN_ONLY_PAGES = [
    "/admin/sites/new",
    "/admin/sites/{site}/edit",
    "/admin/staff",
    "/admin/staff/new",
    "/admin/staff/{coordinator}",
]
ADMIN_ONLY_POSTS = [
    "/admin/sites/new",
    "/admin/sites/{site}/edit",
    "/admin/staff/new",
    "/admin/staff/{coordinator}",
    "/admin/staff/{coordinator}/deactivate",
    "/admin/staff/{coordinator}/reactivate",
    "/admin/staff/{coordinator}/sessions",
    "/admin/staff/{coordinator}/invite",
]
# The study's work: coordinators and admins, with the ids a small study (`small_study`) has.
COORDINATOR_PAGES = [
    "/admin/sites",
    "/admin/facilitators",
    "/admin/facilitators/new",
    "/admin/facilitators/{facilitator}",
    "/admin/cohorts",
    "/admin/cohorts/new",
    "/admin/cohorts/{cohort}",
    "/admin/meetings/{meeting}/move",
    "/admin/participants",
    "/admin/participants/new",
    "/admin/participants/{participant}",
    "/admin/roster",
    "/admin/roster/invites",
    "/admin/audit",
]
COORDINATOR_POSTS = [
    "/admin/facilitators/new",
    "/admin/facilitators/{facilitator}",
    "/admin/facilitators/{facilitator}/deactivate",
    "/admin/facilitators/{facilitator}/reactivate",
    "/admin/facilitators/{facilitator}/invite",
    "/admin/cohorts/new",
    "/admin/meetings/{meeting}/move",
    "/admin/meetings/{meeting}/mode",
    "/admin/participants/new",
    "/admin/participants/{participant}/assignment",
    "/admin/participants/{participant}/withdraw",
    "/admin/participants/{participant}/invite",
    "/admin/roster",
    "/admin/roster/invites",
]
ADMIN_PAGES = COORDINATOR_PAGES + ADMIN_ONLY_PAGES  # every page under /admin
ADMIN_POSTS = COORDINATOR_POSTS + ADMIN_ONLY_POSTS
ROSTER_HEADER = ["study_id", "name", "email", "phone", "language", "cohort"]


def small_study(factory) -> dict[str, int]:
    """A site with a facilitator and a cohort with one participant, and a coordinator: the ids
    the pages need."""
    participant = factory.participant()
    cohort = participant.cohort
    facilitator = factory.facilitator(cohort.site)
    return {
        "coordinator": factory.user("coordinator").id,
        "site": cohort.site.id,
        "cohort": cohort.id,
        "meeting": cohort.meetings[0].id,
        "participant": participant.id,
        "facilitator": facilitator.id,
    }


def invited_facilitator(factory, site):
    """A facilitator who has not set a password yet (so an invite link is what they need)."""
    from p4p.modules.sites.service import assign_facilitator

    user = factory.user("facilitator", password=None)
    assign_facilitator(factory.db, user, site)
    factory.db.commit()
    return user


def as_role(factory, client, role: str):
    """The client, logged in as a new account of this role."""
    response = login(client, factory.user(role).email)
    assert response.status_code == 302
    return client


def enrolment_form(cohort, **changes) -> dict[str, str]:
    data = {
        "study_id": "P4P-101",
        "name": "Rosa Martinez",
        "email": "rosa@example.org",
        "phone": "312-555-0142",
        "language": "es",
        "arm": cohort.arm,
        "cohort_id": str(cohort.id),
    }
    data.update(changes)
    return data


def events(db, action: str | None = None, entity: str | None = None) -> list[AuditEvent]:
    db.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    if entity:
        query = query.where(AuditEvent.entity == entity)
    return list(db.scalars(query))


def participant_count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count(Participant.id)))


def roster_csv(rows, header=ROSTER_HEADER, bom: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def roster_row(in_cohort, n: int, **changes) -> list[str]:
    """A good line of a roster file (cells as the file has them), with some cells changed."""
    row = {
        "study_id": f"R-{n:04d}",
        "name": f"Person {n}",
        "email": f"person{n}@example.org",
        "phone": "",
        "language": "en",
        "cohort": in_cohort.name,
    }
    row.update(changes)
    return [row[column] for column in ROSTER_HEADER]


def upload(client, data: bytes, filename: str = "roster.csv"):
    return client.post(
        "/admin/roster",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


@contextmanager
def real_smtp(app):
    """A real SMTP server on localhost that keeps what the app sends while the block runs."""
    with SmtpServer() as smtp:
        app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port)
        yield smtp


def smtp_down(app) -> None:
    """Point the app at a port where no mail server listens."""
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())
