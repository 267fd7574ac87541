"""An instrument to and from a REDCap data dictionary (REDCap's 18-column CSV of fields).

Import reads one form into an instrument mapping (what `instruments/<key>.yaml` holds). What
p4p cannot carry over (branching logic, calculations, files, several-answer checkboxes, notes
beside a field ...) is named in a warning, never dropped silently. A dictionary has one
language: its labels go under English and, for every other language of the program, the same
English text with a warning to translate it, so the file validates and the gap is reported.

Export writes an instrument's fields back as dictionary rows; importing them gives the same
instrument. Scores travel as read-only number fields whose annotation says how p4p computes
them, not as REDCap calc fields: p4p computes each score once (scoring.py) and sends the value
as data, whereas a REDCap calculation would be a second implementation to keep equal (REDCap's
calc syntax has no count of answered fields for min_answers, and reversing a blank answer by
arithmetic gives a number). The annotation lets an import turn them back into scores.
"""

import csv
import html
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import nh3

from p4p.modules.instruments.definitions import SHORT_TEXT_LENGTH
from p4p.modules.instruments.models import Instrument, Item, Score
from p4p.modules.reports.redcap import DICTIONARY_COLUMNS

(
    NAME, FORM, SECTION, TYPE, LABEL, CHOICES, NOTE, VALIDATION, MINIMUM, MAXIMUM, IDENTIFIER,
    BRANCHING, REQUIRED, ALIGNMENT, QUESTION_NUMBER, MATRIX_GROUP, MATRIX_RANKING, ANNOTATION,
) = DICTIONARY_COLUMNS  # fmt: skip
REVERSE_MARK = "p4p: reverse-scored"
READ_ONLY = "@READONLY"  # REDCap's action tag: staff cannot type over a score p4p computed
SCORE_MARK = re.compile(
    r"^@READONLY p4p score: (?P<method>sum|mean) of (?P<items>[a-z0-9_, ]+);"
    r" at least (?P<min>\d+) answered$"
)
# A notes box takes more than a line: above SHORT_TEXT_LENGTH, so it exports as notes again.
NOTES_LENGTH = 1000
WHOLE_NUMBER_VALIDATION = "integer"
DECIMAL_VALIDATION = "number"
# REDCap's other number validations (number_1dp, number_comma_decimal, ...) import as decimals.
DECIMAL_VALIDATIONS = re.compile(r"^number(_\d+dp)?(_comma_decimal)?$")
# Columns p4p has no place for: any value in them gets a warning (the first section header
# becomes the intro, and p4p's own annotations are read, see below).
NOT_CARRIED = (SECTION, NOTE, BRANCHING, ALIGNMENT, QUESTION_NUMBER, MATRIX_GROUP, MATRIX_RANKING)
WHY_SKIPPED = {
    "descriptive": "a descriptive text, not a question: skipped (put it in the intro or an item's text)",
    "calc": "a calculated field: its calculation is not carried over; define a score under scores",
    "file": "a file upload or signature: p4p asks no files; skipped",
    "checkbox": "a checkbox takes several answers; p4p's choice takes one: skipped"
    " (ask it as one yes_no item per option)",
    "sql": "a database query field: skipped",
}


class DictionaryError(ValueError):
    """The CSV is not a data dictionary, or has no such form: nothing can be imported."""


@dataclass
class Imported:
    instrument: dict  # the mapping an instrument file holds
    warnings: list[str] = field(default_factory=list)


def import_form(csv_text: str, form: str, languages: Sequence[str]) -> Imported:
    """One form of a REDCap data dictionary as an instrument mapping, with what did not fit."""
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    missing = [column for column in DICTIONARY_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise DictionaryError(
            "not a REDCap data dictionary: no column " + ", ".join(f'"{c}"' for c in missing)
        )
    rows = [{key: (value or "").strip() for key, value in row.items() if key} for row in reader]
    fields = [row for row in rows if row[FORM] == form]
    if not fields:
        forms = sorted({row[FORM] for row in rows})
        raise DictionaryError(f"no form '{form}' in the dictionary (forms: {', '.join(forms)})")
    result = Imported({"key": form, "title": {}})
    others = [language for language in languages if language != "en"]
    title = form.replace("_", " ").capitalize()
    result.warnings.append(
        f"the title is the form's name, '{title}': write the title participants should see"
    )
    result.instrument["title"] = _in_languages(title, others, "the title", result.warnings)
    items: list[dict] = []
    scores: list[dict] = []
    for row in fields:
        name = row[NAME]
        if row is rows[0]:  # REDCap's first field is the record ID; p4p keeps its own
            result.warnings.append(f"field {name}: the record ID, skipped")
            continue
        if row[SECTION] and not items and "intro" not in result.instrument:
            result.instrument["intro"] = _in_languages(
                _plain(row[SECTION]), others, "the intro", result.warnings
            )
            row = {**row, SECTION: ""}
        score = _score(row)
        if score is not None:
            scores.append(score)
            continue
        item = _item(row, result.warnings)
        if item is None:
            continue
        _warn_not_carried(row, result.warnings)
        items.append(_translated(item, others, result.warnings))
    result.instrument["items"] = items
    if scores:
        result.instrument["scores"] = scores
    result.warnings.append(
        "no schedule: add one per arm (weekly, months, at_enrolment ...) or nobody is asked"
    )
    return result


def _plain(label: str) -> str:
    """REDCap labels may hold HTML; p4p's texts are plain."""
    return " ".join(html.unescape(nh3.clean(label, tags=set())).split())


def _in_languages(english: str, others: list[str], what: str, warnings: list[str]) -> dict:
    warnings.extend(f"translate {what} into {language}" for language in others)
    return {"en": english, **{language: english for language in others}}


def _number(text: str) -> int | float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() and "." not in text else value


def _choices(row: dict, warnings: list[str]) -> list[dict] | None:
    choices = []
    for part in row[CHOICES].split("|"):
        code, _, label = part.partition(",")
        number = _number(code.strip())
        if not isinstance(number, int) or not label.strip():
            warnings.append(
                f"field {row[NAME]}: choice {part.strip()!r} needs a whole-number code and a"
                " label ('1, Not at all'): skipped"
            )
            return None
        choices.append({"code": number, "label": {"en": _plain(label)}})
    return choices


def _item(row: dict, warnings: list[str]) -> dict | None:
    name, kind, validation = row[NAME], row[TYPE], row[VALIDATION]
    label = _plain(row[LABEL])
    # In the order an instrument file lists them: name, type, text, then the type's own fields.
    item: dict = {"name": name, "type": None, "text": {"en": label or name}}
    if kind in ("radio", "dropdown"):
        choices = _choices(row, warnings)
        if choices is None:
            return None
        if kind == "dropdown":
            warnings.append(f"field {name}: a dropdown, imported as a choice (exported as radio)")
        item.update(type="choice", choices=choices)
    elif kind == "yesno":
        item["type"] = "yes_no"
    elif kind == "slider":
        item.update(_slider(row, warnings))
    elif kind == "text" and (
        validation == WHOLE_NUMBER_VALIDATION or DECIMAL_VALIDATIONS.match(validation)
    ):
        item.update(_number_fields(row, warnings))
    elif kind in ("text", "notes"):
        if validation:
            warnings.append(
                f"field {name}: validation '{validation}' is not carried over; a short_text"
            )
        item["type"] = "short_text"
        if kind == "notes":
            item["max_length"] = NOTES_LENGTH
    else:
        why = WHY_SKIPPED.get(kind)
        warnings.append(f"field {name}: {why or f'type {kind!r} is not one p4p knows: skipped'}")
        return None
    if not label:
        warnings.append(f"field {name}: no label; its name is the text until you write one")
    if row[REQUIRED].lower() == "y":
        item["required"] = True
    if row[ANNOTATION] == REVERSE_MARK:
        item["reverse"] = True
    return item


def _slider(row: dict, warnings: list[str]) -> dict:
    # REDCap's slider runs 0-100 unless its min and max say otherwise.
    low, high = _number(row[MINIMUM] or "0"), _number(row[MAXIMUM] or "100")
    if (low, high) != (0, 10):
        warnings.append(
            f"field {row[NAME]}: a slider from {low} to {high}, imported as a number item"
            " of whole numbers (exported as text with integer validation)"
        )
        return {"type": "number", "min": low, "max": high}
    ends = [_plain(label) for label in row[CHOICES].split("|")]
    if len(ends) < 2 or not ends[0] or not ends[-1]:
        warnings.append(
            f"field {row[NAME]}: the slider's ends have no labels; write what 0 and 10 mean"
        )
        ends = ["0", "10"]
    return {"type": "scale_0_10", "anchors": {0: {"en": ends[0]}, 10: {"en": ends[-1]}}}


def _number_fields(row: dict, warnings: list[str]) -> dict:
    validation = row[VALIDATION]
    fields: dict = {"type": "number"}
    if validation != WHOLE_NUMBER_VALIDATION:
        fields["decimal"] = True
        if validation != DECIMAL_VALIDATION:
            warnings.append(
                f"field {row[NAME]}: validation '{validation}' imported as any decimal number"
            )
    for column, key in ((MINIMUM, "min"), (MAXIMUM, "max")):
        if row[column]:
            bound = _number(row[column])
            if bound is None:
                warnings.append(
                    f"field {row[NAME]}: {key} {row[column]!r} is not a number: dropped"
                )
            else:
                fields[key] = bound
    return fields


def _score(row: dict) -> dict | None:
    """A read-only number field written by export (below) is a score again."""
    mark = SCORE_MARK.match(row[ANNOTATION])
    if row[TYPE] != "text" or mark is None:
        return None
    return {
        "name": row[NAME],
        "method": mark["method"],
        "items": [name.strip() for name in mark["items"].split(",")],
        "min_answers": int(mark["min"]),
    }


def _warn_not_carried(row: dict, warnings: list[str]) -> None:
    name = row[NAME]
    for column in NOT_CARRIED:
        if row[column]:
            warnings.append(f'field {name}: "{column}" ({row[column]}) is not carried over')
    if row[IDENTIFIER].lower() == "y":
        warnings.append(f"field {name}: marked as an identifier in REDCap; p4p does not mark it")
    if row[ANNOTATION] and row[ANNOTATION] != REVERSE_MARK:
        warnings.append(f"field {name}: the annotation ({row[ANNOTATION]}) is not carried over")


def _translated(item: dict, others: list[str], warnings: list[str]) -> dict:
    """The English texts copied to every other language, each field reported once."""
    if not others:
        return item
    warnings.extend(f"translate field {item['name']} into {language}" for language in others)
    texts = [item["text"], *(c["label"] for c in item.get("choices", ()))]
    texts += list(item.get("anchors", {}).values())
    for text in texts:
        text.update({language: text["en"] for language in others})
    return item


def dictionary_rows(instrument: Instrument, language: str = "en") -> Iterator[list[str]]:
    """The instrument's items and scores in REDCap's 18 dictionary columns (no header)."""
    for index, item in enumerate(instrument.items):
        row = dict.fromkeys(DICTIONARY_COLUMNS, "")
        row.update({NAME: item.name, FORM: instrument.key, LABEL: item.text[language]})
        if index == 0 and instrument.intro:
            row[SECTION] = instrument.intro[language]
        row.update(_field_type(item, language))
        row[REQUIRED] = "y" if item.required else ""
        row[ANNOTATION] = REVERSE_MARK if item.reverse else ""
        yield [row[column] for column in DICTIONARY_COLUMNS]
    for score in instrument.scores:
        yield [_score_row(instrument, score).get(column, "") for column in DICTIONARY_COLUMNS]


def _field_type(item: Item, language: str) -> dict:
    if item.type == "choice":
        choices = " | ".join(f"{c.code}, {c.label[language]}" for c in item.choices)
        return {TYPE: "radio", CHOICES: choices}
    if item.type == "yes_no":
        return {TYPE: "yesno"}
    if item.type == "scale_0_10":
        labels = f"{item.low_label[language]} | | {item.high_label[language]}"
        return {TYPE: "slider", CHOICES: labels, VALIDATION: "number", MINIMUM: "0", MAXIMUM: "10"}
    if item.type == "number":
        return {
            TYPE: "text",
            VALIDATION: DECIMAL_VALIDATION if item.decimal else WHOLE_NUMBER_VALIDATION,
            MINIMUM: _bound(item.minimum),
            MAXIMUM: _bound(item.maximum),
        }
    long_text = (item.max_length or SHORT_TEXT_LENGTH) > SHORT_TEXT_LENGTH
    return {TYPE: "notes" if long_text else "text"}


def _bound(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if isinstance(value, int) else repr(float(value))


def _score_row(instrument: Instrument, score: Score) -> dict:
    items = ", ".join(score.items)
    return {
        NAME: score.name,
        FORM: instrument.key,
        TYPE: "text",
        LABEL: f"Score: {score.method} of {items}",
        VALIDATION: DECIMAL_VALIDATION,
        ANNOTATION: f"{READ_ONLY} p4p score: {score.method} of {items};"
        f" at least {score.min_answers} answered",
    }


def dictionary_csv(instrument: Instrument, language: str = "en") -> str:
    """A whole data dictionary of the one instrument, header first, as REDCap uploads it.

    Not formula-neutralised like the data exports: REDCap reads it, not a spreadsheet, its
    action tags start with '@', and its text is the study's own, not anyone's typing.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(DICTIONARY_COLUMNS)
    # REDCap's first field is the record's ID (an import skips it again).
    record_id = dict.fromkeys(DICTIONARY_COLUMNS, "")
    record_id.update({NAME: "record_id", FORM: instrument.key, TYPE: "text", LABEL: "Record ID"})
    writer.writerow(record_id.values())
    writer.writerows(dictionary_rows(instrument, language))
    return buffer.getvalue()
