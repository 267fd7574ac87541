"""An audit event told as what happened, in the viewer's language and time zone.

Each event is one sentence (WHAT_HAPPENED, or a fuller one where the values allow, as "made
up week 3 on 2 Dec 2026") and a sentence for each field it changed ("Address changed from
… to …."). The stored codes and values never change: exports and queries rely on them; this
is only how they are read.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from p4p.i18n import LANGUAGE_NAMES
from p4p.modules.attendance.labels import MODE_LABELS, STATUS_LABELS
from p4p.modules.audit.models import AuditEvent
from p4p.modules.audit.queries import WHAT_HAPPENED
from p4p.modules.curriculum.service import get_program
from p4p.modules.reminders.forms import KIND_LABELS
from p4p.phones import display_phone

FIELD_NAMES = {
    "name": _l("Name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "role": _l("Role"),
    "site_ids": _l("Sites"),
    "site_id": _l("Site"),
    "timezone": _l("Time zone"),
    "address": _l("Address"),
    "location": _l("Meeting place"),
    "video_link": _l("Video link"),
    "arm": _l("Program"),
    "cohort": _l("Cohort"),
    "start_date": _l("Start date"),
    "study_id": _l("Study ID"),
    "language": _l("Language"),
    "status": _l("Attendance"),
    "mode": _l("How it is held"),
    "note": _l("Note"),
    "actual_minutes": _l("Minutes held"),
    "sections_covered": _l("Parts covered"),
    "starts_at": _l("Date and time"),
    "email_on": _l("Email reminders"),
    "sms_on": _l("Text reminders"),
    "quiet_start": _l("Quiet hours start"),
    "quiet_end": _l("Quiet hours end"),
    "kinds_off": _l("Reminders turned off"),
    "format": _l("Format"),
    "filters": _l("Filters"),
}
# Fields the sentence itself tells, or ids a person does not read: never a line of their own.
UNTOLD = {
    "meeting_id",
    "cohort_id",
    "user_id",
    "week",
    "local",
    "active",
    "withdrawn_at",
    "reason",
    "source",
    "via",
    "link",
    "made_up_on",
    "how",
    "months",
}
MEETING_STATUS_LABEL = _l("Status")
ROLE_NAMES = {
    "participant": _l("Participant"),
    "facilitator": _l("Facilitator"),
    "coordinator": _l("Coordinator"),
    "admin": _l("Admin"),
}
MEETING_STATUS_NAMES = {
    "scheduled": _l("Scheduled"),
    "held": _l("Held"),
    "cancelled": _l("Cancelled"),
}
HOW_NAMES = {"one_to_one": _l("one-to-one catch-up"), "recording": _l("watched the recording")}


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class Told:
    sentence: str
    details: list[str]


class Teller:
    """Tells events in the page's language, dates and times in `timezone`, and names the sites,
    people and cohorts of the page from `labels` (queries.entity_labels)."""

    def __init__(self, labels: dict[tuple[str, str], str], timezone: str):
        self.labels, self.zone, self.locale = labels, ZoneInfo(timezone), str(get_locale() or "en")

    # -- moments (stored in UTC; SQLite hands them back without their zone) -----------------
    def when(self, moment: datetime) -> str:
        local = _aware(moment).astimezone(self.zone)
        day = format_date(local.date(), "medium", locale=self.locale)
        return f"{day}, {format_time(local, 'short', locale=self.locale)}"

    def utc(self, moment: datetime) -> str:
        return _aware(moment).strftime("%Y-%m-%d %H:%M UTC")

    def iso(self, moment: datetime) -> str:
        return _aware(moment).isoformat()

    def _day(self, iso: str) -> str:
        return format_date(date.fromisoformat(iso), "medium", locale=self.locale)

    # -- values ----------------------------------------------------------------------------
    def value(self, field: str, value, entity: str = "") -> str:
        if field == "status" and entity == "meeting":
            return str(MEETING_STATUS_NAMES.get(value, value))
        words = {
            "status": STATUS_LABELS,
            "mode": MODE_LABELS,
            "role": ROLE_NAMES,
            "language": LANGUAGE_NAMES,
        }.get(field)
        if words is not None:
            return str(words.get(value, value))
        if field == "arm":
            arms = get_program().arms
            return arms[value].label if value in arms else str(value)
        if field in ("site_id", "site_ids"):
            ids = value if isinstance(value, list) else [value]
            return ", ".join(self.labels.get(("site", str(i)), f"#{i}") for i in ids) or _("none")
        if field == "kinds_off":
            return ", ".join(str(KIND_LABELS.get(kind, kind)) for kind in value) or _("none")
        if field == "phone":
            return display_phone(value) or str(value)
        if field in ("email_on", "sms_on"):
            return _("on") if value else _("off")
        if field in ("quiet_start", "quiet_end"):
            return format_time(time.fromisoformat(value), "short", locale=self.locale)
        if field == "start_date":
            return self._day(value)
        if field == "starts_at":
            return self.when(datetime.fromisoformat(value))
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        if isinstance(value, dict):
            return "; ".join(f"{key}: {item}" for key, item in sorted(value.items()) if item)
        if isinstance(value, str) and field in ("name", "address", "location", "note"):
            return f"“{value}”"
        return str(value)

    def _empty(self, value) -> bool:
        return value is None or value == "" or value == [] or value == {}

    def field_sentence(self, event: AuditEvent, field: str) -> str | None:
        old, new = event.old or {}, event.new or {}
        label = MEETING_STATUS_LABEL if (event.entity, field) == ("meeting", "status") else None
        label = label or FIELD_NAMES.get(field)
        if field in UNTOLD or label is None:
            return None
        if field == "meetings_retimed":
            return None
        before, after = old.get(field), new.get(field)

        def show(value) -> str:
            return self.value(field, value, event.entity)

        if event.old is None:  # created: what it was made with, less what the sentence says
            if (event.action, field) in (("create", "name"), ("attendance", "status")):
                return None
            return (
                None
                if self._empty(after)
                else _("%(field)s: %(new)s.", field=label, new=show(after))
            )
        if self._empty(before) and not self._empty(after):
            return _("%(field)s set to %(new)s.", field=label, new=show(after))
        if self._empty(after):
            return (
                None
                if self._empty(before)
                else _("%(field)s removed (it was %(old)s).", field=label, old=show(before))
            )
        return _(
            "%(field)s changed from %(old)s to %(new)s.",
            field=label,
            old=show(before),
            new=show(after),
        )

    # -- the event -------------------------------------------------------------------------
    def subject(self, event: AuditEvent) -> str:
        if not event.entity_id:
            return ""
        return self.labels.get((event.entity, event.entity_id), f"#{event.entity_id}")

    def tell(self, event: AuditEvent) -> Told:
        old, new = event.old or {}, event.new or {}
        subject = self.subject(event)
        sentence, details = self._special(event, subject, old, new)
        if sentence is None:
            words = WHAT_HAPPENED.get((event.action, event.entity))
            sentence = (
                str(words) % {"subject": subject}
                if words is not None
                else f"{event.action} · {event.entity} {subject}".strip()
            )
        if details is None:
            fields = list(dict.fromkeys([*new, *old]))
            details = [line for f in fields if (line := self.field_sentence(event, f))]
            if new.get("meetings_retimed"):
                details.append(
                    _(
                        "%(n)d upcoming meetings keep their local time.",
                        n=new["meetings_retimed"],
                    )
                )
            if new.get("marks_removed"):
                details.append(
                    _("%(n)d attendance marks were removed with it.", n=new["marks_removed"])
                )
        return Told(sentence, details)

    def _special(self, event, subject, old, new) -> tuple[str | None, list[str] | None]:
        """The events whose values make a fuller sentence than their WHAT_HAPPENED words."""
        key = (event.action, event.entity)
        if key == ("makeup", "participant") and new.get("made_up_on"):
            how = HOW_NAMES.get(new.get("how"), new.get("how"))
            return _(
                "Recorded that %(subject)s made up week %(week)s on %(day)s (%(how)s).",
                subject=subject,
                week=new.get("week"),
                day=self._day(new["made_up_on"]),
                how=how,
            ), []
        if key == ("attendance", "participant"):
            week = new.get("week")
            if new.get("reason") == "meeting cancelled":
                return _(
                    "Removed the week %(week)s attendance mark of %(subject)s: the meeting "
                    "was cancelled.",
                    week=week,
                    subject=subject,
                ), []
            if new.get("status") is None:
                return _("Cleared the attendance mark of %(subject)s.", subject=subject), []
            return _(
                "Marked %(subject)s “%(status)s” for week %(week)s.",
                subject=subject,
                status=self.value("status", new["status"]),
                week=week,
            ), None
        if key == ("survey-done", "participant") and new.get("months"):
            return _(
                "Marked the %(months)s-month follow-up survey done for %(subject)s.",
                months=new["months"],
                subject=subject,
            ), []
        if key == ("calendar-link", "user"):
            if new.get("link") is None:
                return _("Stopped the private calendar link of %(subject)s.", subject=subject), []
            if old.get("link") == "replaced":
                return _("Replaced the private calendar link of %(subject)s.", subject=subject), []
            return _("Made a private calendar link for %(subject)s.", subject=subject), []
        if key == ("reassign", "participant"):
            return _(
                "Moved %(subject)s from %(old_arm)s, cohort %(old_cohort)s, to %(new_arm)s, "
                "cohort %(new_cohort)s.",
                subject=subject,
                old_arm=self.value("arm", old.get("arm")),
                old_cohort=old.get("cohort"),
                new_arm=self.value("arm", new.get("arm")),
                new_cohort=new.get("cohort"),
            ), []
        if key == ("enrol", "participant") and new.get("arm"):
            contact = ("name", "email", "phone", "language")
            return _(
                "Enrolled %(subject)s in %(arm)s, cohort %(cohort)s.",
                subject=subject,
                arm=self.value("arm", new["arm"]),
                cohort=new.get("cohort"),
            ), [line for f in contact if (line := self.field_sentence(event, f))]
        if key == ("export", "export"):
            return _("Exported attendance data (%(format)s).", format=new.get("format")), [
                line for f in ("filters",) if (line := self.field_sentence(event, f))
            ]
        return None, None
