"""Loading and validating the study's questionnaires: `instruments/<key>.yaml` beside program.yaml.

Like the weeks, instruments are read at start-up and the app refuses to start on a bad one
(`flask curriculum check` and `flask instruments check` list the same problems). Every problem
names the file and the item or field, and says what to write instead; all are collected.
"""

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import yaml

from p4p.modules.curriculum import yaml_text
from p4p.modules.instruments.models import (
    ITEM_TYPES,
    OCCASIONS,
    REVERSIBLE_TYPES,
    SCORABLE_TYPES,
    SCORE_METHODS,
    Choice,
    Instrument,
    Item,
    Occasion,
    Score,
)

INSTRUMENTS_FOLDER = "instruments"
# REDCap's rule for a variable name: the item names become its columns.
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,25}$")
FIELD_NAME_RULE = "lowercase letters, digits and underscores, starting with a letter, at most 26"
INSTRUMENT_FIELDS = {"key", "title", "intro", "items", "scores", "schedule"}
COMMON_ITEM_FIELDS = {"name", "type", "text", "required"}
ITEM_FIELDS = {
    "choice": {"choices", "reverse"},
    "scale_0_10": {"anchors", "reverse"},
    "yes_no": set(),
    "number": {"min", "max", "decimal"},
    "short_text": {"max_length"},
}
SHORT_TEXT_LENGTH = 200  # a short_text's max_length when it gives none
LONGEST_TEXT = 2000
SCORE_FIELDS = {"name", "method", "items", "min_answers"}
OCCASION_FIELDS = {
    "at_enrolment": {"window_days"},
    "before_session": {"window_days", "sessions"},
    "after_session": {"window_days", "sessions"},
    "weekly": {"window_days"},
    "months": {"window_days", "at"},
}
LONGEST_WINDOW = 60
# A weekly window past 7 days would still be open when the next week's opens.
LONGEST_WEEKLY_WINDOW = 7


def instrument_paths(content_dir: Path) -> list[Path]:
    folder = content_dir / INSTRUMENTS_FOLDER
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def read_instruments(
    content_dir: Path,
    languages: Sequence[str],
    arms: dict[str, int],
    arm_words: Sequence[str] = (),
) -> tuple[dict[str, Instrument], list[str]]:
    """Every instrument file of the content folder, and every problem in any of them.

    `arms` maps each arm key of the program to its number of sessions; `arm_words` are the
    other words that name an arm (its label), which no text may contain.
    """
    instruments, problems = {}, []
    for path in instrument_paths(content_dir):
        try:
            raw = yaml_text.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            problems.append(f"{path}: not readable YAML: {error}")
            continue
        instrument, found = parse_instrument(raw, path, languages, arms, arm_words)
        problems += found
        if instrument is not None:
            instruments[instrument.key] = instrument
    return instruments, problems


def parse_instrument(
    raw,
    path: Path | str,
    languages: Sequence[str],
    arms: dict[str, int],
    arm_words: Sequence[str] = (),
) -> tuple[Instrument | None, list[str]]:
    """One instrument from its YAML mapping; None and the problems when it has any."""
    reader = _Reader(str(path), tuple(languages))
    instrument = reader.instrument(raw, arms)
    words = [*arm_words, *arms, *(key.replace("_", " ") for key in arms)]
    reader.problems += _arm_names_in(instrument, path, words) if instrument else []
    return (None if reader.problems else instrument), reader.problems


def _arm_names_in(instrument: Instrument, path: Path | str, words: Sequence[str]) -> list[str]:
    # Participants of both arms may answer the same questionnaire: no text may name an arm
    # (by its label, its key, or the key's words: keys_to_wellbeing, "keys to wellbeing").
    texts = [("title", instrument.title), ("intro", instrument.intro)]
    for item in instrument.items:
        texts += [(f"item {item.name}", item.text), (f"item {item.name}", item.low_label)]
        texts += [(f"item {item.name}", item.high_label)]
        texts += [(f"item {item.name}", choice.label) for choice in item.choices]
    return [
        f"{path}, {where}: the {language} text names the arm '{word}';"
        " participants must not see arm names"
        for where, by_language in texts
        for language, text in by_language.items()
        for word in dict.fromkeys(words)
        if word and word.lower() in text.lower()
    ]


class _Reader:
    """Reads one instrument's mapping, noting every problem instead of stopping at the first."""

    def __init__(self, path: str, languages: tuple[str, ...]):
        self.path, self.languages = path, languages
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(
            f"{self.path}, {where}: {message}" if where else f"{self.path}: {message}"
        )

    def unknown_fields(self, where: str, given: dict, allowed: set[str]) -> None:
        for name in sorted(set(map(str, given)) - allowed):
            self.problem(
                where, f"unknown field '{name}' (fields here: {', '.join(sorted(allowed))})"
            )

    def text(self, where: str, value, *, optional: bool = False) -> dict[str, str]:
        """A text in every language of the program: {en: ..., es: ...}."""
        if value is None and optional:
            return {}
        example = ", ".join(f"{language}: ..." for language in self.languages)
        if not isinstance(value, dict):
            self.problem(where, f"needs a text per language, like {{{example}}}")
            return {}
        texts = {}
        for language in self.languages:
            text = value.get(language)
            if not isinstance(text, str) or not text.strip():
                self.problem(where, f"has no {language} text (write {language}: ... under it)")
            elif len(text) > LONGEST_TEXT:
                self.problem(where, f"the {language} text is over {LONGEST_TEXT} characters")
            else:
                texts[language] = " ".join(text.split())
        return texts

    def whole(self, where: str, value, low: int, high: int, *, default: int | None = None) -> int:
        if value is None and default is not None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(where, f"must be a whole number from {low} to {high} (found {value!r})")
            return default if default is not None else low
        return value

    def flag(self, where: str, value) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            self.problem(where, f"must be true or false (found {value!r})")
            return False
        return value

    def instrument(self, raw, arms: dict[str, int]) -> Instrument | None:
        if not isinstance(raw, dict):
            self.problem("", "must be a mapping with key, title, items (and scores, schedule)")
            return None
        self.unknown_fields("", raw, INSTRUMENT_FIELDS)
        key = raw.get("key")
        stem = Path(self.path).stem
        if key != stem:
            self.problem("key", f"must be the file's name without .yaml, '{stem}' (found {key!r})")
        if not FIELD_NAME.match(stem):
            self.problem("", f"the file name '{stem}' must be {FIELD_NAME_RULE} characters")
        title = self.text("title", raw.get("title"))
        intro = self.text("intro", raw.get("intro"), optional=True)
        items = self.items(raw.get("items"))
        scores = self.scores(raw.get("scores"), {item.name: item for item in items})
        schedule = self.schedule(raw.get("schedule"), arms)
        return Instrument(stem, title, items, scores, intro, schedule)

    def items(self, raw) -> tuple[Item, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem("items", "must list at least one item (- name: ..., type: ..., text: ...)")
            return ()
        items: list[Item] = []
        for number, entry in enumerate(raw, 1):
            item = self.item(number, entry)
            if item is None:
                continue
            if any(other.name == item.name for other in items):
                self.problem(f"item {item.name}", "the name is used twice; give each item its own")
            items.append(item)
        return tuple(items)

    def item(self, number: int, raw) -> Item | None:
        if not isinstance(raw, dict):
            self.problem(f"item {number}", "must be a mapping with name, type and text")
            return None
        name = raw.get("name")
        if not isinstance(name, str) or not FIELD_NAME.match(name):
            self.problem(
                f"item {number}",
                f"name {name!r} must be {FIELD_NAME_RULE} characters, like pain_avg",
            )
            return None
        where = f"item {name}"
        kind = raw.get("type")
        if kind not in ITEM_TYPES:
            self.problem(where, f"type {kind!r} is not one of {', '.join(ITEM_TYPES)}")
            return None
        if "reverse" in raw and kind not in REVERSIBLE_TYPES:
            self.problem(
                f"{where}, reverse",
                "only " + " and ".join(REVERSIBLE_TYPES) + " items can be reverse-scored",
            )
        self.unknown_fields(where, raw, COMMON_ITEM_FIELDS | ITEM_FIELDS[kind] | {"reverse"})
        item = Item(
            name=name,
            type=kind,
            text=self.text(f"{where}, text", raw.get("text")),
            required=self.flag(f"{where}, required", raw.get("required")),
            reverse=self.flag(f"{where}, reverse", raw.get("reverse")),
        )
        if kind == "choice":
            return self.choice_item(item, raw.get("choices"))
        if kind == "scale_0_10":
            return self.scale_item(item, raw.get("anchors"))
        if kind == "number":
            return self.number_item(item, raw)
        if kind == "short_text":
            length = self.whole(
                f"{where}, max_length", raw.get("max_length"), 1, LONGEST_TEXT,
                default=SHORT_TEXT_LENGTH,
            )  # fmt: skip
            return replace(item, max_length=length)
        return item

    def choice_item(self, item: Item, raw) -> Item:
        where = f"item {item.name}, choices"
        if not isinstance(raw, list) or len(raw) < 2:
            self.problem(where, "must list at least two choices (- code: 1, label: {...})")
            return item
        choices: list[Choice] = []
        for number, entry in enumerate(raw, 1):
            if not isinstance(entry, dict) or set(entry) != {"code", "label"}:
                self.problem(f"{where} {number}", "must have exactly a code and a label")
                continue
            code = entry["code"]
            if isinstance(code, bool) or not isinstance(code, int):
                self.problem(f"{where} {number}", f"code {code!r} must be a whole number")
                continue
            if code in (choice.code for choice in choices):
                self.problem(f"{where} {number}", f"code {code} is used twice")
            choices.append(Choice(code, self.text(f"{where} {number}, label", entry["label"])))
        return replace(item, choices=tuple(choices))

    def scale_item(self, item: Item, raw) -> Item:
        where = f"item {item.name}, anchors"
        if not isinstance(raw, dict) or set(raw) != {0, 10}:
            self.problem(where, "must label 0 and 10, like anchors: {0: {en: ...}, 10: {en: ...}}")
            return item
        low = self.text(f"{where}, 0", raw[0])
        high = self.text(f"{where}, 10", raw[10])
        return replace(item, low_label=low, high_label=high)

    def number_item(self, item: Item, raw) -> Item:
        where = f"item {item.name}"
        decimal = self.flag(f"{where}, decimal", raw.get("decimal"))
        bounds = []
        for field_name in ("min", "max"):
            value = raw.get(field_name)
            whole = isinstance(value, int) and not isinstance(value, bool)
            if value is None or whole or (decimal and isinstance(value, float)):
                bounds.append(value)
                continue
            kind = "a number" if decimal else "a whole number (or set decimal: true)"
            self.problem(f"{where}, {field_name}", f"must be {kind} (found {value!r})")
            bounds.append(None)
        low, high = bounds
        if low is not None and high is not None and low >= high:
            self.problem(f"{where}, max", f"must be above min ({low}), found {high}")
        return replace(item, minimum=low, maximum=high, decimal=decimal)

    def scores(self, raw, items: dict[str, Item]) -> tuple[Score, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.problem("scores", "must be a list (- name: ..., method: sum, items: [...])")
            return ()
        scores: list[Score] = []
        for number, entry in enumerate(raw, 1):
            score = self.score(number, entry, items)
            if score is None:
                continue
            if score.name in items or any(other.name == score.name for other in scores):
                self.problem(f"score {score.name}", "the name is already an item's or a score's")
            scores.append(score)
        return tuple(scores)

    def score(self, number: int, raw, items: dict[str, Item]) -> Score | None:
        if not isinstance(raw, dict):
            self.problem(f"score {number}", "must be a mapping with name, method and items")
            return None
        name = raw.get("name")
        if not isinstance(name, str) or not FIELD_NAME.match(name):
            self.problem(f"score {number}", f"name {name!r} must be {FIELD_NAME_RULE} characters")
            return None
        where = f"score {name}"
        self.unknown_fields(where, raw, SCORE_FIELDS)
        method = raw.get("method")
        if method not in SCORE_METHODS:
            self.problem(f"{where}, method", f"{method!r} is not one of {', '.join(SCORE_METHODS)}")
        names = raw.get("items")
        if not isinstance(names, list) or not names:
            self.problem(f"{where}, items", "must list the names of the items it adds up")
            names = []
        for item_name in names:
            item = items.get(item_name)
            if item is None:
                self.problem(f"{where}, items", f"{item_name!r} is not an item of this instrument")
            elif item.type not in SCORABLE_TYPES:
                self.problem(
                    f"{where}, items",
                    f"{item_name} is a {item.type} item; a score adds only "
                    + ", ".join(SCORABLE_TYPES),
                )
        if len(set(map(str, names))) != len(names):
            self.problem(f"{where}, items", "names an item twice")
        min_answers = self.whole(
            f"{where}, min_answers", raw.get("min_answers"), 1, max(len(names), 1),
            default=len(names) or 1,
        )  # fmt: skip
        return Score(name, str(method), tuple(map(str, names)), min_answers)

    def schedule(self, raw, arms: dict[str, int]) -> dict[str, tuple[Occasion, ...]]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problem(
                "schedule", "must map arm keys to occasions, like partners4pain: {weekly: ...}"
            )
            return {}
        schedule = {}
        for arm, occasions in raw.items():
            if arm not in arms:
                self.problem(
                    "schedule", f"{arm!r} is not an arm of the program (arms: {', '.join(arms)})"
                )
                continue
            if not isinstance(occasions, dict) or not occasions:
                self.problem(f"schedule {arm}", "must name one or more of " + ", ".join(OCCASIONS))
                continue
            schedule[arm] = tuple(
                occasion
                for kind, given in occasions.items()
                if (occasion := self.occasion(f"schedule {arm}, {kind}", kind, given, arms[arm]))
            )
        return schedule

    def occasion(self, where: str, kind, raw, sessions: int) -> Occasion | None:
        if kind not in OCCASIONS:
            self.problem(where, f"{kind!r} is not one of {', '.join(OCCASIONS)}")
            return None
        if not isinstance(raw, dict):
            self.problem(where, "needs a window_days, like {window_days: 3}")
            return None
        self.unknown_fields(where, raw, OCCASION_FIELDS[kind])
        longest = LONGEST_WEEKLY_WINDOW if kind == "weekly" else LONGEST_WINDOW
        window = self.whole(f"{where}, window_days", raw.get("window_days"), 1, longest)
        numbers: tuple[int, ...] = ()
        if kind in ("before_session", "after_session") and raw.get("sessions") is not None:
            numbers = self.numbers(f"{where}, sessions", raw["sessions"], 1, max(sessions, 1))
        if kind == "months":
            numbers = self.numbers(f"{where}, at", raw.get("at"), 1, 60)
        if kind == "months":
            return Occasion(kind, window, months=numbers)
        return Occasion(kind, window, sessions=numbers)

    def numbers(self, where: str, raw, low: int, high: int) -> tuple[int, ...]:
        valid = (
            isinstance(raw, list)
            and raw
            and all(
                isinstance(n, int) and not isinstance(n, bool) and low <= n <= high for n in raw
            )
            and raw == sorted(set(raw))
        )
        if not valid:
            self.problem(
                where,
                f"must list whole numbers from {low} to {high}, rising, like [2, 4] (found {raw!r})",
            )
            return ()
        return tuple(raw)
