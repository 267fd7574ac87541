"""A small study whose attendance is recorded through the real facilitator screens, so the
reports and exports can be checked against what the sheets say.

The clock stands at Tuesday 2026-03-10; the factory's cohorts started 15 days before, so
weeks 1-3 have met (Mondays Feb 23, Mar 2 and Mar 9) and weeks 4-9 are to come.
"""

import csv
import io
import re
from dataclasses import dataclass

from attendance_helpers import past_meeting, sheet_data
from conftest import login

from p4p.modules.participants.models import WeekProgress
from p4p.modules.practice.models import PracticeLog


def staff_client(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    return client


def mark(client, meeting, choices: dict[int, str]) -> None:
    """Take attendance on the facilitator's sheet (status per participant id)."""
    url = f"/staff/meetings/{meeting.id}/attendance"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data=sheet_data(page, choices))
    assert response.status_code == 302, response.get_data(as_text=True)


def make_up(client, participant, meeting, how="recording") -> None:
    made_up_on = meeting.starts_at.date().isoformat()
    response = client.post(
        f"/staff/participants/{participant.id}/makeup",
        data={"meeting_id": str(meeting.id), "made_up_on": made_up_on, "how": how},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def record_delivery(client, meeting, status="held") -> None:
    data = {"status": status, "actual_minutes": "90"} if status == "held" else {"status": status}
    response = client.post(f"/staff/meetings/{meeting.id}/delivery", data=data)
    assert response.status_code == 302


def practice(db, participant, day, minutes) -> None:
    db.add(
        PracticeLog(
            participant_id=participant.id,
            practiced_on=day,
            practice_type="body-scan",
            minutes=minutes,
            guided=False,
            created_at=participant.enrolled_at,
            updated_at=participant.enrolled_at,
        )
    )


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@dataclass
class Study:
    north: object
    south: object
    p4p: object  # North, Partners4Pain: amy, ben, cal
    ktw: object  # North, Keys to Wellbeing: dee, eve
    far: object  # South, Partners4Pain: fay
    amy: object
    ben: object
    cal: object
    dee: object
    eve: object
    fay: object
    north_facilitator: object
    south_facilitator: object
    coordinator: object


def build_study(app, factory, db, clock) -> Study:
    """Two sites, three cohorts, six people; weeks 1-3 recorded on the sheets:

    amy: present, present, left early                 -> attended 3, dose 3
    ben: late, absent (made up), excused              -> attended 1, make-ups 1, dose 2
    cal: absent, unmarked, absent; withdrawn          -> dose 0
    dee: present, present, (week 3 cancelled)         -> attended 2
    eve: absent, present, (week 3 cancelled); never set a password -> attended 1
    fay (South): present, unmarked, unmarked          -> attended 1
    Practice (today): amy 40 min, ben 20, dee 15. Weeks done: amy 1-2, dee 1.
    """
    north, south = factory.site("North"), factory.site("South", timezone="America/Los_Angeles")
    p4p = factory.cohort(site=north, name="North P4P")
    ktw = factory.cohort(site=north, arm="keys_to_wellbeing", name="North KtW")
    far = factory.cohort(site=south, name="South P4P")
    amy, ben, cal = (factory.participant(p4p) for _ in range(3))
    dee, eve = factory.participant(ktw), factory.participant(ktw)
    fay = factory.participant(far)
    north_facilitator, south_facilitator = factory.facilitator(north), factory.facilitator(south)
    sheets = staff_client(app, north_facilitator)
    week = {n: past_meeting(p4p, n) for n in (1, 2, 3)}
    mark(sheets, week[1], {amy.id: "present", ben.id: "late", cal.id: "absent"})
    mark(sheets, week[2], {amy.id: "present", ben.id: "absent"})
    mark(sheets, week[3], {amy.id: "left_early", ben.id: "excused", cal.id: "absent"})
    make_up(sheets, ben, week[2])
    for n in (1, 2, 3):
        record_delivery(sheets, week[n])
    mark(sheets, past_meeting(ktw, 1), {dee.id: "present", eve.id: "absent"})
    mark(sheets, past_meeting(ktw, 2), {dee.id: "present", eve.id: "present"})
    record_delivery(sheets, past_meeting(ktw, 3), "cancelled")
    mark(staff_client(app, south_facilitator), past_meeting(far, 1), {fay.id: "present"})
    today = clock().date()
    practice(db, amy, today, 30)
    practice(db, amy, today, 10)
    practice(db, ben, today, 20)
    practice(db, dee, today, 15)
    db.add(WeekProgress(participant_id=amy.id, week=1, completed_at=clock()))
    db.add(WeekProgress(participant_id=amy.id, week=2, completed_at=clock()))
    db.add(WeekProgress(participant_id=dee.id, week=1, completed_at=clock()))
    cal.withdrawn_at = clock()
    eve.user.activated_at = None
    db.commit()
    coordinator = factory.user("coordinator")
    return Study(north, south, p4p, ktw, far, amy, ben, cal, dee, eve, fay,
                 north_facilitator, south_facilitator, coordinator)  # fmt: skip


def table_row(page: str, label: str) -> list[str]:
    """The cells after the row header `label` (tags stripped), from the first such row."""
    start = page.index(f'<th scope="row">{label}')
    row = page[start : page.index("</tr>", start)]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]
