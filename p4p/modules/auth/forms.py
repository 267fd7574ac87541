from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField, ValidationError
from wtforms.validators import EqualTo, InputRequired, Length

from p4p.forms import Form
from p4p.modules.auth.passwords import MAX_LENGTH, password_problems
from p4p.phones import PHONE_MAX, phone_problem, to_e164

EMAIL_MAX = 254  # the longest address SMTP carries


def _email_problem(text: str) -> str | None:
    from p4p.modules.auth.accounts import email_problem  # accounts imports the links' modules

    return email_problem(text)


class LoginForm(Form):
    # Named "email" as before: the login limits and device cookies read this field by name.
    email = StringField(
        _l("Email or phone number"),
        validators=[
            InputRequired(_l("Enter your email address or phone number.")),
            Length(max=EMAIL_MAX),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password.")), Length(max=MAX_LENGTH)],
    )


class RequestResetForm(Form):
    email = StringField(
        _l("Email or phone number"),
        validators=[
            InputRequired(_l("Enter your email address or phone number.")),
            Length(max=EMAIL_MAX),
        ],
    )

    def validate_email(self, field):
        text = (field.data or "").strip()
        if "@" in text:
            if _email_problem(text):
                raise ValidationError(_l("Enter an email address like name@example.org."))
        elif phone_problem(text):
            raise ValidationError(
                _l("Enter an email address like name@example.org, or your phone number.")
            )


class ContactEmailForm(Form):
    email = StringField(
        _l("New email address"),
        description=_l("We send a link to it. Your email changes when you open the link."),
        validators=[InputRequired(_l("Enter an email address.")), Length(max=EMAIL_MAX)],
    )

    def validate_email(self, field):
        field.data = (field.data or "").strip()
        if message := _email_problem(field.data):
            raise ValidationError(message)


class ContactPhoneForm(Form):
    phone = StringField(
        _l("New mobile phone number"),
        description=_l("We text a 6-digit code to it. Your number changes when you type the code."),
        validators=[InputRequired(_l("Enter a phone number.")), Length(max=PHONE_MAX)],
    )

    def validate_phone(self, field):
        if message := phone_problem(field.data or ""):
            raise ValidationError(message)
        field.data = to_e164(field.data)


class ContactCodeForm(Form):
    code = StringField(
        _l("The 6-digit code from the text"),
        validators=[InputRequired(_l("Enter the code from the text.")), Length(max=20)],
    )

    def validate_code(self, field):
        digits = "".join((field.data or "").split())
        if not (len(digits) == 6 and digits.isascii() and digits.isdigit()):
            raise ValidationError(_l("The code is 6 digits, like 123456."))
        field.data = digits


class NewPasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        description=_l("At least 8 characters. A few words you will remember work well."),
        validators=[InputRequired(_l("Choose a password.")), Length(max=MAX_LENGTH)],
    )
    confirm = PasswordField(
        _l("Type the password again"),
        validators=[
            InputRequired(_l("Type the password again.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )

    def __init__(self, *args, email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email

    def validate_password(self, field):
        problems = password_problems(field.data or "", email=self._email)
        if problems:
            raise ValidationError(" ".join(str(p) for p in problems))
