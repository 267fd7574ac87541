from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from p4p.forms import Form
from p4p.modules.reminders.models import ReminderKind

KIND_LABELS: dict[str, Any] = {  # by ReminderKind (a str); lazy gettext strings
    ReminderKind.MEETING_EVE: _l("The evening before each group meeting"),
    ReminderKind.MEETING_SOON: _l("A few hours before each group meeting"),
    ReminderKind.WEEK_OPEN: _l("When a new week opens"),
    ReminderKind.PRACTICE: _l("A nudge when I have not logged practice for 3 days"),
    ReminderKind.SURVEY: _l("Follow-up surveys at 2, 4 and 6 months"),
    ReminderKind.QUESTIONNAIRE: _l("When a short questionnaire in the app is ready to answer"),
}


class PreferencesForm(Form):
    language = SelectField(
        _l("Language"), description=_l("For the app, your weeks and your reminders.")
    )
    email_on = BooleanField(_l("Email me"))
    sms_on = BooleanField(_l("Text me (SMS)"))
    kinds_on = SelectMultipleField(
        _l("Which reminders do you want?"),
        choices=[SelectChoice(str(k), v) for k, v in KIND_LABELS.items()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    quiet_start = TimeField(
        _l("Quiet from"),
        validators=[Optional()],
        description=_l("No reminders between these times. Leave empty for none."),
    )
    quiet_end = TimeField(_l("Quiet until"), validators=[Optional()])

    def validate(self, extra_validators=None):
        # Optional() ends an empty field's own checks, so the pair rule is checked here.
        valid = super().validate(extra_validators)
        start, end = self.quiet_start.data, self.quiet_end.data
        if valid and bool(start) != bool(end):
            self.quiet_end.errors = [_l("Give both times, or leave both empty.")]
            return False
        if valid and start and start == end:
            self.quiet_end.errors = [_l("The two times must be different.")]
            return False
        return valid
