"""Spanish for every participant: a complete catalog, Spanish weeks, Spanish reminders, a switch."""

import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from conftest import login
from sqlalchemy import select

from p4p.modules.practice.models import ActionPlan

ROOT = Path(__file__).parent.parent
CATALOG = ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Every user-facing string in the code and templates now, extracted as `make messages` does."""
    target = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(target),
            "--no-location",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with target.open("rb") as source:
        return {message.id for message in read_po(source) if message.id}


@pytest.fixture(scope="module")
def spanish():
    with CATALOG.open("rb") as source:
        return {message.id: message for message in read_po(source) if message.id}


def test_every_string_is_in_the_spanish_catalog(extracted, spanish):
    missing = sorted(extracted - set(spanish))
    assert missing == [], (
        f"{len(missing)} strings not in the catalog; run `make messages`: {missing[:10]}"
    )


def test_no_message_hides_inside_an_f_string():
    """The extractor does not look inside an f-string's braces: a message there reaches the
    catalog only by hand, and is lost the next time the catalog is made (a Spanish calendar
    once said "group session")."""
    hidden = re.compile(r"\{\s*(_|_l|gettext|ngettext|lazy_gettext)\(")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "p4p").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if hidden.search(line) and re.search(r"\bf[\"']", line)
    ]
    assert found == []


def _forms(text) -> tuple:
    """A message's text, or each of its plural forms."""
    return tuple(text) if isinstance(text, tuple | list) else (text or "",)


def test_every_spanish_entry_is_translated_and_not_fuzzy(spanish):
    untranslated = [m.id for m in spanish.values() if not all(_forms(m.string)) or m.fuzzy]
    assert untranslated == [], f"{len(untranslated)} untranslated or fuzzy: {untranslated[:10]}"


def test_translations_keep_every_placeholder(spanish):
    def placeholders(text) -> list[str]:
        # A plural's forms may count with %(num)d or not; together they keep every one.
        return sorted({p for form in _forms(text) for p in PLACEHOLDER.findall(form)})

    broken = [m.id for m in spanish.values() if placeholders(m.id) != placeholders(m.string)]
    assert broken == []


def _spanish_participant(factory, db):
    participant = factory.participant()
    participant.user.language = "es"
    db.commit()
    return participant


def test_a_spanish_speaking_participant_sees_the_app_and_their_week_in_spanish(
    app, factory, db, client
):
    participant = _spanish_participant(factory, db)
    login(client, participant.user.email)
    home = client.get("/home").get_data(as_text=True)
    assert '<html lang="es">' in home
    assert "Esta semana" in home and "Mi progreso" in home and "This week" not in home
    spanish_title = app.extensions["p4p.program"].arm("partners4pain").week(1, "es").title
    english_title = app.extensions["p4p.program"].arm("partners4pain").week(1, "en").title
    week = client.get("/weeks/1").get_data(as_text=True)
    assert spanish_title in week and english_title not in week
    assert "Hagámoslo juntos" in week
    assert re.search(r"(lunes|martes|miércoles|jueves|viernes|sábado|domingo)", home)


def test_the_browser_language_then_the_switch_choose_the_login_page_language(client):
    english = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in english
    spanish = client.get("/login", headers={"Accept-Language": "es-MX,es;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="es">' in spanish and "Iniciar sesión" in spanish or "Entrar" in spanish
    response = client.post("/language", data={"language": "es", "next": "/login"})
    assert response.headers["Location"] == "/login"
    assert '<html lang="es">' in client.get("/login").get_data(as_text=True)
    assert client.post("/language", data={"language": "xx"}).status_code == 400


def test_the_switch_remembers_the_language_on_the_account(factory, db, client):
    participant = factory.participant()
    login(client, participant.user.email)
    client.post("/language", data={"language": "es", "next": "/home"})
    db.expire_all()
    assert participant.user.language == "es"


def test_reminders_are_written_in_the_recipients_language(app, factory, db):
    from reminder_helpers import WEEK4_EVE, plan_at, send_at, use_smtp
    from smtp_server import SmtpServer

    _spanish_participant(factory, db)
    plan_at(app, WEEK4_EVE - timedelta(hours=1))
    with SmtpServer() as smtp:
        use_smtp(app, smtp)
        send_at(app, WEEK4_EVE)
    eve = [m for m in smtp.messages if "mañana" in m["Subject"].lower()]
    assert eve, [m["Subject"] for m in smtp.messages]
    assert "lunes" in eve[0].get_body(("plain",)).get_content()


def test_confidence_can_be_given_in_words(db, participant_client):
    plan = {
        "what": "Caminar",
        "how_much": "10 minutos",
        "when": "en la mañana",
        "how_often": "4 días",
        "confidence_word": "somewhat",
    }
    response = participant_client.post("/weeks/3/plan", data=plan, follow_redirects=True)
    assert db.scalar(select(ActionPlan.confidence)) == 6
    assert "smaller" in response.get_data(as_text=True)  # under 7 still suggests a smaller plan
    missing = participant_client.post("/weeks/3/plan", data={**plan, "confidence_word": ""})
    assert missing.status_code == 422 and "or choose words" in missing.get_data(as_text=True)


def test_the_demo_has_a_spanish_speaking_participant(runner, client):
    from p4p.demo import DEMO_PASSWORD

    runner.invoke(args=["seed-demo"])
    login(client, "participante.es@example.org", DEMO_PASSWORD)
    assert '<html lang="es">' in client.get("/home").get_data(as_text=True)


def test_template_strings_are_translated_and_their_values_escaped(app):
    """The template `_()` (Flask-Babel's lookup in Jinja's newstyle wrapper) must translate,
    escape what is put into the text but not the text itself, and not escape plain-text
    templates (the reminder e-mails)."""
    from flask_babel import force_locale

    html = app.jinja_env.from_string('{{ _("Welcome to %(program)s", program=name) }}')
    text = app.jinja_env.from_string(
        '{% autoescape false %}{{ _("Welcome to %(program)s", program=name) }}{% endautoescape %}'
    )
    with app.test_request_context("/"):
        assert html.render(name="<b>Keys</b>") == "Welcome to &lt;b&gt;Keys&lt;/b&gt;"
        assert text.render(name="<b>Keys</b>") == "Welcome to <b>Keys</b>"
        with force_locale("es"):
            assert html.render(name="Llaves") == "Te damos la bienvenida a Llaves"
        # Back in English: the locale's own catalog, not the one cached while in Spanish.
        assert html.render(name="Keys") == "Welcome to Keys"
