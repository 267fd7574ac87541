"""Forms of the facilitator's screens. The sheet has one line per participant, so it is
read from the request by `read_sheet` rather than declared field by field."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectMultipleField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from p4p.forms import (
    Form,
    IntegerField,
    ascii_whole_number,
    hidden_characters_problem,
    plausible_date,
    strip_text,
)
from p4p.modules.attendance.models import CallOutcome
from p4p.modules.attendance.service import MODES, STATUSES, Mark

NOTE_MAX = 200


def read_sheet(form_data, participant_ids: list[int], fill_present: bool):
    """The submitted lines as Marks, and field errors keyed by input name."""
    marks, errors = {}, {}
    for pid in participant_ids:
        status = form_data.get(f"status-{pid}") or None
        if status is None and fill_present:
            status = "present"
        mode = form_data.get(f"mode-{pid}") or "in_person"
        note = (form_data.get(f"note-{pid}") or "").strip() or None
        version = ascii_whole_number(form_data.get(f"version-{pid}", ""))
        if version is None:
            continue  # not on the sheet the person saw (e.g. enrolled since): leave as it is
        if status is not None and status not in STATUSES:
            errors[f"status-{pid}"] = _l("Choose one of the statuses.")
        if mode not in MODES:
            errors[f"mode-{pid}"] = _l("Choose in person or video.")
        if note and len(note) > NOTE_MAX:
            errors[f"note-{pid}"] = _l("Keep the note under %(n)d characters.", n=NOTE_MAX)
        elif hidden_characters_problem(note):
            errors[f"note-{pid}"] = hidden_characters_problem(note)
        marks[pid] = Mark(status, mode, note, version)
    return marks, errors


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DeliveryForm(Form):
    status = RadioField(
        _l("Was the meeting held?"),
        choices=[SelectChoice("held", _l("Held")), SelectChoice("cancelled", _l("Cancelled"))],
        validators=[InputRequired(_l("Choose held or cancelled."))],
    )
    actual_minutes = IntegerField(
        _l("How long was it, in minutes?"),
        validators=[Optional(), NumberRange(1, 300, _l("Enter minutes from 1 to 300."))],
        render_kw={"min": 1, "max": 300, "inputmode": "numeric"},
    )
    sections = MultiCheckboxField(_l("Which parts of the week did you cover?"))
    note = TextAreaField(_l("Notes (optional)"), validators=[Optional(), Length(max=2000)])

    def validate(self, extra_validators=None):
        # Optional() ends the field's own chain when empty, so the held-needs-minutes rule lives here.
        valid = super().validate(extra_validators)
        if (
            self.status.data == "held"
            and self.actual_minutes.data is None
            and not self.actual_minutes.errors
        ):
            self.actual_minutes.errors = [
                *self.actual_minutes.errors,
                _l("Enter how long the meeting was."),
            ]
            valid = False
        return valid


class MakeupForm(Form):
    meeting_id = RadioField(
        _l("Which week was made up?"),
        coerce=int,
        validators=[InputRequired(_l("Choose the week."))],
    )
    made_up_on = DateField(
        _l("Date of the make-up"), validators=[InputRequired(_l("Enter the date of the make-up."))]
    )
    how = RadioField(
        _l("How?"),
        choices=[
            SelectChoice("one_to_one", _l("One-to-one catch-up")),
            SelectChoice("recording", _l("Watched the recording")),
        ],
        validators=[InputRequired(_l("Choose how the week was made up."))],
    )

    def __init__(self, *args, today=None, meeting_dates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._today, self._meeting_dates = today, meeting_dates or {}

    def validate_made_up_on(self, field):
        if field.data and self._today and field.data > self._today:
            raise ValidationError(_l("The date cannot be in the future."))
        meeting_date = self._meeting_dates.get(self.meeting_id.data)
        if field.data and meeting_date and field.data < meeting_date:
            raise ValidationError(_l("A make-up comes after the meeting it makes up."))


CALL_NOTE_MAX = 300
CALL_OUTCOME_LABELS = {
    CallOutcome.REACHED: _l("Reached them"),
    CallOutcome.LEFT_MESSAGE: _l("Left a message"),
    CallOutcome.NO_ANSWER: _l("No answer"),
    CallOutcome.WRONG_NUMBER: _l("Wrong number"),
    CallOutcome.OTHER: _l("Other"),
}


class CallForm(Form):
    """A follow-up call: the day and time in the site's local time (now unless changed)."""

    called_on = DateField(
        _l("Day of the call"),
        validators=[InputRequired(_l("Enter the day of the call.")), plausible_date],
    )
    called_time = TimeField(
        _l("Time of the call"), validators=[InputRequired(_l("Enter the time of the call."))]
    )
    outcome = RadioField(
        _l("How did it go?"),
        choices=[SelectChoice(key.value, label) for key, label in CALL_OUTCOME_LABELS.items()],
        validators=[InputRequired(_l("Choose how the call went."))],
    )
    note = TextAreaField(
        _l("Short note (optional)"),
        filters=[strip_text],
        # The form's length bound answers an over-long note ("Keep this to 300 characters.").
        validators=[Optional(), Length(max=CALL_NOTE_MAX)],
    )

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._today = today

    def validate_called_on(self, field):
        if field.data and self._today and field.data > self._today:
            raise ValidationError(_l("The date cannot be in the future."))
