"""The audit view's filters (a GET form: it changes nothing, so it carries no CSRF token)."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from p4p.forms import Form


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    participant = StringField(_l("Participant (study ID)"), validators=[Optional(), Length(max=40)])
    cohort = SelectField(_l("Cohort"), default="")
    actor = SelectField(_l("Done by"), default="")
    since = DateField(_l("From (UTC date)"), validators=[Optional()])
    until = DateField(_l("To (UTC date)"), validators=[Optional()])

    def __init__(self, *args, cohorts=(), staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort.choices = [SelectChoice("", _l("All cohorts"))] + [
            SelectChoice(str(cohort.id), f"{cohort.name} · {cohort.site.name}")
            for cohort in cohorts
        ]
        self.actor.choices = [SelectChoice("", _l("Anyone"))] + [
            SelectChoice(str(user.id), f"{user.name} ({user.email})") for user in staff
        ]

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date is before the start date."))
