"""Which writes change a participant's home page, and the version stamp they raise.

The home page is the most requested page, so a rendered copy is kept (p4p.page_cache) under the
participant's `User.home_version`, which the user loader reads on every request anyway: a kept
page costs no query at all. For that to be safe, every change to anything the page shows must
raise the version, in the same transaction as the change. Rather than trusting each service to
remember, one flush hook on the app's sessions does it for every ORM write:

- the participant's own rows: practice, action plans, weeks marked done, check-ins, their
  enrolment;
- their cohort's meetings and the cohort itself (every participant of the cohort);
- their site, whose name and timezone the page shows (every participant at the site).

Bulk UPDATE or DELETE statements on those tables bypass the flush, so they are refused outright
(a loud error in development, never a stale page in production).
"""

from itertools import chain

from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from p4p.modules.auth.models import User
from p4p.modules.participants.models import Participant, WeekProgress
from p4p.modules.practice.models import ActionPlan, PracticeLog, SelfCheck
from p4p.modules.sites.models import Cohort, Meeting, Site

PARTICIPANT_ROWS = (PracticeLog, ActionPlan, WeekProgress, SelfCheck)
HOME_PAGE_INPUTS = (*PARTICIPANT_ROWS, Participant, Meeting, Cohort, Site)


def changed_home_pages(objects) -> tuple[set[int], set[int], set[int]]:
    """The participants, cohorts and sites whose participants' home pages `objects` change."""
    participants, cohorts, sites = set(), set(), set()
    for obj in objects:
        if isinstance(obj, PARTICIPANT_ROWS):
            participants.add(obj.participant_id)
        elif isinstance(obj, Participant):
            participants.add(obj.id)
        elif isinstance(obj, Meeting):
            cohorts.add(obj.cohort_id)
        elif isinstance(obj, Cohort):
            cohorts.add(obj.id)
        elif isinstance(obj, Site):
            sites.add(obj.id)
    return participants - {None}, cohorts - {None}, sites - {None}


def raise_home_versions(session: Session, _flush_context) -> None:
    """After a flush (ids and foreign keys are set by then; new, dirty and deleted still list
    what was flushed): raise the home version of every participant the flush concerned."""
    participants, cohorts, sites = changed_home_pages(
        chain(session.new, session.dirty, session.deleted)
    )
    if not (participants or cohorts or sites):
        return
    cohorts_of_sites = select(Cohort.id).where(Cohort.site_id.in_(sites))
    users = select(Participant.user_id).where(
        or_(
            Participant.id.in_(participants),
            Participant.cohort_id.in_(cohorts),
            Participant.cohort_id.in_(cohorts_of_sites),
        )
    )
    session.connection().execute(
        update(User.__table__)
        .where(User.__table__.c.id.in_(users))
        .values(home_version=User.__table__.c.home_version + 1)
    )


def refuse_bulk_changes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and issubclass(mapper.class_, HOME_PAGE_INPUTS):
        raise RuntimeError(
            f"a bulk {'UPDATE' if state.is_update else 'DELETE'} of {mapper.class_.__name__} "
            "would not raise home versions; change the objects through the session instead"
        )


def init_app(app) -> None:
    sessions = app.extensions["p4p.sessionmaker"]
    event.listen(sessions, "after_flush", raise_home_versions)
    event.listen(sessions, "do_orm_execute", refuse_bulk_changes)
