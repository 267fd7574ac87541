"""The coordinator's forms: enrol, reassign, withdraw, filter the list, upload a roster."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from p4p.forms import Form
from p4p.i18n import LANGUAGE_NAMES
from p4p.modules.auth.accounts import EMAIL_MAX, PHONE_MAX, email_problem, phone_problem
from p4p.modules.enrolment.service import NAME_MAX, REASON_MAX, cohort_problem, study_id_problem


def stripped(field) -> str:
    """A text field's value without outer spaces ('' when the field was not sent at all)."""
    return (field.data or "").strip()


def _raise_if(message) -> None:
    if message:
        raise ValidationError(message)


def _cohort_choices(cohorts, program, blank_label):
    choices = [SelectChoice("", blank_label)]
    for cohort in cohorts:
        arm = program.arms.get(cohort.arm)  # None if program.yaml no longer names this arm
        label = f"{cohort.name} · {cohort.site.name} · {arm.label if arm else cohort.arm}"
        choices.append(SelectChoice(str(cohort.id), label))
    return choices


def _reason(label):
    return TextAreaField(
        label,
        description=_l("Kept in the audit trail."),
        validators=[
            InputRequired(_l("Write the reason for this change.")),
            Length(
                max=REASON_MAX, message=_l("Keep the reason to %(n)d characters.", n=REASON_MAX)
            ),
        ],
    )


def _arm_field() -> RadioField:
    return RadioField(
        _l("Program (the randomisation result)"),
        validators=[InputRequired(_l("Choose the program the participant was randomised to."))],
    )


def _cohort_field() -> SelectField:
    return SelectField(_l("Cohort"), validators=[InputRequired(_l("Choose a cohort."))])


class AssignmentFields(Form):
    """The arm and a cohort of that arm (a cohort of the other arm is refused at its field).

    Subclasses declare `arm = _arm_field()` and `cohort_id = _cohort_field()` where they belong,
    so the fields (and the error summary) keep the order of the page.
    """

    def __init__(self, *args, cohorts=(), program=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._program = program
        self._cohorts = {str(cohort.id): cohort for cohort in cohorts}
        self.arm.choices = [SelectChoice(arm.key, arm.label) for arm in program.arms.values()]
        self.cohort_id.choices = _cohort_choices(cohorts, program, _l("Choose a cohort"))

    def validate_cohort_id(self, field):
        if self.arm.data in self._program.arms:
            _raise_if(cohort_problem(self.arm.data, self.chosen_cohort, self._program))

    @property
    def chosen_cohort(self):
        return self._cohorts.get(self.cohort_id.data or "")


class ParticipantForm(AssignmentFields):
    study_id = StringField(
        _l("Study ID"),
        description=_l("The trial's record ID: letters, digits and hyphens."),
        validators=[InputRequired(_l("Enter the study ID."))],
    )
    name = StringField(
        _l("Name"),
        validators=[InputRequired(_l("Enter the participant's name.")), Length(max=NAME_MAX)],
    )
    email = StringField(
        _l("Email"),
        description=_l(
            "An email or a phone number is needed; the invite link goes by email, or by text to a phone."
        ),
        validators=[Length(max=EMAIL_MAX)],
    )
    phone = StringField(_l("Phone"), validators=[Length(max=PHONE_MAX)])
    language = RadioField(
        _l("Preferred language"), validators=[InputRequired(_l("Choose a language."))]
    )
    arm = _arm_field()
    cohort_id = _cohort_field()
    # Shown only when the chosen cohort has finished (the service asks for it).
    finished_ok = BooleanField(_l("Yes, enrol this person into a cohort that has finished"))

    def __init__(self, *args, cohorts=(), program=None, **kwargs):
        super().__init__(*args, cohorts=cohorts, program=program, **kwargs)
        self.language.choices = [
            SelectChoice(code, LANGUAGE_NAMES.get(code, code)) for code in program.languages
        ]

    def validate_study_id(self, field):
        _raise_if(study_id_problem(stripped(field)))

    def validate_email(self, field):
        if stripped(field):
            _raise_if(email_problem(stripped(field)))
        elif not stripped(self.phone):
            raise ValidationError(_l("Give an email or a phone number (or both)."))

    def validate_phone(self, field):
        if stripped(field):
            _raise_if(phone_problem(stripped(field)))


class AssignmentForm(AssignmentFields):
    arm = _arm_field()
    cohort_id = _cohort_field()
    reason = _reason(_l("Why does this change?"))


class WithdrawForm(Form):
    reason = _reason(_l("Why is the participant withdrawing?"))


class ReturnForm(Form):
    reason = _reason(_l("Why is the participant coming back?"))


class ParticipantFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    site = SelectField(_l("Site"), default="")
    cohort = SelectField(_l("Cohort"), default="")
    arm = SelectField(_l("Program"), default="")
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("Active and withdrawn")),
            SelectChoice("active", _l("Active")),
            SelectChoice("withdrawn", _l("Withdrawn")),
        ],
        default="",
    )

    def __init__(self, *args, sites=(), cohorts=(), program=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.site.choices = [SelectChoice("", _l("All sites"))] + [
            SelectChoice(str(site.id), site.name) for site in sites
        ]
        self.cohort.choices = _cohort_choices(cohorts, program, _l("All cohorts"))
        self.arm.choices = [SelectChoice("", _l("Both programs"))] + [
            SelectChoice(arm.key, arm.label) for arm in program.arms.values()
        ]


class RosterForm(Form):
    file = FileField(
        _l("Roster file (CSV)"),
        description=_l(
            "Columns: study_id, name, email, phone, language, cohort. Saved as CSV UTF-8."
        ),
        validators=[FileRequired(_l("Choose a CSV file to upload."))],
    )
    finished_ok = BooleanField(
        _l("Also enrol rows into cohorts that have finished (they have no meeting left)")
    )
