"""A participant's own practice log comes in pages, newest first, with plain links between them."""

import re
from datetime import timedelta

import pytest
from conftest import login
from sqlalchemy import select

from p4p.modules.practice.models import PracticeLog
from p4p.modules.practice.service import PRACTICE_PAGE_SIZE

ENTRY = re.compile(r"entry (\d+)\b")
PAGER_LINK = re.compile(r'<a href="([^"]+)" rel="(prev|next)">([^<]+)</a>')


def _log(db, participant, how_many: int, clock, first: int = 0) -> None:
    """Entries numbered in their notes; three a day going back from today, so some days hold
    several entries and the order within a day (the latest logged first) is tested too."""
    for n in range(first, first + how_many):
        db.add(
            PracticeLog(
                participant_id=participant.id,
                practiced_on=clock().date() - timedelta(days=(n % 21)),
                practice_type="body-scan",
                minutes=10,
                guided=False,
                note=f"entry {n}",
                created_at=clock(),
                updated_at=clock(),
            )
        )
    db.commit()


def _newest_first(db, participant) -> list[int]:
    rows = db.scalars(select(PracticeLog).where(PracticeLog.participant_id == participant.id)).all()
    ordered = sorted(rows, key=lambda r: (r.practiced_on, r.id), reverse=True)
    return [int(ENTRY.search(r.note).group(1)) for r in ordered]


def _shown(client, query: str = "") -> tuple[list[int], dict[str, tuple[str, str]], str]:
    response = client.get(f"/practice{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    links = {
        rel: (href.replace("&amp;", "&"), text) for href, rel, text in PAGER_LINK.findall(page)
    }
    return [int(n) for n in ENTRY.findall(page)], links, page


def test_entries_come_newest_first_in_pages_linked_to_older_and_newer(
    db, clock, participant, participant_client
):
    _log(db, participant, 2 * PRACTICE_PAGE_SIZE + 5, clock)
    order = _newest_first(db, participant)

    first, links, page = _shown(participant_client)
    assert first == order[:PRACTICE_PAGE_SIZE]
    assert set(links) == {"next"}  # nothing is newer than the first page
    assert links["next"] == ("/practice?page=2", "Older entries")
    assert 'aria-label="Pages of what I have logged"' in page
    assert "Page 1 of 3" in page and f"Newest first: 1–20 of {len(order)}" in page

    second, links, page = _shown(participant_client, "?page=2")
    assert second == order[PRACTICE_PAGE_SIZE : 2 * PRACTICE_PAGE_SIZE]
    assert links == {
        "prev": ("/practice?page=1", "Newer entries"),
        "next": ("/practice?page=3", "Older entries"),
    }

    last, links, page = _shown(participant_client, links["next"][0].removeprefix("/practice"))
    assert last == order[2 * PRACTICE_PAGE_SIZE :] and len(last) == 5
    assert set(links) == {"prev"}  # nothing is older than the last page
    assert "Page 3 of 3" in page
    assert first + second + last == order  # every entry once, none lost at a boundary


def test_one_page_of_entries_shows_no_page_links(db, clock, participant, participant_client):
    _log(db, participant, PRACTICE_PAGE_SIZE, clock)
    shown, links, page = _shown(participant_client)
    assert shown == _newest_first(db, participant)
    assert links == {} and "Page 1 of 1" not in page and "Newest first" not in page


@pytest.mark.parametrize(
    ("query", "expected_page"),
    [
        ("?page=0", 1),
        ("?page=-1", 1),
        ("?page=x", 1),
        ("?page=", 1),
        ("?page=2.5", 1),
        ("?page=4", 3),  # one past the end
        (f"?page={10**30}", 3),
    ],
)
def test_a_page_number_that_is_not_a_page_shows_the_first_or_the_last(
    db, clock, participant, participant_client, query, expected_page
):
    """As every paged list here does (p4p.pagination): not a positive whole number means the
    first page; a number past the end, the last page."""
    _log(db, participant, 2 * PRACTICE_PAGE_SIZE + 5, clock)
    order = _newest_first(db, participant)
    shown, _links, page = _shown(participant_client, query)
    start = (expected_page - 1) * PRACTICE_PAGE_SIZE
    assert shown == order[start : start + PRACTICE_PAGE_SIZE]
    assert f"Page {expected_page} of 3" in page


def test_only_the_participants_own_entries_are_counted_and_shown(
    app, db, clock, factory, participant, participant_client
):
    other = factory.participant(participant.cohort)
    _log(db, other, 3 * PRACTICE_PAGE_SIZE, clock, first=1000)
    _log(db, participant, 3, clock)
    shown, links, _page = _shown(participant_client)
    assert sorted(shown) == [0, 1, 2] and links == {}


def test_the_pages_and_their_links_are_in_spanish_for_a_spanish_speaker(db, clock, factory, client):
    participant = factory.participant(language="es")
    _log(db, participant, PRACTICE_PAGE_SIZE + 1, clock)
    login(client, participant.user.email)
    _shown_first, links, page = _shown(client)
    assert links["next"][1] == "Registros más antiguos"
    assert 'aria-label="Páginas de lo que he anotado"' in page
    assert "Página 1 de 2" in page
    _shown_second, links, _page = _shown(client, "?page=2")
    assert links["prev"][1] == "Registros más recientes"


def test_the_practice_page_runs_the_same_queries_with_30_and_300_entries(
    db, clock, participant, participant_client, count_queries
):
    def measure() -> dict[str, int]:
        counts = {}
        for query in ("", "?page=2", "?page=999"):
            with count_queries() as counter:
                assert participant_client.get(f"/practice{query}").status_code == 200
            counts[query] = counter.count
        return counts

    _log(db, participant, 30, clock)
    small = measure()
    _log(db, participant, 270, clock, first=30)
    large = measure()
    assert small == large, (small, large)
