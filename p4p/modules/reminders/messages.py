"""The words of each reminder, rendered from templates in the recipient's language.

SMS texts carry no health details: a text can be read by anyone holding the phone.
"""

from datetime import date, datetime

from flask import current_app, render_template, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from p4p.messaging import Message
from p4p.modules.auth import links
from p4p.modules.instruments.shown import occasion_label, text
from p4p.modules.reminders.facts import Facts
from p4p.modules.reminders.facts import load as load_facts
from p4p.modules.reminders.models import (
    ACCOUNT_LINK_KINDS,
    MEETING_CANCELLED,
    MEETING_MODE,
    MEETING_MOVED,
    Reminder,
    ReminderKind,
    opt_out_kind,
)
from p4p.modules.reminders.timeliness import day_word
from p4p.modules.sites.models import Meeting
from p4p.names import given_name


def _stop_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="reminder-stop")


def stop_token(user_id: int, kind: str) -> str:
    return _stop_serializer().dumps({"u": user_id, "k": kind})


def read_stop_token(token: str) -> tuple[int, str] | None:
    try:
        data = _stop_serializer().loads(token)
    except BadSignature:
        return None
    return int(data["u"]), str(data["k"])


def links_for(reminders) -> dict[int, dict[str, str]]:
    """Each reminder's links (the app, its stop link, the questionnaires), all built in one
    request context: building one per link cost more than the rest of a message's words."""
    worded = [r for r in reminders if r.kind not in ACCOUNT_LINK_KINDS]  # they build their own
    if not worded:
        return {}
    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        app_url, questionnaire_url = base + url_for("home.index"), None
        if any(r.kind == ReminderKind.QUESTIONNAIRE for r in worded):
            questionnaire_url = base + url_for("instruments.index")
        links = {}
        for reminder in worded:
            token = stop_token(reminder.user_id, opt_out_kind(reminder.kind))
            links[reminder.id] = {
                "app_url": app_url,
                "stop_url": base + url_for("reminders.stop", token=token),
            }
            if questionnaire_url and reminder.kind == ReminderKind.QUESTIONNAIRE:
                links[reminder.id]["questionnaire_url"] = questionnaire_url
        return links


def subject_for(kind: str, context: dict) -> str:
    if kind == ReminderKind.MEETING_EVE and context.get("day") != "tomorrow":
        return _("Your group meets soon")  # only if sent early: "tomorrow" would be untrue
    subjects = {
        ReminderKind.MEETING_EVE: _("Reminder: your group meets tomorrow"),
        MEETING_MOVED: _("Your group meeting has moved"),
        MEETING_CANCELLED: _("Your group meeting is cancelled"),
        MEETING_MODE: _("Your group meeting will be by video")
        if context.get("video_link")
        else _("Your group meeting will be in person again"),
        ReminderKind.MEETING_SOON: _("Your group meets soon"),
        ReminderKind.WEEK_OPEN: _("Week %(n)d is open", n=context.get("week", 0)),
        ReminderKind.PRACTICE: _("A few minutes for your home practice"),
        ReminderKind.SURVEY: _("Your %(n)d-month survey is ready", n=context.get("months", 0)),
        # No questionnaire's title: one may hint at what a program is about.
        ReminderKind.QUESTIONNAIRE: _("You have a short questionnaire to answer"),
        ReminderKind.DIGEST: _("Before your meeting: who needs follow-up"),
    }
    return subjects[kind]


def context_for(db: Session, facts: Facts, reminder: Reminder, program, now: datetime) -> dict:
    user = reminder.user
    context = {
        "name": given_name(user.name),
        "kind": reminder.kind,
        **facts.links[reminder.id],
        **reminder.payload,
    }
    meeting = facts.meeting(reminder)
    if meeting is not None:
        cohort = meeting.cohort
        context.update(
            meeting=meeting,
            cohort=cohort,
            timezone=cohort.site.timezone,
            place=meeting.location or cohort.location or cohort.site.name,
            video_link=cohort.video_link if meeting.mode == "video" else None,
            # "today" / "tomorrow" / "later", from the recipient's local date as it is sent
            day=day_word(meeting.starts_at, now, cohort.site.timezone),
        )
        if cohort.arm in program.arms and meeting.week in program.arm(cohort.arm).weeks:
            context["week_title"] = program.arm(cohort.arm).week(meeting.week, user.language).title
    if reminder.kind == ReminderKind.SURVEY:
        participant = facts.participant(reminder)
        assert participant is not None  # why_not() cancels a survey reminder of nobody
        context["survey_url"] = current_app.config["SURVEY_URL"].format(
            study_id=participant.study_id, months=reminder.payload["months"]
        )
    if reminder.kind == ReminderKind.QUESTIONNAIRE:
        context["last_day_shown"] = format_date(
            date.fromisoformat(reminder.payload["last_day"]), "full"
        )
    if reminder.kind == ReminderKind.DIGEST:
        assert meeting is not None  # a digest names its meeting; why_not() found it still there
        context["follow_ups"] = _digest_follow_ups(db, user, meeting, program, now)
        context.update(occasion_label=occasion_label, text=text)
    return context


def _digest_follow_ups(db: Session, user, meeting: Meeting, program, now: datetime) -> list:
    from p4p.modules.attendance.queries import follow_up_list

    return [
        item
        for item in follow_up_list(db, user, now, program)
        if item.participant.cohort_id == meeting.cohort_id
    ]


def render(
    db: Session, reminder: Reminder, program, now: datetime, facts: Facts | None = None
) -> Message:
    """The message ready for its channel, in the recipient's own language, from its batch's
    facts (loaded for this one reminder when none are given)."""
    if reminder.kind in ACCOUNT_LINK_KINDS:
        return links.render(reminder)
    if facts is None:
        facts = load_facts(db, [reminder])
    user = reminder.user
    with force_locale(user.language or "en"):
        context = context_for(db, facts, reminder, program, now)
        # why_not() cancels a reminder to someone without that contact before it renders.
        if reminder.channel == "sms":
            assert user.phone is not None
            text = render_template(f"sms/{reminder.kind}.txt", **context).strip()
            return Message(to=user.phone, subject="", text=text)
        assert user.email is not None
        subject = subject_for(reminder.kind, context)
        text = render_template(f"email/reminder_{reminder.kind}.txt", **context)
        html = render_template(f"email/reminder_{reminder.kind}.html", subject=subject, **context)
        return Message(to=user.email, subject=subject, text=text, html=html)
