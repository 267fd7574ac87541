"""The words and symbols an attendance status or meeting mode is shown with, on the
facilitator's screens, the reports and the REDCap export alike."""

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "present": _l("Present"),
    "late": _l("Late"),
    "left_early": _l("Left early"),
    "excused": _l("Excused"),
    "absent": _l("Absent"),
}
# A symbol beside each word, so colour is never the only signal.
STATUS_SYMBOLS = {"present": "✓", "late": "◔", "left_early": "◑", "excused": "○", "absent": "✗"}
MODE_LABELS = {"in_person": _l("In person"), "video": _l("Video")}
