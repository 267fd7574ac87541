"""The form fuzz over every POST route of app.url_map (issue 16, item 8): as every role, with
form, JSON and multipart bodies of hostile values; no answer is a 5xx and no NUL is stored.
(CSRF is off in the tests' settings, so the values reach the forms.)"""

import io
import json

import pytest
from conftest import login
from coordinator_helpers import small_study
from sqlalchemy import String, Text, select
from test_form_messages import FORMS
from wtforms.fields.core import UnboundField

from p4p.db import Base

HOSTILE = ["a\x00b", "x" * 20000, "²", "١٢", "\r\nSet-Cookie: x=1", "\u202eabc", "", " ",
           "-1", "99999999999999999999", "2026-02-30", "<script>", "\ud7ff\ufffd"]  # fmt: skip
JSON_VALUES = [{"a": [1, {"b": None}]}, [1, 2], None, True, 1e308, "a\x00b"]


def _field_names() -> list[str]:
    names = {"status-1", "mode-1", "note-1", "version-1", "action", "next", "language", "file"}
    # The contact page's three forms are prefixed (they share one page): their names as posted.
    names.update({"email-email", "phone-phone", "code-code", "channel"})
    for form in FORMS:
        names.update(n for n in dir(form) if isinstance(getattr(form, n, None), UnboundField))
    return sorted(names)


def _post_paths(app, ids) -> list[str]:
    """Every POST route, built with the small study's ids (the staff accounts' pages with its
    coordinator, so they reach their forms)."""
    values = {"site_id": ids["site"], "cohort_id": ids["cohort"], "meeting_id": ids["meeting"],
              "participant_id": ids["participant"], "user_id": ids["facilitator"], "week": 3,
              "months": 3, "reminder_id": 1, "token": "x", "entry_id": 1, "log_id": 1}  # fmt: skip
    paths = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            arguments = {name: values.get(name, 1) for name in rule.arguments}
            if rule.endpoint.startswith("staff."):
                arguments["user_id"] = ids["coordinator"]
            paths.append(rule.build(arguments)[1])
    return sorted(paths)


def _no_nul_stored(db):
    db.expire_all()
    for table in Base.metadata.sorted_tables:
        texts = [c for c in table.columns if isinstance(c.type, String | Text)]
        for row in db.execute(select(*texts)) if texts else ():
            assert not any(isinstance(v, str) and "\x00" in v for v in row), table.name


@pytest.mark.parametrize(
    "role", ["anonymous", "participant", "facilitator", "coordinator", "admin"]
)
def test_every_post_route_takes_hostile_bodies_without_a_5xx(app, factory, db, role):
    ids = small_study(factory)
    client = app.test_client()
    if role == "participant":
        login(client, factory.participant().user.email)
    elif role != "anonymous":
        login(client, factory.user(role).email)
    names = _field_names()
    failures = []
    for path in _post_paths(app, ids):
        bodies = [{"data": {name: value for name in names}} for value in HOSTILE]
        bodies += [
            {
                "data": json.dumps({name: value for name in names}),
                "content_type": "application/json",
            }
            for value in JSON_VALUES
        ]
        bodies += [
            {"data": {name: (io.BytesIO(b"a\x00b\xff"), "x.csv") for name in names},
             "content_type": "multipart/form-data"},
            {"data": b"\xff\xfe\x00garbage", "content_type": "text/plain"},
            {"data": b"\xff\xfe\x00=&&==garbage", "content_type": "application/x-www-form-urlencoded"},
        ]  # fmt: skip
        for body in bodies:
            response = client.post(path, **body)
            if response.status_code >= 500:
                failures.append((path, response.status_code, str(body)[:80]))
    assert failures == []
    _no_nul_stored(db)
