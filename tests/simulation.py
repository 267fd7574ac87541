"""The world of the simulated trial: a real SMTP server and a local SMS API that note when each
message arrived (by the trial's clock), the study it starts from, and the people in it.

A slow wire stands for a slow mail or SMS provider: every message it takes costs SLOW_SECONDS of
real time (the senders' leases age in real time while a run goes on, so the slowness is real and
the lease is made short instead: see Trial.slow_tick_overtaken).
"""

import asyncio
import itertools
import re
import threading
import time as wallclock
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from smtp_server import SmtpServer, free_port

SLOW_SECONDS = 0.2  # per message on a slow wire


@dataclass(frozen=True)
class Delivered:
    """One message as the outside world received it."""

    channel: str  # email | sms
    to: str
    text: str
    subject: str
    provider_id: str
    at: datetime  # the trial's clock when it arrived
    run: int  # which scheduler step sent it: one step is one moment


class Wire:
    """What reached the SMTP server and the SMS API, in order, with the clock when it did."""

    def __init__(self, clock):
        self.clock, self.delivered, self.run = clock, [], 0
        self.slow = False
        self._lock = threading.Lock()

    def receive(self, channel: str, to: str, text: str, subject: str, provider_id: str) -> None:
        if self.slow:
            wallclock.sleep(SLOW_SECONDS)  # the provider takes its time before it answers
        with self._lock:
            self.delivered.append(Delivered(
                channel, to, text, subject, provider_id, self.clock(), self.run
            ))  # fmt: skip

    def reset(self) -> None:
        self.delivered.clear()
        self.run, self.slow = 0, False


class _SmtpInbox:
    def __init__(self, wire: Wire):
        self.wire, self.messages = wire, []

    async def handle_DATA(self, _server, _session, envelope):
        mail = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(mail)
        body = mail.get_body(("plain",))
        text = body.get_content() if body else ""
        # A held sender must not stop the server's event loop, or the other sender's mail waits.
        await asyncio.get_running_loop().run_in_executor(
            None,
            self.wire.receive,
            "email",
            str(mail["To"]),
            text,
            str(mail["Subject"]),
            str(mail["Message-ID"]),
        )
        return "250 OK"


def smtp_server(wire: Wire) -> SmtpServer:
    return SmtpServer(inbox=_SmtpInbox(wire))


class SmsApi:
    """A tiny threaded HTTP server answering like the provider's Messages API (a new sid each)."""

    def __init__(self, wire: Wire):
        serial = itertools.count(1)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                sid = f"SM{next(serial):06d}"
                wire.receive("sms", form.get("To", ""), form.get("Body", ""), "", sid)
                answer = f'{{"sid": "{sid}"}}'.encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.server.server_close()


def digits(phone: str | None) -> str:
    """The national number of a US phone, however it was written, to match texts to people."""
    return re.sub(r"\D", "", phone or "")[-10:]


# The study. The clock starts on Wednesday 10 March 2027, five days before the US change to
# daylight time (Sunday 14 March); Honolulu has no DST, so the two sites' gap changes then.
TRIAL_START = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)
SITES = {"North": "America/Chicago", "Islands": "Pacific/Honolulu"}


@dataclass(frozen=True)
class CohortPlan:
    site: str
    arm: str
    name: str
    start: date
    at: time


COHORTS = (
    # finished a week before the trial starts; its 2-month survey is already open
    CohortPlan("North", "keys_to_wellbeing", "North winter", date(2027, 1, 5), time(10, 0)),
    # in week 2 when the clock starts, then meets on both sides of the DST change
    CohortPlan("North", "partners4pain", "North spring", date(2027, 3, 2), time(18, 0)),
    CohortPlan("Islands", "keys_to_wellbeing", "Islands spring", date(2027, 3, 3), time(10, 0)),
    # starts after the DST change
    CohortPlan("Islands", "partners4pain", "Islands late spring", date(2027, 3, 17), time(17, 30)),
)
AREA_CODES = {"North": "312", "Islands": "808"}


@dataclass
class Person:
    """A participant as the model knows them: what they chose, not what the app stored."""

    participant_id: int
    user_id: int
    study_id: str
    cohort_id: int
    site: str
    email: str | None
    phone: str | None  # as typed at enrolment
    languages: list[tuple[datetime, str]]  # (since, language), oldest first
    email_on: bool = True
    sms_on: bool = True
    withdrawn: bool = False
    client: object = None  # a logged-in test client (by email, else by phone)

    def language_at(self, moment: datetime) -> str:
        return [language for since, language in self.languages if since <= moment][-1]

    @property
    def e164(self) -> str | None:
        return f"+1{digits(self.phone)}" if self.phone else None


@dataclass(frozen=True)
class StaffAction:
    """A change a staff member made that the app accepted; each needs its audit event."""

    actor_id: int
    entity: str
    entity_id: int
    at: datetime
    what: str


@dataclass
class Staff:
    coordinator_id: int
    coordinator: object
    facilitators: dict[str, tuple[int, object]] = field(default_factory=dict)  # site -> id, client
