"""The coordinator's forms for sites, cohorts and moving or switching a meeting."""

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from p4p.forms import Form, IntegerField, plausible_date, strip_text
from p4p.modules.sites.models import MeetingMode

REASON_MAX = 500


def web_link(_form, field) -> None:
    """Only http(s) links: a link is shown to participants, so no javascript: or data: URLs."""
    value = (field.data or "").strip()
    if value and (not value.startswith(("https://", "http://")) or " " in value):
        raise ValidationError(_l("Enter a web link starting with https://."))


def reason_field(label=None) -> TextAreaField:
    return TextAreaField(
        label or _l("Reason"),
        description=_l("Kept in the audit trail."),
        validators=[
            InputRequired(_l("Write the reason for this change.")),
            Length(
                max=REASON_MAX, message=_l("Keep the reason to %(n)d characters.", n=REASON_MAX)
            ),
        ],
    )


class SiteForm(Form):
    name = StringField(
        _l("Site name"),
        filters=[strip_text],  # only spaces is no name (it showed as a blank in pickers)
        validators=[DataRequired(_l("Enter the site's name.")), Length(max=120)],
    )
    timezone = StringField(
        _l("Timezone"),
        description=_l("The IANA name of the site's timezone, like America/Chicago."),
        validators=[InputRequired(_l("Enter the site's timezone.")), Length(max=64)],
    )
    address = StringField(_l("Address (optional)"), validators=[Optional(), Length(max=255)])


# Fields a cohort has when made and keeps editable after (its schedule changes one meeting at a
# time); made per form so each form lists its fields, and its errors, in its own page order.
def _cohort_name():
    return StringField(
        _l("Cohort name"),
        description=_l("Unique in the study: roster files name the cohort."),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter a name for the cohort.")), Length(max=120)],
    )


def _cohort_location():
    return StringField(_l("Place (optional)"), validators=[Optional(), Length(max=255)])


def _cohort_video_link():
    return StringField(
        _l("Video link (optional)"), validators=[Optional(), Length(max=500), web_link]
    )


class CohortDetailsForm(Form):
    name = _cohort_name()
    location = _cohort_location()
    video_link = _cohort_video_link()


class CohortForm(Form):
    site_id = SelectField(
        _l("Site"), coerce=int, validators=[InputRequired(_l("Choose the site."))]
    )
    arm = RadioField(_l("Program"), validators=[InputRequired(_l("Choose the program."))])
    name = _cohort_name()
    start_date = DateField(
        _l("Start date"),
        description=_l("The first meeting is the first chosen weekday on or after this date."),
        validators=[InputRequired(_l("Enter the start date.")), plausible_date],
    )
    weekday = SelectField(
        _l("Meeting day"), coerce=int, validators=[InputRequired(_l("Choose the meeting day."))]
    )
    local_start_time = TimeField(
        _l("Start time (site's local time)"),
        validators=[InputRequired(_l("Enter the start time, like 18:00."))],
    )
    duration_minutes = IntegerField(
        _l("Length in minutes"),
        validators=[
            InputRequired(_l("Enter the length, from 15 to 480 minutes.")),
            NumberRange(15, 480, _l("Enter the length, from 15 to 480 minutes.")),
        ],
        render_kw={"min": 15, "max": 480, "inputmode": "numeric"},
    )
    location = _cohort_location()
    video_link = _cohort_video_link()

    def __init__(self, *args, sites=(), arms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.site_id.choices = [SelectChoice(site.id, site.name) for site in sites]
        self.arm.choices = [SelectChoice(arm.key, arm.label) for arm in arms]
        days = get_day_names("wide", locale=str(get_locale() or "en"))
        self.weekday.choices = [SelectChoice(day, days[day]) for day in range(7)]


class CohortFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    site = SelectField(_l("Site"), default="")
    arm = SelectField(_l("Program"), default="")

    def __init__(self, *args, sites=(), arms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.site.choices = [SelectChoice("", _l("All sites"))] + [
            SelectChoice(str(site.id), site.name) for site in sites
        ]
        self.arm.choices = [SelectChoice("", _l("Both programs"))] + [
            SelectChoice(arm.key, arm.label) for arm in arms
        ]


class MoveMeetingForm(Form):
    date = DateField(
        _l("New date (site's local date)"),
        validators=[InputRequired(_l("Enter the new date.")), plausible_date],
    )
    time = TimeField(
        _l("New start time (site's local time)"),
        validators=[InputRequired(_l("Enter the new start time, like 18:00."))],
    )
    reason = reason_field(_l("Why does it move?"))


class CancelMeetingForm(Form):
    reason = reason_field(_l("Why is it cancelled?"))


class MeetingModeForm(Form):
    mode = RadioField(
        _l("How is this meeting held?"),
        choices=[
            SelectChoice(MeetingMode.IN_PERSON.value, _l("In person")),
            SelectChoice(MeetingMode.VIDEO.value, _l("By video")),
        ],
        validators=[InputRequired(_l("Choose video or in person."))],
    )
    video_link = StringField(
        _l("Video link for this cohort"),
        description=_l("Needed for a video meeting; it becomes the cohort's link."),
        validators=[Optional(), Length(max=500), web_link],
    )
    reason = reason_field(_l("Why does it change?"))
