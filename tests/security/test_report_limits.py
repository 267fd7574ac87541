"""Each staff member has their own budget of report pages and exports: one person pulling
them in a loop is refused with the house 429 page, while another coordinator, and every
participant, keeps being served."""

import pytest
from conftest import login
from reports_helpers import staff_client


@pytest.fixture
def app_config(app_config):
    return {**app_config, "REPORT_RATE_LIMIT": "3 per minute", "EXPORT_RATE_LIMIT": "2 per minute"}


def download(client, fmt: str = "long"):
    return client.post("/reports/attendance.csv", data={"format": fmt})


def test_exports_are_limited_per_person_not_per_address(app, factory, participant_client):
    first, second = factory.user("coordinator"), factory.user("coordinator")
    looping, other = staff_client(app, first), staff_client(app, second)
    statuses = [download(looping).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    # Every format counts against the same budget.
    assert download(looping, "summary").status_code == 429
    refused = download(looping)
    assert "Too many tries" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    # Same test client address, another person: their own budget.
    assert download(other).status_code == 200
    assert participant_client.get("/home").status_code == 200


def test_report_pages_share_one_budget_per_person(app, factory):
    looping = staff_client(app, factory.user("coordinator"))
    site = factory.site("North")
    paths = ["/reports/", f"/reports/sites/{site.id}", "/reports/", "/reports/"]
    assert [looping.get(path).status_code for path in paths] == [200, 200, 200, 429]
    # The export page and exports have their own budget.
    assert looping.get("/reports/exports").status_code == 200
    assert download(looping).status_code == 200


def test_logged_out_requests_are_sent_to_log_in_not_counted_against_staff(app, factory, client):
    coordinator = factory.user("coordinator")
    for _ in range(5):
        assert client.get("/reports/").status_code in (302, 401)
    looping = staff_client(app, coordinator)
    assert looping.get("/reports/").status_code == 200
    assert login(client, coordinator.email).status_code == 302
