"""Facilitator accounts: who they are, which sites they serve, whether they may log in.

A facilitator sees only the sites listed here (see access.visible_site_ids), so every
change to the list is audited with the sites before and after.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from p4p.modules.audit.service import record, record_change
from p4p.modules.auth.accounts import create_staff_account
from p4p.modules.auth.models import Role, User
from p4p.modules.sites.models import FacilitatorSite, Site
from p4p.phones import to_e164


def _known_site_ids(db: Session, site_ids: list[int]) -> list[int]:
    if not site_ids:
        return []
    return sorted(db.scalars(select(Site.id).where(Site.id.in_(site_ids))))


def create_facilitator(
    db: Session,
    *,
    name: str,
    email: str,
    phone: str | None,
    site_ids: list[int],
    actor_id: int,
    now: datetime,
) -> User:
    """A facilitator account (no password until they use their invite) and its sites."""
    site_ids = _known_site_ids(db, site_ids)
    user = create_staff_account(
        db,
        name=name,
        email=email,
        phone=phone,
        role=Role.FACILITATOR,
        actor_id=actor_id,
        now=now,
        audit_extra={"site_ids": site_ids},
    )
    db.add_all(FacilitatorSite(user_id=user.id, site_id=site_id) for site_id in site_ids)
    db.flush()
    return user


def site_ids_of(db: Session, user_id: int) -> list[int]:
    """The ids of the sites this facilitator serves, in order."""
    return sorted(
        db.scalars(select(FacilitatorSite.site_id).where(FacilitatorSite.user_id == user_id))
    )


def set_facilitator_sites(
    db: Session, user: User, site_ids: list[int], *, actor_id: int, now: datetime
) -> bool:
    """Serve exactly these sites from now on; False (nothing written) when nothing changes."""
    old, new = site_ids_of(db, user.id), _known_site_ids(db, site_ids)
    if old == new:
        return False
    # Row by row, not a bulk DELETE: the reminder planner hears of a change through the flush
    # (reminders.replanning), and this one ends the facilitator's digests at those sites.
    for link in db.scalars(
        select(FacilitatorSite).where(
            FacilitatorSite.user_id == user.id, FacilitatorSite.site_id.not_in(new)
        )
    ):
        db.delete(link)
    db.add_all(
        FacilitatorSite(user_id=user.id, site_id=site_id) for site_id in new if site_id not in old
    )
    record(
        db,
        at=now,
        actor_id=actor_id,
        action="sites",
        entity="user",
        entity_id=user.id,
        old={"site_ids": old},
        new={"site_ids": new},
    )
    db.flush()
    return True


def update_facilitator_details(
    db: Session, user: User, *, name: str, phone: str | None, actor_id: int, now: datetime
) -> bool:
    """Correct a facilitator's name or phone; False (nothing written) when nothing changes.
    The email is their login and invite address, so it is not changed here."""
    phone = to_e164(phone)  # checked by the form; stored E.164, so a retyped number is no change
    name = name.strip()
    old, new = {"name": user.name, "phone": user.phone}, {"name": name, "phone": phone}
    user.name, user.phone = name, phone
    changed = record_change(
        db,
        at=now,
        actor_id=actor_id,
        action="update",
        entity="user",
        entity_id=user.id,
        old=old,
        new=new,
    )
    db.flush()
    return changed


def facilitator_or_404(db: Session, user_id: int) -> User:
    """A facilitator account; any other account or none is 404, as if it did not exist."""
    user = db.get(User, user_id)
    if user is None or user.role != Role.FACILITATOR:
        raise NotFound()
    return user


@dataclass(frozen=True)
class FacilitatorRow:
    user: User
    sites: list[Site]


def facilitator_rows(db: Session) -> list[FacilitatorRow]:
    """Every facilitator with their sites: two queries, whatever the numbers."""
    users = db.scalars(
        select(User).where(User.role == Role.FACILITATOR).order_by(User.active.desc(), User.name)
    ).all()
    sites_of: dict[int, list[Site]] = {user.id: [] for user in users}
    pairs = db.execute(
        select(FacilitatorSite.user_id, Site)
        .join(Site, Site.id == FacilitatorSite.site_id)
        .where(FacilitatorSite.user_id.in_(list(sites_of)))
        .order_by(Site.name)
    )
    for user_id, site in pairs:
        sites_of[user_id].append(site)
    return [FacilitatorRow(user, sites_of[user.id]) for user in users]
