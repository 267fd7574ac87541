"""No input makes a 500: random text and numbers into every participant form (hypothesis)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIELD_VALUES = st.one_of(
    st.text(max_size=300),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.sampled_from(["", " ", "0", "2026-02-30", "9999-12-31", "1e309", "NaN", "\x00", "<script>"]),
)

FORMS = {
    "/practice": [
        "practiced_on",
        "practice_type",
        "minutes",
        "guided",
        "pain_before",
        "pain_after",
        "note",
    ],
    "/weeks/3/plan": ["what", "how_much", "when", "how_often", "confidence"],
    "/weeks/3/plan/outcome": ["outcome"],
    "/questionnaires/peg/week-3/1": ["answer"],
    "/weeks/3/done": ["done"],
}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(sorted(FORMS)), data=st.data())
def test_random_form_input_never_causes_a_server_error(participant_client, path, data):
    form = {name: data.draw(FIELD_VALUES, label=name) for name in FORMS[path]}
    response = participant_client.post(path, data=form)
    assert response.status_code < 500, (path, form)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(email=st.text(max_size=300), password=st.text(max_size=300))
def test_random_login_input_never_causes_a_server_error(client, email, password):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code in (200, 302, 400)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    segment=st.text(min_size=1, max_size=60).filter(
        lambda s: "/" not in s and "?" not in s and "#" not in s
    )
)
def test_random_urls_never_cause_a_server_error(participant_client, segment):
    for path in (
        f"/weeks/{segment}",
        f"/practice/{segment}/edit",
        f"/invite/{segment}",
        f"/reset/{segment}",
    ):
        assert participant_client.get(path).status_code < 500


def test_nul_bytes_are_refused_on_every_database(participant_client):
    response = participant_client.post(
        "/weeks/3/plan",
        data={"what": "a\x00b", "how_much": "1", "when": "2", "how_often": "3", "confidence": "8"},
    )
    assert response.status_code == 400


def test_ids_beyond_the_schemas_integer_range_are_not_found(participant_client):
    huge = 2**31
    for path in (f"/practice/{huge}/edit", f"/staff/meetings/{huge}/attendance", f"/weeks/{huge}"):
        assert participant_client.get(path).status_code == 404, path
