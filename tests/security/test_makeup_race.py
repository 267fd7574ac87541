"""A make-up recorded while someone else records one or saves the sheet (issue 16, item 8):
real threads, each with its own client and database connection, started together. Every answer
is a page (a 409 like a stale sheet's, never a 500), and no mark is lost or doubled."""

import threading
from datetime import timedelta
from functools import partial

from attendance_helpers import past_meeting, sheet_data
from conftest import login
from sqlalchemy import select

from p4p.modules.attendance.models import Attendance

ROUNDS = 30


def _at_once(*requests):
    """Run the requests in threads released by one barrier; their status codes, in order (an
    exception, which the tests' app lets through instead of its 500 page, counts as a 500)."""
    barrier = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def run(index, request):
        barrier.wait()
        try:
            response = request()
            answers[index] = response.status_code
        except Exception:
            answers[index] = 500

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def test_racing_make_ups_and_sheet_saves_never_make_a_500(app, factory, db):
    site = factory.site()
    cohort = factory.cohort(site=site)
    people = [factory.participant(cohort) for _ in range(ROUNDS)]
    devices = []
    for _ in range(2):
        client = app.test_client()
        login(client, factory.facilitator(site).email)
        devices.append(client)
    meeting = past_meeting(cohort)
    sheet_url = f"/staff/meetings/{meeting.id}/attendance"
    made_up_on = (meeting.starts_at + timedelta(days=1)).date().isoformat()
    makeup = {"meeting_id": str(meeting.id), "made_up_on": made_up_on, "how": "recording"}
    statuses = []
    for round_number, person in enumerate(people):
        url = f"/staff/participants/{person.id}/makeup"
        first, second = devices
        if round_number % 2:  # a make-up against a sheet save marking the person late
            page = second.get(sheet_url).get_data(as_text=True)
            data = sheet_data(page, {person.id: "late"})
            data = {k: v for k, v in data.items() if k.endswith(f"-{person.id}")}
            answers = _at_once(
                partial(first.post, url, data=makeup), partial(second.post, sheet_url, data=data)
            )
        else:  # two make-ups for the same missed week
            answers = _at_once(
                partial(first.post, url, data=makeup),
                partial(second.post, url, data={**makeup, "how": "one_to_one"}),
            )
        codes = answers
        statuses.extend(codes)
        db.expire_all()
        rows = list(
            db.scalars(
                select(Attendance).where(
                    Attendance.meeting_id == meeting.id, Attendance.participant_id == person.id
                )
            )
        )
        assert len(rows) <= 1, (round_number, codes)
        if codes[0] == 302:  # the make-up was saved: it is there
            assert rows and rows[0].made_up_on is not None, (round_number, codes)
        if round_number % 2 and codes[1] == 302:  # the sheet was saved: its mark is there
            assert rows and rows[0].status == "late", (round_number, codes)
        if round_number % 2 == 0 and 302 in codes:  # one of the saved ones (both: the later)
            saved = {
                how
                for how, code in zip(("recording", "one_to_one"), codes, strict=True)
                if code == 302
            }
            assert rows[0].made_up_how in saved, (round_number, codes)
    print("answers:", {code: statuses.count(code) for code in set(statuses)})
    assert [code for code in statuses if code >= 500] == []
    assert set(statuses) <= {302, 409, 422}
