"""Helpers for the facilitator tests: a site with a cohort in week 3 and its facilitator."""

import re
from datetime import UTC, datetime, time

from conftest import login


def setup_site(factory, client, people=3, arm="partners4pain"):
    site = factory.site()
    cohort = factory.cohort(site=site, arm=arm)
    participants = [factory.participant(cohort) for _ in range(people)]
    facilitator = factory.facilitator(site)
    login(client, facilitator.email)
    return site, cohort, participants, facilitator


def past_meeting(cohort, week=2):
    return next(m for m in cohort.meetings if m.week == week)


def versions(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(version-\d+)" value="(\d+)"', page))


def sheet_data(page: str, choices: dict[int, str], **extra) -> dict:
    data = {name: value for name, value in versions(page).items()}
    for pid, status in choices.items():
        data[f"status-{pid}"] = status
    data.update(extra)
    return data


def at(day, hour=12):
    return datetime.combine(day, time(hour), tzinfo=UTC)
