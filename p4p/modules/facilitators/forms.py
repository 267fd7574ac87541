"""The coordinator's forms for facilitator accounts."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput

from p4p.forms import Form, strip_text
from p4p.modules.auth.accounts import EMAIL_MAX, PHONE_MAX, email_problem, phone_problem


def _stripped(field) -> str:
    return (field.data or "").strip()


class SitesField(SelectMultipleField):
    """Checkboxes, one per site (the radios macro draws them in a labelled fieldset)."""

    option_widget = CheckboxInput()

    def __init__(self, label=None, **kwargs):
        super().__init__(label, coerce=int, **kwargs)


def _sites_field() -> SitesField:
    return SitesField(
        _l("Sites they serve"),
        description=_l("A facilitator sees the cohorts and participants of these sites only."),
    )


class _WithSites(Form):
    """Offers every site as a checkbox (subclasses place `site_ids = _sites_field()`)."""

    def __init__(self, *args, sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.site_ids.choices = [SelectChoice(site.id, site.name) for site in sites]


class SitesForm(_WithSites):
    site_ids = _sites_field()


def _name_field() -> StringField:
    return StringField(
        _l("Name"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter the facilitator's name.")), Length(max=120)],
    )


def _valid_phone(_form, field) -> None:
    if _stripped(field) and (message := phone_problem(_stripped(field))):
        raise ValidationError(message)


def _phone_field() -> StringField:
    return StringField(_l("Phone (optional)"), validators=[Length(max=PHONE_MAX), _valid_phone])


class DetailsForm(Form):
    name = _name_field()
    phone = _phone_field()


class AccountEmailForm(Form):
    """A new staff account's email: its login and where its invite link goes (the staff
    accounts' form has it too)."""

    email = StringField(
        _l("Email"),
        description=_l("Their invite link and login use this address."),
        validators=[InputRequired(_l("Enter an email address.")), Length(max=EMAIL_MAX)],
    )

    def validate_email(self, field):
        if message := email_problem(_stripped(field)):
            raise ValidationError(message)


class FacilitatorForm(_WithSites, AccountEmailForm):
    name = _name_field()
    phone = _phone_field()
    site_ids = _sites_field()
    send_invite = BooleanField(_l("Email them their invite link now"), default=True)
