"""Forms shared by every module, and the words every form field uses for bad input."""

import re

from flask import request
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import IntegerField as WTFormsIntegerField
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, StopValidation, ValidationError

# WTForms' built-in messages ("Not a valid integer value.", "This field is required.", ...) in
# p4p's own words and catalog, so a field without a message of its own still speaks plainly, in
# the person's language. WTForms fills in the %-values of the ones it formats (min, max).
_OWN_WORDS = {
    "This field is required.": _l("Fill this in."),
    "Not a valid integer value.": _l("Enter a whole number, like 20."),
    "Not a valid decimal value.": _l("Enter a number, like 2.5."),
    "Not a valid float value.": _l("Enter a number, like 2.5."),
    "Not a valid date value.": _l("Enter a date, like 2026-03-10."),
    "Not a valid datetime value.": _l("Enter a date and time, like 2026-03-10 18:00."),
    "Not a valid time value.": _l("Enter a time, like 18:00."),
    "Not a valid choice.": _l("Choose one of the options shown."),
    "Invalid Choice: could not coerce.": _l("Choose one of the options shown."),
    "Invalid choice(s): one or more data inputs could not be coerced.": _l(
        "Choose only from the options shown."
    ),
    "'%(value)s' is not a valid choice for this field.": _l("Choose only from the options shown."),
    "Number must be at least %(min)s.": _l("Enter a number of at least %(min)s."),
    "Number must be at most %(max)s.": _l("Enter a number no bigger than %(max)s."),
    "Number must be between %(min)s and %(max)s.": _l("Enter a number from %(min)s to %(max)s."),
    "Date must be at least %(min)s.": _l("Enter a date on or after %(min)s."),
    "Date must be at most %(max)s.": _l("Enter a date on or before %(max)s."),
    "Date must be between %(min)s and %(max)s.": _l("Enter a date from %(min)s to %(max)s."),
    "Field must be between %(min)d and %(max)d characters long.": _l(
        "Use from %(min)d to %(max)d characters."
    ),
    "Invalid email address.": _l("Enter an email address, like name@example.org."),
    "Invalid URL.": _l("Enter a web link starting with https://."),
    "Field must be equal to %(other_name)s.": _l("This must match %(other_label)s."),
}
_ANYTHING_ELSE = _l("Check what you entered here.")
# Raised as exceptions for a programmer (a field without choices), never shown: kept as they are.
_FOR_PROGRAMMERS = {"Choices cannot be None.", "Invalid field name '%s'."}


def _length_words(singular: str, n: int) -> str | None:
    """The length messages, counted in the person's language (Spanish has its own plural)."""
    if singular.startswith("Field cannot be longer than"):
        return ngettext("Keep this to %(num)d character.", "Keep this to %(num)d characters.", n)
    if singular.startswith("Field must be at least"):
        return ngettext("Use at least %(num)d character.", "Use at least %(num)d characters.", n)
    if singular.startswith("Field must be exactly"):
        return ngettext("Use exactly %(num)d character.", "Use exactly %(num)d characters.", n)
    return None


class OwnWords:
    """What WTForms asks of a form's translations (gettext and ngettext), answered in our words."""

    def gettext(self, string: str) -> str:
        if string in _FOR_PROGRAMMERS:
            return string
        return str(_OWN_WORDS.get(string, _ANYTHING_ELSE))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        counted = _length_words(singular, n)
        return counted if counted is not None else self.gettext(singular)


OWN_WORDS = OwnWords()


# The longest value a text field takes when its own Length says nothing.
TEXT_MAX = 500
TEXTAREA_MAX = 5000


class _LengthBound:
    """First of a text field's validators: a value over the bound stops validation there, before
    any other check (an email parser, a password rule) or the view sees it."""

    def __init__(self, maximum: int):
        self.maximum = maximum

    def __call__(self, form, field):
        if isinstance(field.data, str) and len(field.data) > self.maximum:
            field.data = field.data[: self.maximum]  # the page shows it again, bounded too
            raise StopValidation(
                ngettext(
                    "Keep this to %(num)d character.",
                    "Keep this to %(num)d characters.",
                    self.maximum,
                )
            )


def bound_text_length(field):
    """Give every text field (StringField and its kinds: email, password, text area...) a length
    bound: its own Length's max, or TEXT_MAX / TEXTAREA_MAX."""
    if isinstance(field, StringField):
        own = [v.max for v in field.validators if isinstance(v, Length) and v.max >= 0]
        default = TEXTAREA_MAX if isinstance(field, TextAreaField) else TEXT_MAX
        field.validators = [_LengthBound(min(own, default=default)), *field.validators]
    return field


# Characters that change how text is shown without being seen: bidirectional controls (a
# right-to-left override makes "gpj.exe" read "exe.jpg"), and C0/C1 control characters other
# than tab and line breaks. No name, note or address needs one.
HIDDEN_CHARACTERS = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
)
HIDDEN_CHARACTERS_MESSAGE = _l(
    "Remove the hidden formatting characters (such as text-direction marks) from this text."
)


def hidden_characters_problem(value) -> str | None:
    """The field message when text holds a hidden formatting or control character."""
    if isinstance(value, str) and HIDDEN_CHARACTERS.search(value):
        return str(HIDDEN_CHARACTERS_MESSAGE)
    return None


class Form(FlaskForm):
    """Every p4p form: a bad value gets one of our own messages, never WTForms' raw English;
    fields read only a browser form's body, no text field takes an unbounded value, and text
    never carries hidden characters."""

    class Meta:
        def get_translations(self, form):
            return OWN_WORDS

        # WTForms makes this Meta a subclass of the base form's Meta when it builds the class,
        # so super() has these methods at run time; to mypy, Meta's base is object.
        def bind_field(self, form, unbound_field, options):
            bound = super().bind_field(form, unbound_field, options)  # type: ignore[misc]
            return bound_text_length(bound)

        def wrap_formdata(self, form, formdata):
            # Flask-WTF would also read a JSON body (any shape, any types) and put an upload
            # into any field of its name; a p4p field takes text from the form, files only
            # into a FileField.
            formdata = super().wrap_formdata(form, formdata)  # type: ignore[misc]
            if formdata is None or not request.files:
                return formdata
            file_names = {f.name for f in form if isinstance(f, FileField)}
            files = MultiDict(
                [(k, v) for k, v in request.files.items(multi=True) if k in file_names]
            )
            return CombinedMultiDict((files, request.form))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field, StringField) and not isinstance(field, PasswordField):
                problem = hidden_characters_problem(field.data)
                if problem:
                    field.errors = [*field.errors, problem]
                    valid = False
        return valid


class IntegerField(WTFormsIntegerField):
    """A whole number whose unreadable input ("abc", "2.5") gets the field's own range message,
    the same plain answer as a number out of range."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            ranges = [v for v in self.validators if isinstance(v, NumberRange) and v.message]
            if not ranges:
                raise
            raise ValueError(str(ranges[0].message)) from None


class ConfirmForm(Form):
    """Only the CSRF token: for buttons that do one thing (mark done, delete, send an invite),
    and for forms whose fields are read by hand (the attendance sheet)."""


def ascii_whole_number(value) -> int | None:
    """A whole number of ASCII digits from the request, or None: str.isdigit() also accepts
    "²" and other digits that int() refuses."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def strip_text(value):
    """A WTForms filter: outer spaces off, so a name of only spaces counts as empty."""
    return value.strip() if isinstance(value, str) else value


def plausible_date(_form, field) -> None:
    """Dates in this century only: a typo like 0202 or 20266 would make a schedule overflow."""
    if field.data and not 2000 <= field.data.year <= 2099:
        raise ValidationError(_l("Enter a date between 2000 and 2099."))
