from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, ValidationError
from wtforms.validators import Email, EqualTo, InputRequired, Length

from p4p.forms import Form
from p4p.modules.auth.passwords import MAX_LENGTH, password_problems

EMAIL_MAX = 254  # the longest address SMTP carries


class LoginForm(Form):
    email = EmailField(
        _l("Email"),
        validators=[InputRequired(_l("Enter your email address.")), Length(max=EMAIL_MAX)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password.")), Length(max=MAX_LENGTH)],
    )


class RequestResetForm(Form):
    email = EmailField(
        _l("Email"),
        validators=[
            InputRequired(_l("Enter your email address.")),
            Email(_l("Enter an email address like name@example.org.")),
            Length(max=EMAIL_MAX),
        ],
    )


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
