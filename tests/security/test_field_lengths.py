"""No field takes an unbounded value, and no limiter key holds what was typed (issue 16, item 2).

The attack: logins with a 1.5 MB "email". It went whole into the per-account limiter key, and 20
of them held 63 MB for an hour.
"""

import importlib
import pkgutil

from wtforms import StringField

import p4p.modules
from p4p.extensions import limiter
from p4p.forms import Form

HUGE = "a" * 1_500_000 + "@example.org"  # over the 500 kB a form body may have
LONG = "b" * 100_000 + "@example.org"  # under it: the field's own message


def _limiter_keys():
    return list(limiter.storage.storage)


def test_a_huge_login_body_gets_a_413_page_not_a_500(client):
    for content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        response = client.post(
            "/login", data={"email": HUGE, "password": "x"}, content_type=content_type
        )
        assert response.status_code == 413, content_type
        page = response.get_data(as_text=True)
        assert "That upload is too large" in page and len(page) < 20_000
    assert all(len(key) < 100 for key in _limiter_keys())


def test_a_long_login_email_gets_a_field_message_and_short_limiter_keys(client):
    response = client.post("/login", data={"email": LONG, "password": "p" * 10_000})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Keep this to 254 characters." in page
    assert "Keep this to 128 characters." in page
    assert len(page) < 20_000  # the value is not echoed back whole
    # A wrong password for a real-length address: counted under a hash, not the address.
    client.post("/login", data={"email": "c" * 240 + "@example.org", "password": "wrong pass"})
    keys = _limiter_keys()
    assert keys and all(len(key) < 100 for key in keys), keys


def test_a_long_reset_email_gets_a_field_message(client):
    response = client.post("/reset", data={"email": LONG})
    assert response.status_code == 200
    assert "Keep this to 254 characters." in response.get_data(as_text=True)


def test_the_message_is_in_spanish_for_a_spanish_speaker(client):
    client.post("/language", data={"language": "es"})
    page = client.post("/login", data={"email": LONG, "password": "x"}).get_data(as_text=True)
    assert "254 caracteres" in page


def _all_form_classes():
    for module in pkgutil.iter_modules(p4p.modules.__path__):
        try:
            importlib.import_module(f"p4p.modules.{module.name}.forms")
        except ModuleNotFoundError:
            continue
    found, todo = set(), [Form]
    while todo:
        for subclass in todo.pop().__subclasses__():
            found.add(subclass)
            todo.append(subclass)
    return found


def test_every_text_field_of_every_form_is_bounded_first(app):
    """Each text field's first validator is the bound, so nothing else sees a longer value."""
    checked = 0
    with app.test_request_context(method="POST"):
        for form_class in _all_form_classes():
            try:
                form = form_class()
            except (TypeError, AttributeError):  # needs arguments (choices, the program)
                continue
            for field in form:
                if isinstance(field, StringField):
                    bound = field.validators[0]
                    assert type(bound).__name__ == "_LengthBound", (form_class, field.name)
                    assert bound.maximum <= 5000
                    checked += 1
    assert checked >= 25
