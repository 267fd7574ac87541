"""The admin's forms for coordinator and admin accounts."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from p4p.forms import ConfirmForm, Form, strip_text
from p4p.modules.auth.models import Role
from p4p.modules.facilitators.forms import AccountEmailForm

ROLE_LABELS = {
    Role.COORDINATOR: _l("Coordinator: runs the study's work (enrolment, cohorts, reports)"),
    Role.ADMIN: _l("Admin: also manages staff accounts and sites"),
}


def _role_field() -> RadioField:
    return RadioField(
        _l("Role"),
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        validators=[InputRequired(_l("Choose a role."))],
    )


class RoleForm(Form):
    role = _role_field()


class StaffForm(AccountEmailForm):
    name = StringField(
        _l("Name"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter the person's name.")), Length(max=120)],
    )
    role = _role_field()


class DeactivateForm(ConfirmForm):
    """The deactivate button is a field, so a refusal (the last admin) shows at it."""

    deactivate = SubmitField(_l("Deactivate the account"))
