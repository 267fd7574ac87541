"""A deployment that is not the demo refuses settings that would fail quietly in production."""

import logging
import subprocess
from pathlib import Path

import pytest

from p4p import create_app, logs
from p4p.access import PUBLIC
from p4p.config import ConfigError

ROOT = Path(__file__).parent.parent


@pytest.fixture
def production_env(tmp_path, monkeypatch):
    """The environment of a real deployment (create_app() as gunicorn calls it), all set right."""
    for name in ("P4P_DEMO", "P4P_SECRET_KEY", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    settings = {
        "P4P_INSTANCE_PATH": str(tmp_path / "inst"),
        "P4P_DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "P4P_MAIL_BACKEND": "smtp",
        "P4P_SMS_BACKEND": "http",
        "P4P_BASE_URL": "https://p4p.example.org",
        "P4P_SESSION_COOKIE_SECURE": "true",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield monkeypatch
    # Such an app takes the root logger over (its stderr handler); give it back to pytest.
    root.handlers[:] = handlers
    root.setLevel(level)
    logs._applied = None


def test_a_correct_production_environment_starts(production_env):
    app = create_app()
    assert not app.debug and not app.testing
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("P4P_MAIL_BACKEND", "console"),
        ("P4P_SMS_BACKEND", "console"),
        ("P4P_SESSION_COOKIE_SECURE", "false"),
    ],
)
def test_a_setting_that_only_suits_the_demo_refuses_to_start(production_env, variable, value):
    production_env.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        create_app()


def test_an_insecure_cookie_is_allowed_on_plain_http(production_env):
    production_env.setenv("P4P_SESSION_COOKIE_SECURE", "false")
    production_env.setenv("P4P_BASE_URL", "http://10.0.0.5:8000")
    assert create_app().config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize("switch", ["P4P_DEMO", "FLASK_DEBUG"])
def test_the_demo_and_debug_mode_may_use_the_console_backends(production_env, switch):
    production_env.setenv("P4P_MAIL_BACKEND", "console")
    production_env.setenv("P4P_SMS_BACKEND", "console")
    production_env.setenv(switch, "1")
    assert create_app().config["MAIL_BACKEND"] == "console"


def test_make_run_starts_every_command_as_the_demo():
    dry_run = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    flask_lines = [line for line in dry_run.splitlines() if "--app p4p" in line]
    assert len(flask_lines) >= 4, dry_run  # db upgrade, seed-demo, scheduler, run
    assert all("P4P_DEMO=1" in line for line in flask_lines), dry_run


def test_an_unknown_p4p_variable_is_warned_about(production_env, capsys):
    production_env.setenv("P4P_MAIL_BACKND", "smtp")  # a typo: the setting would be ignored
    production_env.setenv("P4P_SIM_SEED", "1")  # the simulated trial's and the bench's own
    production_env.setenv("P4P_BENCH_NOW", "2026-03-10T15:00:00+00:00")
    capsys.readouterr()
    create_app()
    warnings = [line for line in capsys.readouterr().err.splitlines() if " WARNING " in line]
    assert any("P4P_MAIL_BACKND is not a p4p setting" in w for w in warnings), warnings
    assert len(warnings) == 1, warnings


def test_an_error_is_logged_by_flask_and_shown_without_a_trace(app, client, caplog):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret SQL detail")

    boom._p4p_roles = PUBLIC
    with pytest.raises(RuntimeError):  # testing: the exception reaches the test (or the debugger)
        client.get("/boom")
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.ERROR, logger="p4p"):
        response = client.get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "Something went wrong" in page
    assert "secret SQL detail" not in page and "Traceback" not in page
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 1 and "Exception on /boom [GET]" in logged[0].getMessage()
    assert isinstance(logged[0].exc_info[1], RuntimeError)
