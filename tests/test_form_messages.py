"""Every form field answers bad input with p4p's own sentence, never WTForms' raw one.

Each form of the app is filled with empty, unreadable and overlong values in English and in
Spanish; no error may be one of WTForms' built-in messages ("Not a valid integer value.",
"No es una fecha válida.", "This field is required.", ...) in either language.
"""

import importlib
import inspect
import pkgutil
import re
from datetime import date
from pathlib import Path

import pytest
import wtforms
from babel.messages.pofile import read_po
from flask_babel import force_locale
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

import p4p.modules

WTFORMS_CATALOG = Path(wtforms.__file__).parent / "locale" / "es" / "LC_MESSAGES" / "wtforms.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%s")
# Bases that only subclasses with their fields are made from.
BASES = {"AssignmentFields", "_WithSites"}
BAD_VALUES = ["", "not-a-value?", "x" * 5000, "-1", "99999999999"]


def _raw_wtforms_messages() -> list[re.Pattern]:
    """WTForms' own messages, English and Spanish, as patterns (their %-values any text)."""
    with WTFORMS_CATALOG.open("rb") as source:
        catalog = read_po(source)
    texts = set()
    for message in catalog:
        for text in (message.id, message.string):
            texts.update([text] if isinstance(text, str) else text)
    texts.discard("")
    return [
        re.compile(".*".join(re.escape(part) for part in PLACEHOLDER.split(text)) + "$")
        for text in texts
    ]


def _all_forms() -> list[type]:
    for module in pkgutil.iter_modules(p4p.modules.__path__):
        try:
            importlib.import_module(f"p4p.modules.{module.name}.forms")
        except ModuleNotFoundError:
            continue
    importlib.import_module("p4p.forms")
    found, todo = [], list(FlaskForm.__subclasses__())
    while todo:
        form = todo.pop()
        todo.extend(form.__subclasses__())
        if form.__module__.startswith("p4p.") and form.__name__ not in BASES:
            found.append(form)
    return sorted(set(found), key=lambda form: form.__qualname__)


def _constructor_arguments(form: type, app) -> dict:
    program = app.extensions["p4p.program"]
    known = {
        "program": program,
        "arms": list(program.arms.values()),
        "sites": [],
        "cohorts": [],
        "staff": [],
        "today": date(2026, 3, 10),
        "earliest": date(2026, 2, 1),
        "meeting_dates": [],
        "email": None,
    }
    names = set()
    for klass in form.__mro__:
        if "__init__" in vars(klass):
            names.update(inspect.signature(klass.__init__).parameters)
    return {name: value for name, value in known.items() if name in names}


def _errors(form) -> list[str]:
    messages = []
    for field_errors in form.errors.values():
        for error in field_errors:
            messages.extend(error.values() if isinstance(error, dict) else [error])
    return [str(message) for message in messages]


FORMS = _all_forms()


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("form_class", FORMS, ids=[form.__name__ for form in FORMS])
def test_no_field_shows_a_raw_wtforms_message(app, form_class, language):
    raw = _raw_wtforms_messages()
    shown = set()
    with app.test_request_context("/", method="POST"), force_locale(language):
        field_names = list(
            form_class(formdata=None, **_constructor_arguments(form_class, app))._fields
        )
        for value in BAD_VALUES:
            data = MultiDict({name: value for name in field_names})
            form = form_class(formdata=data, **_constructor_arguments(form_class, app))
            for field in form:
                if getattr(field, "choices", ()) is None:  # some views give the choices
                    field.choices = [(1, "Known")]
            form.validate()
            shown.update(_errors(form))
    assert [text for text in sorted(shown) if any(p.match(text) for p in raw)] == [], form_class


@pytest.mark.parametrize(
    ("language", "expected", "raw"),
    [
        ("en", "Enter the minutes, from 1 to 240.", "Not a valid integer value."),
        ("es", "Escribe los minutos, de 1 a 240.", "No es un valor entero válido."),
    ],
)
def test_unreadable_minutes_get_the_fields_own_message_in_the_persons_language(
    factory, client, language, expected, raw
):
    from conftest import login

    participant = factory.participant(language=language)
    login(client, participant.user.email)
    response = client.post("/practice", data={"practiced_on": "2026-03-09", "minutes": "abc"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and expected in page and raw not in page
