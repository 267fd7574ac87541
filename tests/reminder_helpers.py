"""Helpers for reminder tests: a cohort with one participant, planning and sending at a moment."""

import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

from smtp_server import free_port
from sqlalchemy import select

from p4p.modules.reminders.models import Reminder

# The factory's default cohort meets on Mondays at 10:00 in Chicago from 23 February 2026.
# Week 4 meets on Monday 16 March (CDT, UTC-5): 15:00 UTC. Its eve reminder is 18:00 on the 15th.
WEEK4_START = datetime(2026, 3, 16, 15, 0, tzinfo=UTC)
WEEK4_EVE = datetime(2026, 3, 15, 23, 0, tzinfo=UTC)


def enrolled(factory, db, phone=None):
    participant = factory.participant()
    participant.user.phone = phone
    db.commit()
    return participant


def plan_at(app, moment):
    from p4p.db import get_session
    from p4p.modules.reminders.service import plan

    with app.app_context():
        result = plan(get_session(), app.extensions["p4p.program"], moment, app.config)
        get_session().commit()  # as the scheduler tick does (reminders.tasks.plan_now)
        return result


def send_at(app, moment, worker="test-worker"):
    from p4p.db import get_session
    from p4p.modules.reminders.sending import send_due
    from p4p.modules.reminders.tasks import senders

    with app.app_context():
        return send_due(
            get_session(), app.extensions["p4p.program"], moment, senders(), worker, app.config
        )


def reminders(db, **filters):
    db.expire_all()
    query = select(Reminder).order_by(Reminder.key)
    for name, value in filters.items():
        query = query.where(getattr(Reminder, name) == value)
    return db.scalars(query).all()


def use_smtp(app, smtp):
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port)


class SmsProvider:
    """A local HTTP server that answers like an SMS provider's Messages API and keeps what it got."""

    def __init__(self, fail_with: int | None = None):
        self.received, self.fail_with = [], fail_with
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.received.append(
                    {"path": self.path, "auth": self.headers.get("Authorization"), **form}
                )
                status = provider.fail_with or 201
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"sid": "SM123"}' if status < 400 else b'{"message": "down"}')

            def log_message(self, *_args):
                pass

        self.port = free_port()
        self.server = HTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def configure(self, app):
        app.config.update(
            SMS_BACKEND="http",
            SMS_API_URL=f"http://127.0.0.1:{self.port}",
            SMS_ACCOUNT_SID="AC123",
            SMS_AUTH_TOKEN="secret",
            SMS_FROM="+15550001111",
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()


def post_sms_reply(client, app, data):
    """A text back, as the provider posts it: signed with the app's SMS auth token."""
    from werkzeug.datastructures import MultiDict

    from p4p.messaging.sms import provider_signature

    url = app.config["BASE_URL"].rstrip("/") + "/sms/inbound"
    signature = provider_signature(app.config["SMS_AUTH_TOKEN"], url, MultiDict(data))
    return client.post("/sms/inbound", data=data, headers={"X-Twilio-Signature": signature})
