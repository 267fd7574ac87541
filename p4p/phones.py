"""Phone numbers: read once where they are typed, stored in E.164, shown the national way.

E.164 ("+13125550142") is what SMS providers send and expect, so a STOP reply's `From` matches
the stored number however it was typed ("(312) 555-0142", "312.555.0142", "+1 312 555 0142").
A number without a country code is read as one of PHONE_REGION (config, default "US"). Every
place a phone is entered (enrolment form, roster, facilitator forms) goes through here.
"""

import phonenumbers
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from phonenumbers import NumberParseException, PhoneNumberFormat

PHONE_MAX = 32  # characters as typed; the stored E.164 form has at most 16
DEFAULT_REGION = "US"


def default_region() -> str:
    region = current_app.config.get("PHONE_REGION") if has_app_context() else None
    return (region or DEFAULT_REGION).strip().upper()


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    if not text or len(text) > PHONE_MAX:
        return None
    try:
        return phonenumbers.parse(text, region or default_region())
    except NumberParseException:
        return None


def phone_problem(text: str, region: str | None = None) -> str | None:
    """Why this typed number cannot be stored, or None; a field message in the user's language."""
    number = _parse(text.strip(), region)
    if number is None or not phonenumbers.is_valid_number(number):
        return _l(
            "Enter a valid phone number, like (312) 555-0142, or with its country code, "
            "like +52 55 1234 5678."
        )
    if number.extension:
        return _l("Leave out the extension: texts go to the number itself.")
    return None


def to_e164(text: str | None, region: str | None = None) -> str | None:
    """The number as stored ("+13125550142"), None for an empty field.

    ValueError for a number phone_problem refuses: callers check it first (forms, roster).
    """
    if text is None or not text.strip():
        return None
    number = _parse(text.strip(), region)
    if number is None or phone_problem(text, region) is not None:
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def e164_or_none(text: str | None, region: str | None = None) -> str | None:
    """E.164 when the text is a valid number, else None (for numbers others send us)."""
    number = _parse((text or "").strip(), region)
    if number is None or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display_phone(stored: str | None) -> str:
    """For pages: "(312) 555-0142" for a number of the home region, "+52 55 1234 5678" for
    another; a number stored before E.164 that cannot be read is shown as it is."""
    if not stored:
        return ""
    number = _parse(stored, None)
    if number is None or not phonenumbers.is_valid_number(number):
        return stored
    home = phonenumbers.region_code_for_number(number) == default_region()
    style = PhoneNumberFormat.NATIONAL if home else PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


def init_app(app) -> None:
    app.jinja_env.filters["phone"] = display_phone
