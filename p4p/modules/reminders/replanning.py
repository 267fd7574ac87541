"""Which cohorts' reminders a change may alter, queued in the very transaction that changes them.

The planner re-plans a cohort when its turn comes round and as soon as something it reads for
that cohort changes (service.plan_changes). Rather than trust every service, present and future,
to say "re-plan this", one flush listener watches the rows the planner reads and queues their
cohorts as ReplanRequest rows: the change and its request commit together or not at all, and a
service written later cannot forget. A bulk UPDATE or DELETE bypasses the ORM's flush, so the
services write these tables through the ORM.

Only columns the planner reads count: a login touches its user row but changes no reminder.
"""

from collections.abc import Iterable

from sqlalchemy import event, insert, inspect, select, union
from sqlalchemy.orm import Session

from p4p.modules.auth.models import User
from p4p.modules.instruments.answer_models import InstrumentResponse
from p4p.modules.participants.models import Participant
from p4p.modules.practice.models import PracticeLog
from p4p.modules.reminders.models import ReminderPreference, ReplanRequest, SurveyCompletion
from p4p.modules.sites.models import Cohort, FacilitatorSite, Meeting, Site

# Per watched class, the columns whose change can change a reminder (None: any change does).
PLANNING_COLUMNS: dict[type, tuple[str, ...] | None] = {
    Meeting: ("cohort_id", "week", "starts_at", "status", "mode"),
    Cohort: ("site_id", "arm"),
    Site: ("timezone",),
    Participant: ("cohort_id", "arm", "enrolled_at", "withdrawn_at", "user_id"),
    User: ("active", "email", "phone"),
    ReminderPreference: None,
    PracticeLog: None,
    SurveyCompletion: None,
    InstrumentResponse: ("submitted_at",),
    FacilitatorSite: None,
}
IDS_PER_STATEMENT = 1_000  # a flush of a bulk import stays under every bind-parameter limit


class _Changed:
    """What one flush touched, by the ids that lead to cohorts."""

    def __init__(self) -> None:
        self.cohorts: set[int] = set()
        self.sites: set[int] = set()
        self.users: set[int] = set()
        self.participants: set[int] = set()

    def __bool__(self) -> bool:
        return bool(self.cohorts or self.sites or self.users or self.participants)

    def add(self, instance, *, new_or_deleted: bool) -> None:
        columns = PLANNING_COLUMNS[type(instance)]
        state = inspect(instance)
        if (
            not new_or_deleted
            and columns is not None
            and not any(state.attrs[column].history.has_changes() for column in columns)
        ):
            return
        if isinstance(instance, Meeting | Participant):
            self.cohorts.add(instance.cohort_id)
            # The cohort it left loses its reminders too.
            self.cohorts.update(old for old in state.attrs.cohort_id.history.deleted or ())
        elif isinstance(instance, Cohort):
            self.cohorts.add(instance.id)
        elif isinstance(instance, Site):
            self.sites.add(instance.id)
        elif isinstance(instance, FacilitatorSite):
            self.sites.add(instance.site_id)
        elif isinstance(instance, User):
            self.users.add(instance.id)
        elif isinstance(instance, ReminderPreference):
            self.users.add(instance.user_id)
        elif isinstance(instance, PracticeLog | SurveyCompletion | InstrumentResponse):
            self.participants.add(instance.participant_id)


def pieces(ids: Iterable[int | None], size: int = IDS_PER_STATEMENT) -> list[list[int]]:
    """These ids, once each and in order, in lists of at most `size` (a statement's IN list)."""
    known = sorted({i for i in ids if i is not None})
    return [known[start : start + size] for start in range(0, len(known), size)]


def _cohorts_of(changed: _Changed) -> list:
    """SELECTs of the cohort ids these changes lead to (cohorts that still exist)."""
    selects = []
    for ids in pieces(changed.cohorts):
        selects.append(select(Cohort.id).where(Cohort.id.in_(ids)))
    for ids in pieces(changed.participants):
        selects.append(select(Participant.cohort_id).where(Participant.id.in_(ids)))
    for ids in pieces(changed.users):
        selects.append(select(Participant.cohort_id).where(Participant.user_id.in_(ids)))
        # A facilitator's digests are planned with each cohort at their sites.
        facilitated = select(FacilitatorSite.site_id).where(FacilitatorSite.user_id.in_(ids))
        selects.append(select(Cohort.id).where(Cohort.site_id.in_(facilitated)))
    for ids in pieces(changed.sites):
        selects.append(select(Cohort.id).where(Cohort.site_id.in_(ids)))
    return selects


def _queue(connection, changed: _Changed) -> None:
    selects = _cohorts_of(changed)
    if selects:  # a UNION of one SELECT is that SELECT
        connection.execute(insert(ReplanRequest).from_select(["cohort_id"], union(*selects)))


def _after_flush(session: Session, _flush_context) -> None:
    changed = _Changed()
    for instances, new_or_deleted in (
        (session.new, True),
        (session.deleted, True),
        (session.dirty, False),
    ):
        for instance in instances:
            if type(instance) in PLANNING_COLUMNS:
                changed.add(instance, new_or_deleted=new_or_deleted)
    if changed:
        # Core, on the flush's own connection: the ORM may not be re-entered mid-flush.
        _queue(session.connection(), changed)


def init_app(app) -> None:
    event.listen(app.extensions["p4p.sessionmaker"], "after_flush", _after_flush)
