"""Which language and timezone a request is shown in."""

from flask import current_app, request, session
from flask_login import current_user
from markupsafe import Markup

from p4p.local_time import local_datetime

# Each language named in itself, so a person can find their own in a list (never translated).
LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    if session.get("language") in languages:
        return session["language"]
    return request.accept_languages.best_match(languages) or current_app.config["DEFAULT_LANGUAGE"]


def select_timezone() -> str:
    # Pages format meeting times with the site's own timezone explicitly; this is the fallback.
    return "UTC"


def init_app(app) -> None:
    """Template helpers: the page language, and dates shown in a site's own timezone."""
    from flask_babel import format_date, format_time, get_locale, get_translations, gettext

    # Flask-Babel's own lookup, on every call: the locale of the request (or of force_locale)
    # at that moment. Nothing is cached on the render: Jinja keeps macro modules imported
    # without context for the whole process, so a catalog kept on their context became the
    # language of everyone after the first person who rendered them. Jinja's newstyle
    # wrappers trust the translated text and escape the %-values when autoescaping.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: get_translations().ugettext(s),
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @app.context_processor
    def _language():
        return {"current_language": str(get_locale() or "en"), "language_names": LANGUAGE_NAMES}

    @app.template_filter("site_date")
    def site_date(moment, timezone: str, style: str = "full"):
        return format_date(local_datetime(moment, timezone).date(), style)

    @app.template_filter("site_time")
    def site_time(moment, timezone: str):
        return format_time(local_datetime(moment, timezone), "short", rebase=False)

    @app.template_filter("or_not_given")
    def or_not_given(value):
        """A contact detail, or a dash read out as "not given" (never Python's "None")."""
        if value is not None and value != "":
            return value
        hidden = '<span aria-hidden="true">—</span><span class="visually-hidden">%s</span>'
        return Markup(hidden) % gettext("not given")  # noqa: S704 - a constant; % escapes

    @app.template_filter("given_name")
    def _given_name(name):
        from p4p.names import given_name

        return given_name(name)

    @app.template_filter("day")
    def day(value, style: str = "full"):
        return format_date(value, style)

    @app.context_processor
    def _program_label():
        from p4p.modules.curriculum.service import get_program

        def program_label(arm_key: str) -> str:
            arms = get_program().arms
            return arms[arm_key].label if arm_key in arms else arm_key

        # The arm-neutral study name in the page's language: what participants see the app
        # called (staff pages keep "p4p").
        program, language = get_program(), str(get_locale() or "en")
        return {
            "program_label": program_label,
            "study_name": program.name_in(language),
            "study_short_name": program.name_in(language, short=True),
            # The one "When to get help" block (the same for every arm), its title for links.
            "safety_block": program.safety_in(language),
        }
