from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from p4p.forms import Form, IntegerField


def _rating(label, required=True, description=None):
    validators = [
        InputRequired(_l("Choose a number from 0 to 10.")) if required else Optional(),
        NumberRange(0, 10, _l("Choose a number from 0 to 10.")),
    ]
    return IntegerField(
        label,
        validators=validators,
        description=description,
        render_kw={"min": 0, "max": 10, "inputmode": "numeric"},
    )


class PracticeForm(Form):
    practiced_on = DateField(
        _l("Date"), validators=[InputRequired(_l("Enter the day you practiced."))]
    )
    practice_type = SelectField(
        _l("What did you practice?"), validators=[InputRequired(_l("Choose what you practiced."))]
    )
    minutes = IntegerField(
        _l("Minutes"),
        validators=[
            InputRequired(_l("Enter the minutes, from 1 to 240.")),
            NumberRange(1, 240, _l("Enter the minutes, from 1 to 240.")),
        ],
        render_kw={"min": 1, "max": 240, "inputmode": "numeric"},
    )
    guided = RadioField(
        _l("How did you practice?"),
        choices=[
            SelectChoice("guided", _l("Guided (with a recording or a person)")),
            SelectChoice("self", _l("On my own")),
        ],
        validators=[InputRequired(_l("Choose guided or on my own."))],
        default="self",
    )
    pain_before = _rating(
        _l("Pain before (0 to 10, optional)"),
        required=False,
        description=_l("0 is no pain, 10 is the worst pain you can imagine."),
    )
    pain_after = _rating(_l("Pain after (0 to 10, optional)"), required=False)
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)])

    def __init__(self, *args, earliest=None, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._earliest, self._today = earliest, today

    def validate_practiced_on(self, field):
        if field.data and self._today and field.data > self._today:
            raise ValidationError(_l("The date cannot be in the future."))
        if field.data and self._earliest and field.data < self._earliest:
            raise ValidationError(_l("The date cannot be before you joined the program."))


class ActionPlanForm(Form):
    what = StringField(
        _l("What will you do?"),
        validators=[InputRequired(_l("Write what you will do.")), Length(max=200)],
    )
    how_much = StringField(
        _l("How much?"),
        description=_l("For example: 10 minutes, or 2 blocks."),
        validators=[InputRequired(_l("Write how much.")), Length(max=100)],
    )
    when = StringField(
        _l("When?"),
        description=_l("For example: after breakfast."),
        validators=[InputRequired(_l("Write when.")), Length(max=100)],
    )
    how_often = StringField(
        _l("How often?"),
        description=_l("For example: 4 days this week."),
        validators=[InputRequired(_l("Write how often.")), Length(max=100)],
    )
    confidence = IntegerField(
        _l("How sure are you that you will do the whole plan? (0 to 10)"),
        description=_l("0 is not sure at all, 10 is totally sure."),
        validators=[Optional(), NumberRange(0, 10, _l("Choose a number from 0 to 10."))],
        render_kw={"min": 0, "max": 10, "inputmode": "numeric"},
    )
    confidence_word = RadioField(
        _l("Or choose words"),
        choices=[
            SelectChoice("not", _l("Not sure")),
            SelectChoice("somewhat", _l("Somewhat sure")),
            SelectChoice("very", _l("Very sure")),
        ],
        validators=[Optional()],
    )

    def validate(self, extra_validators=None):
        # Either a number or words will do; a number, when given, is the more precise answer.
        valid = super().validate(extra_validators)
        if self.confidence.data is None and not self.confidence.errors:
            if self.confidence_word.data in CONFIDENCE_WORDS:
                self.confidence.data = CONFIDENCE_WORDS[self.confidence_word.data]
            else:
                self.confidence.errors = [_l("Choose a number from 0 to 10, or choose words.")]
                valid = False
        return valid


# Words stand for a point on the 0-10 scale; "somewhat" falls under 7, so it suggests a smaller plan.
CONFIDENCE_WORDS = {"not": 3, "somewhat": 6, "very": 9}


class PlanOutcomeForm(Form):
    outcome = RadioField(
        _l("Did you do last week's plan?"),
        choices=[
            SelectChoice("done", _l("Yes, all of it")),
            SelectChoice("partly", _l("Some of it")),
            SelectChoice("not_done", _l("Not this time")),
        ],
        validators=[InputRequired(_l("Choose one answer."))],
    )
