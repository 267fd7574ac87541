"""Builds the simulated trial's study through the app's services, and logs its people in."""

from datetime import UTC, datetime

from argon2 import PasswordHasher
from simulation import AREA_CODES, COHORTS, SITES, TRIAL_START, Person, Staff

from p4p.modules.auth.service import create_user
from p4p.modules.participants.models import Participant
from p4p.modules.sites.service import assign_facilitator, create_cohort, create_site

PASSWORD = "simulated trial walk"
SETUP_AT = datetime(2026, 12, 20, 15, 0, tzinfo=UTC)  # before the first cohort starts
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


def enrol(app, coordinator, data: dict) -> int | None:
    """Enrol one participant as the coordinator does (the enrolment page); their id, or None
    when the app refused (the page is then returned with 4xx)."""
    response = coordinator.post("/admin/participants/new", data=data)
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    if response.status_code != 302:
        return None
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def build_study(app, db, clock) -> tuple[Staff, list[Person], dict[int, str]]:
    """Two sites, four cohorts, people in English and Spanish by email and/or text, a
    facilitator per site and a coordinator. Returns the staff, the people, cohort -> site.

    The first people are enrolled through the enrolment page (so their phones are stored as the
    app stores typed phones) at SETUP_AT, before any cohort starts; then the clock is set to the
    trial's start."""
    clock.at = SETUP_AT
    now = clock()
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
    cohorts = [
        create_cohort(
            db,
            program=program,
            site=sites[plan.site],
            arm=plan.arm,
            name=plan.name,
            start_date=plan.start,
            weekday=plan.start.weekday(),
            local_start_time=plan.at,
            now=now,
            location="Community room",
        )  # fmt: skip
        for plan in COHORTS
    ]
    db.commit()
    staff = Staff(coordinator.id, login(app, coordinator.email))
    people, serial = [], 0
    for plan, cohort in zip(COHORTS, cohorts, strict=True):
        for language, has_email, has_phone in PEOPLE:
            serial += 1
            email = f"person{serial}@sim.example.org" if has_email else None
            phone = f"{AREA_CODES[plan.site]}-555-01{serial:02d}" if has_phone else None
            data = {"study_id": f"SIM-{serial:03d}", "name": f"Sam{serial} Person",
                    "email": email or "", "phone": phone or "", "language": language,
                    "arm": plan.arm, "cohort_id": str(cohort.id)}  # fmt: skip
            participant_id = enrol(app, staff.coordinator, data)
            assert participant_id, f"the study's setup could not enrol {data}"
            participant = db.get(Participant, participant_id)
            give_password(db, participant.user_id)
            people.append(
                Person(participant_id, participant.user_id, data["study_id"], cohort.id,
                       plan.site, email, phone, [(now, language)])
            )  # fmt: skip
    clock.at = TRIAL_START
    for name, user in facilitators.items():
        staff.facilitators[name] = (user.id, login(app, user.email))
    for person in people:  # a phone-only person logs in with their phone, as they typed it
        person.client = login(app, person.email or person.phone)
    return (
        staff,
        people,
        {cohort.id: plan.site for plan, cohort in zip(COHORTS, cohorts, strict=True)},
    )
