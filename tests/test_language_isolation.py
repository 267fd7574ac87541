"""Each person sees only their own language, whoever rendered a shared macro first.

Macro modules imported without context are cached by Jinja for the process; a catalog kept on
their render context used to make the first language to render them everyone's language.
"""

from types import SimpleNamespace

import pytest
from conftest import login

from p4p.charts import bar_chart

# What each shared macro shows, in English and in Spanish (from the catalog).
EXPECTED = {
    "en": [
        "Please fix these and try again:",
        "This page was open too long. Please try again.",
        "Show the numbers",
        '<th scope="col">Week</th>',
        "Marked present, late or left early.",
        "A dose of at least 6 meetings",
    ],
    "es": [
        "Por favor, corrige esto y vuelve a intentarlo:",
        "Esta página estuvo abierta demasiado tiempo.",
        "Mostrar los números",
        '<th scope="col">Semana</th>',
        "Marcados como Presente, Tarde o Se fue temprano.",
        "Una dosis de al menos 6 reuniones",
    ],
}
ENGLISH_ONLY = ["Please fix these", "Show the numbers", ">Week<", "Marked present", "too long"]
SPANISH_ONLY = ["Por favor, corrige", "Mostrar los números", ">Semana<", "demasiado tiempo"]

PAGE = """
{%- from "macros/forms.html" import error_summary -%}
{%- from "macros/charts.html" import chart -%}
{%- from "reports/_macros.html" import definitions -%}
{{ error_summary(form) }}{{ chart(minutes, 'minutes') }}{{ definitions(6) }}
"""


class _Field:
    id, label = "number", SimpleNamespace(text="Number")


class _FormWithErrors:
    """What error_summary reads of a form: a field error and an expired CSRF token."""

    errors = {"number": ["wrong"]}
    csrf_token = SimpleNamespace(errors=["expired"])

    def __getitem__(self, name):
        return _Field()


def _render(app, language: str) -> str:
    minutes = bar_chart("Minutes", "min", [("1", 10), ("2", None)])
    headers = {"Accept-Language": language}
    with app.test_request_context("/", headers=headers):
        return app.jinja_env.from_string(PAGE).render(form=_FormWithErrors(), minutes=minutes)


def _assert_only(page: str, language: str) -> None:
    foreign = SPANISH_ONLY if language == "en" else ENGLISH_ONLY
    assert [text for text in foreign if text in page] == [], page
    own = EXPECTED[language]
    assert [text for text in own if text not in page] == [], page


@pytest.mark.parametrize("order", [("en", "es", "en"), ("es", "en", "es")])
def test_shared_macros_render_in_each_persons_own_language_in_either_order(app, order):
    for language in order:
        _assert_only(_render(app, language), language)


def _progress_page(app, factory, db, language):
    participant = factory.participant(language=language)
    client = app.test_client()
    login(client, participant.user.email)
    return client.get("/progress").get_data(as_text=True)


@pytest.mark.parametrize("first", ["en", "es"])
def test_two_people_in_one_process_each_see_their_language_on_real_pages(app, factory, db, first):
    second = "es" if first == "en" else "en"
    for language in (first, second, first):
        login_page = (
            app.test_client()
            .post("/login", data={"email": ""}, headers={"Accept-Language": language})
            .get_data(as_text=True)
        )
        summary = SPANISH_ONLY[0] if language == "es" else ENGLISH_ONLY[0]
        other = ENGLISH_ONLY[0] if language == "es" else SPANISH_ONLY[0]
        assert summary in login_page and other not in login_page
        progress = _progress_page(app, factory, db, language)
        numbers, foreign = (
            ("Mostrar los números", "Show the numbers")
            if language == "es"
            else ("Show the numbers", "Mostrar los números")
        )
        assert numbers in progress and foreign not in progress
