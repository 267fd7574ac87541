"""Work that waits until the response is delivered: sending the outbox rows a request wrote.

The rows are written in the request's transaction, which is committed before the response
goes out; they are tried from the response's close (`call_on_close`), in an app context and a
session of their own, with the outbox's usual claim. A rolled-back request left no row to
claim, so nothing is sent for it; a failed send is retried by the scheduler; and nothing here
can turn the request into an error, since its answer is already on its way.
"""

import logging

from flask import after_this_request, current_app, g, has_request_context

from p4p.clock import now
from p4p.db import session as db

log = logging.getLogger("p4p.reminders")


def run_after_response(job, *args) -> None:
    """Call job(*args) in an app context of its own once the current response is delivered.
    The job owns its transaction, as a scheduler tick does."""
    # The app itself, for the job's thread; Flask types current_app as the Flask object it
    # stands for, not as the proxy it is.
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            try:
                job(*args)
            except Exception:  # the answer has gone; the scheduler retries what is left
                log.exception("work after the response failed: %s", job.__name__)

    @after_this_request
    def on_close(response):
        response.call_on_close(run)
        return response


def send_after_response(reminder_id: int) -> None:
    """Try this row once the current response is delivered (outside a request: the scheduler's)."""
    if not has_request_context():
        return
    if "outbox_after_response" not in g:
        g.outbox_after_response = []
        run_after_response(send_now, g.outbox_after_response)
    g.outbox_after_response.append(reminder_id)


def send_now(reminder_ids: list[int]) -> None:
    """Send these rows (emails or texts) now if they are still planned; the scheduler retries
    failures."""
    from p4p.modules.reminders.sending import send_these
    from p4p.modules.reminders.tasks import senders, worker_name

    config = current_app.config
    program = current_app.extensions["p4p.program"]
    result = send_these(db, reminder_ids, now(), senders(), worker_name(), config, program)
    log.info(
        "after the response: sent %d, retrying %d, failed %d of %d",
        *(result.sent, result.retried, result.failed, len(reminder_ids)),
    )
