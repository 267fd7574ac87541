"""p4p: delivers the Partners4Pain and Keys to Wellbeing programs."""

import os
from pathlib import Path

from flask import Flask

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent  # the checkout, when running from one


def resource_dir(name: str) -> Path:
    """templates, static, translations or migrations: inside the package when installed from a
    wheel (setup.py copies them there), else the checkout's top-level folder."""
    packaged = PACKAGE / name
    return packaged if packaged.is_dir() else ROOT / name


def installed() -> bool:
    """True for a wheel's copy of p4p (its templates travel inside it), not a checkout."""
    return (PACKAGE / "templates").is_dir()


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config, database, extensions, content, blueprints, CLI."""
    instance_path = (test_config or {}).get("INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=instance_path or _default_instance_path(),
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
    )
    from p4p import config, logs
    from p4p.db import BoundedIntConverter

    # Route ids like /staff/meetings/<int:meeting_id> stay within the schema's integer range.
    app.url_map.converters["int"] = BoundedIntConverter
    config.load_config(app, test_config)
    logs.init_app(app)  # before anything logs; its request timer is the first hook
    if test_config is None:  # a deployment (gunicorn, the flask CLI), not a test or the bench
        config.check_deployment(app, os.environ)
    _trust_proxy_hops(app)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    return app


def _trust_proxy_hops(app: Flask) -> None:
    """Behind P4P_PROXY_HOPS proxies, take the client's address and scheme from X-Forwarded-*.

    With 0 (no proxy) the headers are the client's own claim and are ignored, so nobody can
    pick their own login-throttling bucket; with 1 (nginx) the proxy's last entry is trusted.
    """
    from p4p.config import ConfigError

    hops = app.config["PROXY_HOPS"]
    if not isinstance(hops, int) or hops < 0:
        raise ConfigError(f"P4P_PROXY_HOPS must be 0 (no proxy) or more, not {hops!r}")
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask's documented way to add middleware; its stubs declare wsgi_app a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def _default_instance_path() -> str | None:
    """P4P_INSTANCE_PATH, else the checkout's instance/; installed, None lets Flask choose
    <venv>/var/p4p-instance (never a folder inside site-packages)."""
    if os.environ.get("P4P_INSTANCE_PATH"):
        return os.environ["P4P_INSTANCE_PATH"]
    return None if installed() else str(ROOT / "instance")


def register_extensions(app: Flask) -> None:
    from p4p import access, db, i18n, phones, security
    from p4p.clock import system_clock
    from p4p.extensions import babel, csrf, limiter, login_manager
    from p4p.i18n import select_locale, select_timezone
    from p4p.modules.auth import sessions as auth_sessions
    from p4p.modules.curriculum import service as curriculum
    from p4p.modules.reminders import replanning

    app.extensions["p4p.clock"] = app.config.get("CLOCK") or system_clock
    db.init_app(app)
    replanning.init_app(app)
    curriculum.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    i18n.init_app(app)
    phones.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    auth_sessions.init_app(app)  # before access: an expired session is logged out first
    access.init_app(app)


def register_blueprints(app: Flask) -> None:
    from p4p.modules.attendance.views import bp as attendance_bp
    from p4p.modules.audit.views import bp as audit_bp
    from p4p.modules.auth.views import bp as auth_bp
    from p4p.modules.calendars.views import bp as calendars_bp
    from p4p.modules.completion.views import bp as completion_bp
    from p4p.modules.enrolment.views import bp as enrolment_bp
    from p4p.modules.facilitators.views import bp as facilitators_bp
    from p4p.modules.home.views import bp as home_bp
    from p4p.modules.instruments.views import bp as instruments_bp
    from p4p.modules.participants.views import bp as participants_bp
    from p4p.modules.practice.views import bp as practice_bp
    from p4p.modules.reminders.views import bp as reminders_bp
    from p4p.modules.reports.views import bp as reports_bp
    from p4p.modules.sites.views import bp as sites_bp
    from p4p.modules.staff.views import bp as staff_bp

    for blueprint in (home_bp, auth_bp, participants_bp, practice_bp, attendance_bp, reminders_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(instruments_bp)  # participants' questionnaires
    app.register_blueprint(calendars_bp)  # participants and facilitators; the feed is public
    # The coordinator's screens (coordinators and admins; sites' settings for admins only).
    for blueprint in (sites_bp, facilitators_bp, enrolment_bp, audit_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(staff_bp)  # admins only: coordinator and admin accounts
    app.register_blueprint(reports_bp)  # every staff role; facilitators see their own sites
    app.register_blueprint(completion_bp)  # every staff role: questionnaires answered, by cohort


def register_commands(app: Flask) -> None:
    from p4p import cli

    cli.init_app(app)
