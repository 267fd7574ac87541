"""Questionnaires as people read them, in the reader's language: an occasion's name, an item's
answer options, and a sent response's answers. Shared by the participant's pages and the staff's."""

from flask_babel import get_locale
from flask_babel import gettext as _

from p4p.modules.instruments import service
from p4p.modules.instruments.models import Instrument, Item


def language() -> str:
    return str(get_locale() or "en")


def text(texts: dict[str, str]) -> str:
    """A text of the questionnaire file in the reader's language (else its first one)."""
    return service.in_language(texts, language())


def occasion_label(occasion: str) -> str:
    """ "Week 3", "2-month follow-up", "At the start", in the reader's language."""
    kind, _dash, number = occasion.partition("-")
    if kind == "week":
        return _("Week %(n)d", n=int(number))
    if kind == "month":
        return _("%(n)d-month follow-up", n=int(number))
    return _("At the start")


def options(item: Item) -> list[tuple[str, str]]:
    if item.type == "choice":
        return [(str(c.code), text(c.label)) for c in item.choices]
    if item.type == "yes_no":
        return [("1", _("Yes")), ("0", _("No"))]
    if item.type == "scale_0_10":
        # The two ends carry their words ("0 – No pain"); the numbers between stand alone.
        ends = {0: item.low_label, 10: item.high_label}
        return [(str(n), f"{n} – {text(ends[n])}" if ends.get(n) else str(n)) for n in range(11)]
    return []


def answer_rows(instrument: Instrument, answers: dict) -> list[tuple[int, str, str | None]]:
    """(question number, question text, the answer as shown) for each item."""
    rows = []
    for number, item in enumerate(instrument.items, start=1):
        value = answers.get(item.name)
        shown = None
        if value is not None:
            shown = service.shown_answer(value)
            shown = dict(options(item)).get(shown, shown)  # a choice's label, "Yes", "0 – ..."
        rows.append((number, text(item.text), shown))
    return rows
