"""No input makes a 500 on the coordinator's screens: random text into every form, filter and
roster upload (hypothesis)."""

import pytest
from coordinator_helpers import as_role, small_study, upload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIELD_VALUES = st.one_of(
    st.text(max_size=200),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.sampled_from(
        ["", " ", "0", "1", "2026-02-30", "0001-01-01", "9999-12-31", "25:61", "23:59", "NaN"]
        + ["<script>", "video", "in_person", "partners4pain", "es", "America/Chicago"]
        + ["javascript:alert(1)", "https://x.org", "a@b.co", "../../etc/passwd", "\u202e"]
    ),
)

FORMS = {
    "/admin/sites/new": ["name", "timezone", "address"],
    "/admin/sites/{site}/edit": ["name", "timezone", "address"],
    "/admin/cohorts/new": [
        "site_id",
        "arm",
        "name",
        "start_date",
        "weekday",
        "local_start_time",
        "duration_minutes",
        "location",
        "video_link",
    ],
    "/admin/meetings/{meeting}/move": ["move-date", "move-time", "move-reason"],
    "/admin/meetings/{meeting}/mode": ["mode-mode", "mode-video_link", "mode-reason"],
    "/admin/participants/new": [
        "study_id",
        "name",
        "email",
        "phone",
        "language",
        "arm",
        "cohort_id",
    ],
    "/admin/participants/{participant}/assignment": [
        "assign-arm",
        "assign-cohort_id",
        "assign-reason",
    ],
    "/admin/participants/{participant}/withdraw": ["withdraw-reason"],
    "/admin/facilitators/new": ["name", "email", "phone", "site_ids", "send_invite"],
    "/admin/facilitators/{facilitator}": ["site_ids"],
    "/admin/staff/new": ["name", "email", "role"],
    "/admin/staff/{coordinator}": ["role"],
}
FILTERS = {
    "/admin/participants": ["site", "cohort", "arm", "status", "page"],
    "/admin/cohorts": ["site", "arm"],
    "/admin/audit": ["participant", "cohort", "actor", "since", "until", "page"],
    "/admin/participants/new": ["cohort"],
}
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def study(factory, client):
    ids = small_study(factory)
    as_role(factory, client, "admin")  # admins reach every form: the settings too
    return client, ids


@FUZZ
@given(path=st.sampled_from(sorted(FORMS)), data=st.data())
def test_random_form_input_never_causes_a_server_error(study, path, data):
    client, ids = study
    form = {name: data.draw(FIELD_VALUES, label=name) for name in FORMS[path]}
    form = {name: value for name, value in form.items() if "\x00" not in value}
    response = client.post(path.format(**ids), data=form)
    assert response.status_code < 500, (path, form)


@FUZZ
@given(path=st.sampled_from(sorted(FILTERS)), data=st.data())
def test_random_filters_never_cause_a_server_error(study, path, data):
    client, _ids = study
    query = {name: data.draw(FIELD_VALUES, label=name) for name in FILTERS[path]}
    query = {name: value for name, value in query.items() if "\x00" not in value}
    assert client.get(path, query_string=query).status_code in (200, 422), (path, query)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    content=st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=2000).map(lambda text: text.encode("utf-8")),
        st.lists(st.lists(st.text(max_size=30), max_size=8), max_size=20).map(
            lambda rows: "\n".join(
                ",".join(cell.replace("\n", " ") for cell in row)
                for row in [["study_id", "name", "email", "phone", "language", "cohort"], *rows]
            ).encode("utf-8")
        ),
    )
)
def test_random_roster_files_never_cause_a_server_error(study, content):
    client, _ids = study
    assert upload(client, content).status_code in (302, 422)
