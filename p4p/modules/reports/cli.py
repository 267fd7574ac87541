"""`flask --app p4p export attendance --format ...`: the web exports, on standard output.

The command line has no logged-in user: whoever can run it on the server can read the
database anyway, so it sees every site. It validates the filters with the same form as the
web and writes the same audit event, naming the operating-system account.
"""

import getpass

import click
from flask import current_app
from flask.cli import AppGroup
from werkzeug.datastructures import MultiDict

from p4p.clock import now
from p4p.db import session as db
from p4p.modules.curriculum.service import get_program
from p4p.modules.reports import exports
from p4p.modules.reports.forms import ExportForm, filter_form

export_cli = AppGroup("export", help="Export study data as CSV.")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"


@export_cli.command("attendance")
@click.option("--format", "fmt", type=click.Choice(exports.FORMATS), required=True)
@click.option("--site", help="A site's id.")
@click.option("--arm", help="A program's key, e.g. partners4pain.")
@click.option("--cohort", help="A cohort's id.")
@click.option("--since", help="First local date, YYYY-MM-DD.")
@click.option("--until", help="Last local date, YYYY-MM-DD.")
def export_attendance(fmt, site, arm, cohort, since, until):
    """Write attendance as CSV (long, summary, redcap or redcap-dictionary) to standard output."""
    given = {"format": fmt, "site": site, "arm": arm, "cohort": cohort}
    given.update(since=since, until=until)
    args = MultiDict({name: value for name, value in given.items() if value is not None})
    program = get_program()
    # A request context, so the form, gettext and lazy strings work as they do on the web.
    with current_app.test_request_context():
        form = filter_form(db, None, args, program, ExportForm, meta={"csrf": False})
        if not form.validate():
            problems = [
                f"--{name}: {' '.join(str(m) for m in messages)}"
                for name, messages in form.errors.items()
            ]
            raise click.UsageError("; ".join(problems))
        moment = now()
        exports.record_export(
            db,
            fmt=fmt,
            filters=form.filters().as_dict(),
            actor_id=None,
            via=f"command line ({_os_user()})",
            now=moment,
        )
        db.commit()  # on record before the first byte leaves
        scope = form.scope(None, moment)
        for chunk in exports.export_chunks(db, scope, fmt, program, current_app.config):
            click.echo(chunk, nl=False)
