"""Which language and timezone a request is shown in."""

from flask import current_app, g, request, session
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

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


def _local(moment, timezone: str):
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(timezone))


def _translations():
    """The current language's catalog, looked up once per request and language.

    Flask-Babel resolves it afresh for every string; a page has a hundred strings, and that
    lookup was a fifth of the participant home page's time. force_locale (reminders) swaps
    the locale object Flask-Babel keeps on `g._flask_babel`, so the cache is keyed by it; if
    that attribute ever moves, this falls back to the ordinary lookup on every call.
    """
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    cached = g.get("_p4p_translations")
    if locale is not None and cached is not None and cached[0] is locale:
        return cached[1]
    from flask_babel import get_locale, get_translations

    translations = get_translations()
    g._p4p_translations = (get_locale(), translations)
    return translations


def _render_translations(eval_context):
    """The catalog, kept on the render's EvalContext: Jinja makes one per render (and per
    include), and a render runs under one locale, so each looks it up once."""
    try:
        return eval_context.p4p_translations
    except AttributeError:
        eval_context.p4p_translations = _translations()
        return eval_context.p4p_translations


@pass_eval_context
def template_gettext(eval_context, string: str, **variables) -> str:
    text = _render_translations(eval_context).ugettext(string)
    if eval_context.autoescape:
        text = Markup(text)  # noqa: S704 - our own catalog; the values are escaped by %
    return text % variables  # always, as Jinja's newstyle gettext does ("%%" becomes "%")


@pass_eval_context
def template_ngettext(eval_context, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    text = _render_translations(eval_context).ungettext(singular, plural, num)
    if eval_context.autoescape:
        text = Markup(text)  # noqa: S704 - our own catalog; the values are escaped by %
    return text % variables


def init_app(app) -> None:
    """Template helpers: the page language, and dates shown in a site's own timezone."""
    from flask_babel import format_date, format_time, get_locale

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # `_()` and `gettext()` are most of a page's calls. Jinja's newstyle wrappers reach the
    # function through three context.call layers; these do the same in one (the translated
    # text is trusted, the variables are escaped by Markup's %), a third of a page's render.
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext,
                                 ngettext=template_ngettext)  # fmt: skip

    @app.context_processor
    def _language():
        return {"current_language": str(get_locale() or "en"), "language_names": LANGUAGE_NAMES}

    @app.template_filter("site_date")
    def site_date(moment, timezone: str, style: str = "full"):
        return format_date(_local(moment, timezone).date(), style)

    @app.template_filter("site_time")
    def site_time(moment, timezone: str):
        return format_time(_local(moment, timezone), "short", rebase=False)

    @app.template_filter("day")
    def day(value, style: str = "full"):
        return format_date(value, style)

    @app.context_processor
    def _program_label():
        from p4p.modules.curriculum.service import get_program

        def program_label(arm_key: str) -> str:
            arms = get_program().arms
            return arms[arm_key].label if arm_key in arms else arm_key

        return {"program_label": program_label}
