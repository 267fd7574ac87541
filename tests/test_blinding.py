"""Blinding: a participant never meets the other arm's name, its Spanish gloss or its key.

For each arm and language a participant of that arm logs in, and the test crawls every page
they can reach (every link from /home, every week, progress, practice, check-in, reminders,
the help page, error pages, the stylesheet, script and icon those pages load), the pages
before login, and every message a participant can get (each reminder kind by email and SMS,
the invite and reset emails through a real SMTP server, the stop pages). Each is searched,
case-insensitively and markup included (comments, attributes, <title>, alt texts, headers),
for the other arm's names. "p4p" is refused for both arms: it is the app's working name and an
abbreviation of Partners4Pain, so participants get the arm-neutral study name instead.
"""

import re
from collections import deque
from datetime import UTC, datetime, time, timedelta
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from conftest import login
from smtp_server import SmtpServer

from p4p import create_app
from p4p.modules.reminders.models import Reminder

ARMS = ("partners4pain", "keys_to_wellbeing")
LANGUAGES = ("en", "es")
BASE = "http://study.test"

# What would tell a participant of one arm about the other (regular expressions, any case).
# The boundaries keep "p4p" from matching inside a longer word.
NAMES = {
    "partners4pain": [
        r"partners\s*-?\s*4\s*-?\s*pain",
        r"partners\s+for\s+pain",
        r"(?<![a-z0-9])p4p(?![a-z0-9])",
    ],
    "keys_to_wellbeing": [
        r"keys[\s_-]*to[\s_-]*well[\s_-]*being",
        r"(?:llaves|claves)\s+(?:para|del?)\s+(?:el\s+)?bienestar",
        r"(?<![a-z0-9])ktw(?![a-z0-9])",
    ],
}
OTHER = {"partners4pain": "keys_to_wellbeing", "keys_to_wellbeing": "partners4pain"}
# The app's working name: no participant sees it, whatever their arm.
APP_NAME = r"(?<![a-z0-9])p4p(?![a-z0-9])"


def forbidden_for(arm: str) -> list[str]:
    return [*NAMES[OTHER[arm]], APP_NAME]


def _without_random_tokens(text: str) -> str:
    """Signed tokens are random letters; by chance one could spell "p4p"."""
    text = re.sub(r'(name="csrf_token"[^>]*value=")[^"]*', r"\1TOKEN", text)
    text = re.sub(r'(value=")[^"]*("[^>]*name="csrf_token")', r"\1TOKEN\2", text)
    return re.sub(r"/(stop|invite|reset)/[\w.~-]+", r"/\1/TOKEN", text)


def leaks(text: str, arm: str) -> list[str]:
    text = _without_random_tokens(text)
    found = []
    for pattern in forbidden_for(arm):
        for match in re.finditer(pattern, text, re.IGNORECASE):
            start = max(match.start() - 60, 0)
            found.append(f"{match.group(0)!r} in ...{text[start : match.end() + 60]!r}...")
    return found


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "src"):
            if attrs.get(name):
                self.urls.append(attrs[name])
        if (
            tag == "form"
            and (attrs.get("method") or "get").lower() == "get"
            and attrs.get("action")
        ):
            self.urls.append(attrs["action"])


def _local_paths(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    paths = []
    for url in parser.urls:
        url = urldefrag(url)[0]
        parts = urlsplit(url)
        if parts.scheme in ("tel", "mailto", "sms"):
            continue
        if parts.netloc and f"{parts.scheme}://{parts.netloc}" != BASE:
            continue
        if parts.path.startswith("/"):
            paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths


def crawl(client, starts: list[str], arm: str) -> dict[str, int]:
    """GET every local page reachable from the starts; fail on any leak. Returns path -> status."""
    seen: dict[str, int] = {}
    queue = deque(starts)
    problems = []
    while queue:
        path = queue.popleft()
        if path in seen or len(seen) > 300:
            continue
        response = client.get(path)
        seen[path] = response.status_code
        assert response.status_code < 500, f"{path} answered {response.status_code}"
        if 300 <= response.status_code < 400:
            queue.append(urlsplit(response.headers["Location"]).path)
            continue
        body = response.get_data(as_text=True)
        problems += [f"{path}: {leak}" for leak in leaks(body, arm)]
        if response.mimetype == "text/html":
            queue.extend(p for p in _local_paths(body) if not p.startswith("/staff"))
    assert not problems, "\n".join(problems)
    return seen


@pytest.fixture
def study_app(app_config):
    # A study's own address: the tests' default host (p4p.test) would itself be a leak.
    app_config["BASE_URL"] = BASE
    app = create_app(app_config)
    yield app
    from tests_cleanup import empty_tables

    empty_tables(app)


def _enrol(app, arm, language, *, email="person@example.org", phone="+15550001234"):
    from conftest import Factory

    from p4p.db import get_session

    with app.app_context():
        db = get_session()
        factory = Factory(app, db, app.extensions["p4p.clock"])
        # Started 60 days ago: all nine weeks are open, so every week page is the full one.
        start = app.extensions["p4p.clock"]().date() - timedelta(days=60)
        cohort = factory.cohort(arm=arm, start=start, at=time(10, 0), name="Tuesday group")
        participant = factory.participant(cohort, email=email, language=language)
        participant.user.phone = phone
        db.commit()
        return participant.id, participant.user.id


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("arm", ARMS)
def test_no_participant_page_names_the_other_arm(study_app, arm, language):
    app = study_app
    program = app.extensions["p4p.program"]
    _enrol(app, arm, language)
    client = app.test_client()
    assert login(client, "person@example.org").status_code == 302
    first_type = program.arm(arm).week(1, language).practice_types[0].key
    today = app.extensions["p4p.clock"]().date().isoformat()
    logged = client.post(
        "/practice",
        data={
            "practiced_on": today,
            "practice_type": first_type,
            "minutes": "10",
            "guided": "guided",
            "pain_before": "5",
            "pain_after": "4",
            "note": "ok",
        },
    )
    assert logged.status_code == 302
    weeks = [f"/weeks/{n}" for n in program.arm(arm).weeks]
    extra_weeks = [f"/weeks/{len(weeks) + 1}", "/weeks/99"]
    errors = ["/no-such-page", "/staff/outbox", "/staff/sites", "/practice/999999/edit"]
    seen = crawl(
        client,
        [
            "/",
            "/home",
            *weeks,
            *extra_weeks,
            "/progress",
            "/practice",
            "/check-in",
            "/preferences",
            "/help",
            *errors,
        ],
        arm,
    )
    assert all(seen.get(w) == 200 for w in weeks), seen
    assert len(seen) >= 15, seen
    # A week with a form sent back with errors shows the same page with messages.
    invalid_plan = client.post("/weeks/1/plan", data={"what": ""})
    assert not leaks(invalid_plan.get_data(as_text=True), arm)


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_before_login_are_arm_neutral(study_app, language):
    client = study_app.test_client()
    client.post("/language", data={"language": language})
    for arm in ARMS:  # nobody is known yet: neither arm may be named
        crawl(
            client,
            ["/", "/login", "/reset", "/invite/not-a-token", "/reset/not-a-token", "/no-such-page"],
            arm,
        )


def _render_500(app, language) -> str:
    from flask import render_template
    from flask_babel import force_locale

    with app.test_request_context("/home"), force_locale(language):
        return render_template("errors/error.html", code=500, title="Something went wrong")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("arm", ARMS)
def test_no_participant_message_names_the_other_arm(study_app, arm, language):
    from p4p.db import get_session
    from p4p.modules.auth.links import queue_link
    from p4p.modules.auth.models import TokenPurpose, User
    from p4p.modules.reminders.after_response import send_now
    from p4p.modules.reminders.messages import render, stop_token
    from p4p.modules.sites.models import Meeting

    app = study_app
    participant_id, user_id = _enrol(app, arm, language)
    moment = datetime(2026, 3, 15, 23, 0, tzinfo=UTC)
    texts = {"error 500": _render_500(app, language)}
    with app.app_context():
        db = get_session()
        meeting = db.query(Meeting).filter_by(week=4).join(Meeting.cohort).first()
        payload = {
            "participant_id": participant_id,
            "meeting_id": meeting.id,
            "week": 4,
            "months": 2,
        }
        for kind in (
            "meeting-eve",
            "meeting-soon",
            "meeting-moved",
            "week-open",
            "practice",
            "survey",
        ):
            for channel in ("email", "sms"):
                reminder = Reminder(
                    key=f"{kind}:blinding:{channel}",
                    user_id=user_id,
                    kind=kind,
                    channel=channel,
                    payload=payload,
                    due_at=moment,
                    expires_at=moment,
                    created_at=moment,
                    updated_at=moment,
                )
                db.add(reminder)
                db.flush()
                message = render(db, reminder, app.extensions["p4p.program"], moment)
                texts[f"{kind} {channel}"] = "\n".join(
                    [message.subject, message.text, message.html or ""]
                )
        db.commit()
    with SmtpServer() as smtp:
        app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port)
        with app.app_context():  # as the outbox sends them, after the response
            db = get_session()
            user = db.get(User, user_id)
            clock = app.extensions["p4p.clock"]
            queued = [
                queue_link(db, user, purpose, clock()).id
                for purpose in (TokenPurpose.INVITE, TokenPurpose.RESET)
            ]
            db.commit()
            send_now(queued)
        for message in smtp.messages:
            headers = "\n".join(f"{k}: {v}" for k, v in message.items())
            texts[f"link email {message['Subject']}"] = headers + "\n" + message.get_content()
    assert len(smtp.messages) == 2
    # The stop link of every reminder email, and the page after stopping (no login needed).
    client = app.test_client()
    with app.app_context():
        token = stop_token(user_id, "practice")
    texts["stop page"] = client.get(f"/stop/{token}").get_data(as_text=True)
    texts["stopped page"] = client.post(f"/stop/{token}", data={"scope": "kind"}).get_data(
        as_text=True
    )
    problems = [f"{name}: {leak}" for name, text in texts.items() for leak in leaks(text, arm)]
    assert not problems, "\n".join(problems)


def test_the_checks_would_see_a_leak():
    """The search is not vacuous: each spelling it should catch, it catches."""
    assert leaks("<!-- Keys to Wellbeing -->", "partners4pain")
    assert leaks('<div class="arm-keys_to_wellbeing">', "partners4pain")
    assert leaks("Llaves para el Bienestar", "partners4pain")
    assert leaks("<title>Home · p4p</title>", "partners4pain")
    assert leaks('<img alt="Partners4Pain logo">', "keys_to_wellbeing")
    assert leaks("p4p: Your group meets tomorrow", "keys_to_wellbeing")
    assert not leaks('<input name="csrf_token" value="xp4px">', "keys_to_wellbeing")
    assert not leaks("Partners4Pain", "partners4pain")
