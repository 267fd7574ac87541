"""Builds the simulated trial's study through the app's services, and logs its people in."""

from datetime import datetime, time, timedelta

from argon2 import PasswordHasher
from simulation import AREA_CODES, COHORTS, SITES, Person, Staff

from p4p.modules.auth.service import create_user
from p4p.modules.participants.models import Participant
from p4p.modules.sites.service import assign_facilitator, create_cohort, create_site

PASSWORD = "simulated trial walk"
# One hash for every account of every example, made cheap (argon2 reads its cost from the hash),
# so logging a dozen people in per example does not dominate the run; the real login path runs.
PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)
# Per cohort: (language, has email, has phone) of its first people.
PEOPLE = (("en", True, True), ("es", True, False), ("es", False, True))


def login(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, f"{email} could not log in"
    return client


def give_password(db, user_id: int) -> None:
    """As if the person had used their invite link (the simulation has no mail reader)."""
    from p4p.modules.auth.models import User

    user = db.get(User, user_id)
    user.password_hash, user.activated_at = PASSWORD_HASH, user.created_at
    db.commit()


def _account(db, role: str, email: str | None, name: str, now, language="en", phone=None):
    user = create_user(
        db, email=email, name=name, role=role, now=now, language=language, phone=phone
    )
    user.password_hash, user.activated_at = PASSWORD_HASH, now
    return user


def build_study(app, db, now) -> tuple[Staff, list[Person], dict[int, str]]:
    """Two sites, four cohorts, people in English and Spanish by email and/or text, a
    facilitator per site and a coordinator. Returns the staff, the people, cohort -> site."""
    program = app.extensions["p4p.program"]
    sites = {
        name: create_site(db, name=name, timezone=zone, address=f"1 {name} St", now=now)
        for name, zone in SITES.items()
    }
    coordinator = _account(db, "coordinator", "coordinator@sim.example.org", "Cora Ordinator", now)
    facilitators = {}
    for name, site in sites.items():
        user = _account(db, "facilitator", f"facilitator.{name.lower()}@sim.example.org",
                        f"Fran {name}", now)  # fmt: skip
        assign_facilitator(db, user, site)
        facilitators[name] = user
    people, cohort_sites, serial = [], {}, 0
    for plan in COHORTS:
        cohort = create_cohort(
            db, program=program, site=sites[plan.site], arm=plan.arm, name=plan.name,
            start_date=plan.start, weekday=plan.start.weekday(), local_start_time=plan.at,
            now=now, location="Community room",
        )  # fmt: skip
        cohort_sites[cohort.id] = plan.site
        enrolled_at = datetime.combine(plan.start - timedelta(days=10), time(12), tzinfo=now.tzinfo)
        for language, has_email, has_phone in PEOPLE:
            serial += 1
            email = f"person{serial}@sim.example.org" if has_email else None
            phone = f"{AREA_CODES[plan.site]}-555-01{serial:02d}" if has_phone else None
            user = _account(db, "participant", email, f"Sam{serial} Person", now, language, phone)
            participant = Participant(
                user=user, study_id=f"SIM-{serial:03d}", arm=plan.arm, cohort=cohort,
                enrolled_at=enrolled_at,
            )  # fmt: skip
            db.add(participant)
            db.flush()
            people.append(
                Person(participant.id, user.id, participant.study_id, cohort.id, plan.site,
                       email, phone, [(now - timedelta(days=365), language)])
            )  # fmt: skip
    db.commit()
    staff = Staff(coordinator.id, login(app, coordinator.email))
    for name, user in facilitators.items():
        staff.facilitators[name] = (user.id, login(app, user.email))
    for person in people:
        person.client = login(app, person.email) if person.email else None
    return staff, people, cohort_sites
