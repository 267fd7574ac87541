"""Forms shared by every module."""

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """Only the CSRF token: for buttons that do one thing (mark done, delete, send an invite),
    and for forms whose fields are read by hand (the attendance sheet)."""


def strip_text(value):
    """A WTForms filter: outer spaces off, so a name of only spaces counts as empty."""
    return value.strip() if isinstance(value, str) else value
