"""Forms shared by every module."""

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """Only the CSRF token: for buttons that do one thing (mark done, delete, send an invite),
    and for forms whose fields are read by hand (the attendance sheet)."""
