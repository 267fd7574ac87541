"""The shape of a questionnaire (an instrument): read from `instruments/<key>.yaml`, not the database.

Texts are per language ({"en": ..., "es": ...}); every language of the program has one.
"""

from dataclasses import dataclass, field

ITEM_TYPES = ("choice", "scale_0_10", "yes_no", "number", "short_text")
# Items whose answer is a number a score can add up (a yes is 1, a no 0, as in REDCap).
SCORABLE_TYPES = ("choice", "scale_0_10", "yes_no", "number")
REVERSIBLE_TYPES = ("choice", "scale_0_10")
SCORE_METHODS = ("sum", "mean")
OCCASIONS = ("at_enrolment", "before_session", "after_session", "weekly", "months")


@dataclass(frozen=True)
class Choice:
    code: int
    label: dict[str, str]


@dataclass(frozen=True)
class Item:
    name: str  # a REDCap variable name: it is the column of the answer everywhere
    type: str  # one of ITEM_TYPES
    text: dict[str, str]
    required: bool = False
    reverse: bool = False  # choice and scale_0_10 only: scored high-is-low
    choices: tuple[Choice, ...] = ()  # choice
    low_label: dict[str, str] = field(default_factory=dict)  # scale_0_10: what 0 means
    high_label: dict[str, str] = field(default_factory=dict)  # scale_0_10: what 10 means
    minimum: float | None = None  # number
    maximum: float | None = None  # number
    decimal: bool = False  # number: decimals allowed, else whole numbers only
    max_length: int | None = None  # short_text

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(choice.code for choice in self.choices)


@dataclass(frozen=True)
class Score:
    name: str
    method: str  # sum | mean
    items: tuple[str, ...]
    min_answers: int  # fewer answered items than this: no score


@dataclass(frozen=True)
class Occasion:
    """One kind of moment an instrument is asked, and how many days it stays open."""

    kind: str  # one of OCCASIONS
    window_days: int
    sessions: tuple[int, ...] = ()  # before/after_session: which sessions (empty: every one)
    months: tuple[int, ...] = ()  # months: after the participant's own start


@dataclass(frozen=True)
class Instrument:
    key: str
    title: dict[str, str]
    items: tuple[Item, ...]
    scores: tuple[Score, ...] = ()
    intro: dict[str, str] = field(default_factory=dict)
    # arm key -> when it is asked in that arm; an arm not named does not ask it
    schedule: dict[str, tuple[Occasion, ...]] = field(default_factory=dict)

    def item(self, name: str) -> Item:
        return next(item for item in self.items if item.name == name)
