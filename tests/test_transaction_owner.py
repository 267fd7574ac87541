"""One owner of the transaction (p4p.db): services flush and never commit; a request commits
once at its end, or rolls back on an exception or an error response; CLI commands and the
scheduler's sender commit. Every check reads through a fresh engine, so it sees only what was
committed, never what a session merely holds."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import PASSWORD, login
from flask import Blueprint
from reminder_helpers import WEEK4_EVE, enrolled
from sqlalchemy import create_engine, event, func, select

from p4p.access import public
from p4p.db import session as request_db
from p4p.modules.audit.models import AuditEvent
from p4p.modules.auth.models import User
from p4p.modules.participants.models import Participant, WeekProgress
from p4p.modules.participants.service import set_week_done
from p4p.modules.reminders.models import Reminder
from p4p.modules.sites.models import Site

MODULES = Path(__file__).resolve().parent.parent / "p4p" / "modules"
# The only modules that may commit: the scheduler's sender (one message per transaction), the
# reminder commands and scheduler tick, and the export command (its audit row before its output).
# The sender and the planner are the scheduler's units of work; the export command commits its
# audit row before its output; /reset's lookup runs after its response, in a session of its own.
MAY_COMMIT = {"reminders/sending.py", "reminders/tasks.py", "reports/cli.py", "auth/links.py"}


def committed(app, model) -> int:
    """How many rows of `model` another connection sees."""
    engine = create_engine(app.config["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(model))
    finally:
        engine.dispose()


def add_test_routes(app, participant_id: int) -> None:
    """Views that write through a real service (set_week_done used to commit), then fail."""
    bp = Blueprint("transaction_test", __name__)

    def _mark_week_2_done():
        participant = request_db.get(Participant, participant_id)
        set_week_done(request_db, participant, 2, True, participant.enrolled_at)

    @bp.route("/test/raises", methods=["POST"])
    @public
    def raises():
        _mark_week_2_done()
        raise RuntimeError("the view failed after the service flushed")

    @bp.route("/test/refused", methods=["POST"])
    @public
    def refused():
        _mark_week_2_done()
        return "the form has errors", 422

    @bp.route("/test/saved", methods=["POST"])
    @public
    def saved():
        _mark_week_2_done()
        return "saved", 200

    app.register_blueprint(bp)


@pytest.fixture
def routes(app, factory):
    participant = factory.participant()
    add_test_routes(app, participant.id)
    return app


def test_a_view_that_raises_after_a_service_flushed_leaves_nothing(routes, client):
    with pytest.raises(RuntimeError):
        client.post("/test/raises")
    assert committed(routes, WeekProgress) == 0


def test_an_unhandled_error_answered_as_500_leaves_nothing(routes, client):
    routes.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a 500 page, not a raise
    assert client.post("/test/raises").status_code == 500
    assert committed(routes, WeekProgress) == 0


def test_an_error_response_rolls_back_what_a_service_flushed(routes, client):
    assert client.post("/test/refused").status_code == 422
    assert committed(routes, WeekProgress) == 0


def test_a_successful_response_commits_what_a_service_flushed(routes, client):
    assert client.post("/test/saved").status_code == 200
    assert committed(routes, WeekProgress) == 1


def test_a_site_form_with_errors_saves_nothing(app, factory, client):
    login(client, factory.user("admin").email)
    events = committed(app, AuditEvent)
    response = client.post("/admin/sites/new", data={"name": "North", "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    assert committed(app, Site) == 0 and committed(app, AuditEvent) == events


def test_a_successful_post_is_committed_and_its_flash_survives(app, factory, client):
    login(client, factory.user("admin").email)
    data = {"name": "North", "timezone": "America/Chicago", "address": ""}
    response = client.post("/admin/sites/new", data=data, follow_redirects=True)
    assert response.status_code == 200 and "The site is saved." in response.get_data(as_text=True)
    assert committed(app, Site) == 1


def test_a_streamed_export_commits_its_audit_row_before_the_stream(app, factory, client):
    login(client, factory.user("coordinator").email)
    events = committed(app, AuditEvent)
    response = client.post("/reports/attendance.csv", data={"format": "long"})
    assert response.status_code == 200
    response.get_data()  # the stream runs after the commit; its reads still work
    assert committed(app, AuditEvent) == events + 1


def test_a_failing_commit_is_an_error_response_not_a_lost_change(app, factory, client):
    login(client, factory.user("admin").email)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def refuse(_session):
        raise RuntimeError("the database refused the commit")

    event.listen(app.extensions["p4p.sessionmaker"], "before_commit", refuse)
    data = {"name": "North", "timezone": "America/Chicago", "address": ""}
    assert client.post("/admin/sites/new", data=data).status_code == 500
    assert committed(app, Site) == 0


def test_no_module_commits_except_the_scheduler_and_the_commands():
    commits = re.compile(r"\.commit\(")
    found = {
        path.relative_to(MODULES).as_posix()
        for path in MODULES.rglob("*.py")
        if commits.search(path.read_text(encoding="utf-8"))
    }
    assert found - MAY_COMMIT == set(), "services and views flush; the request commits"
    assert found >= MAY_COMMIT, "an allowed module no longer commits: shorten MAY_COMMIT"


def test_a_cli_command_commits_its_change(app, runner):
    args = ["create-user", "--email", "a@example.org", "--name", "A", "--role", "admin"]
    result = runner.invoke(args=[*args, "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert committed(app, User) == 1


def test_the_reminder_plan_command_commits_what_it_planned(app, factory, db, runner):
    enrolled(factory, db)
    moment = (WEEK4_EVE - timedelta(hours=1)).isoformat()
    result = runner.invoke(args=["reminders", "plan", "--now", moment])
    assert result.exit_code == 0, result.output
    assert not result.output.startswith("planned 0 ")
    assert committed(app, Reminder) > 0
