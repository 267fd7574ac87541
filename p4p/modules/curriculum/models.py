"""The shape of the program definition and the weekly content (read from files, not the database)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from p4p.modules.curriculum import readability
from p4p.modules.instruments.models import Instrument

# The fixed sections of every week, in order: (id, heading per language).
SECTIONS: tuple[tuple[str, dict[str, str]], ...] = (
    ("what-we-do", {"en": "What we do this week", "es": "Lo que hacemos esta semana"}),
    ("key-ideas", {"en": "Key ideas", "es": "Ideas clave"}),
    ("try-it", {"en": "Try it together", "es": "Hagámoslo juntos"}),
    ("home-practice", {"en": "Home practice", "es": "Práctica en casa"}),
    ("questions", {"en": "Questions to think about", "es": "Preguntas para pensar"}),
    ("action-plan", {"en": "Your action plan", "es": "Tu plan de acción"}),
)


@dataclass(frozen=True)
class PracticeType:
    key: str
    label: str


# How fast the player's voice reads (words a minute at its rate of 0.9): a calm guided pace,
# slower than talk. Used to estimate how long a guide takes.
GUIDE_WORDS_PER_MINUTE = 130


@dataclass(frozen=True)
class GuideStep:
    say: str
    pause_seconds: int  # quiet after the step is spoken, for doing what it says

    @property
    def speech_seconds(self) -> float:
        return readability.word_count(self.say) * 60 / GUIDE_WORDS_PER_MINUTE


@dataclass(frozen=True)
class Guide:
    """A practice spoken step by step, with pauses (and, optionally, the study's own recording)."""

    practice: str  # a key of the week's practice_types
    title: str  # that practice type's label
    steps: tuple[GuideStep, ...]
    audio: str | None = None  # a file name in the content folder's audio/ folder

    @property
    def speech_seconds(self) -> float:
        return sum(step.speech_seconds for step in self.steps)

    @property
    def pause_seconds(self) -> int:
        return sum(step.pause_seconds for step in self.steps)

    @property
    def minutes(self) -> float:
        return (self.speech_seconds + self.pause_seconds) / 60


@dataclass(frozen=True)
class Section:
    id: str
    heading: str
    html: str  # sanitised
    markdown: str = field(repr=False)

    @cached_property
    def text(self) -> str:
        """Plain text, for measuring and checking the words (made on first use, see below)."""
        return readability.plain_text(self.markdown)


@dataclass(frozen=True)
class WeekContent:
    arm: str
    number: int
    language: str
    title: str
    goal: str
    practice_types: tuple[PracticeType, ...]
    target_minutes: int
    target_days: int
    sections: tuple[Section, ...]
    body: str = field(repr=False)  # the Markdown of every section, measured on demand
    # The first guide is the home practice's: its length must match target_minutes.
    guides: tuple[Guide, ...] = ()

    # Measured on first use, not at load: the reading formula takes about 2 s for the whole
    # program, and every create_app, worker and CLI call loads it, while only `curriculum
    # check` and the content tests ask. (cached_property writes the instance's __dict__
    # directly, so it works on a frozen dataclass.)
    @cached_property
    def text(self) -> str:
        return readability.plain_text(self.body)

    @cached_property
    def words(self) -> int:
        return readability.word_count(self.text)

    @cached_property
    def grade(self) -> float:
        """Flesch-Kincaid grade (English) or Fernández-Huerta ease (Spanish)."""
        return readability.reading_grade(self.text, self.language)

    def reading(self, limits: dict | None = None) -> tuple[readability.Measure, ...]:
        """Both reading measures of the week's language, each against the study's limit."""
        return readability.measures(self.text, self.language, limits)

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)


@dataclass(frozen=True)
class SafetyBlock:
    """The one "When to get help" text of a language, the same for every arm by construction."""

    language: str
    title: str
    html: str  # sanitised
    # Short lines shown on the weeks that need them, by kind ("thoughts": before thought work).
    notes: dict[str, str] = field(default_factory=dict)
    markdown: str = field(default="", repr=False)


# The names program.yaml gives weekdays in an arm's schedule; Monday = 0, as in Python.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class SessionRhythm:
    """When an arm's sessions fall after the first: every N days, or on named weekdays
    (Monday and Thursday: twice a week). The time of day is the cohort's."""

    every_days: int = 7
    weekdays: tuple[int, ...] = ()

    def dates(self, first: date, count: int) -> list[date]:
        """The local dates of `count` sessions from the first (which the caller put on a
        session day)."""
        if not self.weekdays:
            return [first + timedelta(days=self.every_days * n) for n in range(count)]
        found: list[date] = []
        day = first
        while len(found) < count:
            if day.weekday() in self.weekdays:
                found.append(day)
            day += timedelta(days=1)
        return found

    def days_after_last(self, last: date) -> int:
        """How many days the last session's window spans: until the next session would fall."""
        if not self.weekdays:
            return self.every_days
        return next(n for n in range(1, 8) if (last + timedelta(days=n)).weekday() in self.weekdays)


@dataclass(frozen=True)
class Arm:
    key: str
    label: str
    weeks: tuple[int, ...]
    rhythm: SessionRhythm = SessionRhythm()
    # content[language][week number]
    content: dict[str, dict[int, WeekContent]] = field(default_factory=dict, compare=False)
    # week number -> kind of safety note shown before that week's tasks (see SafetyBlock.notes)
    safety_notes: dict[int, str] = field(default_factory=dict, compare=False)

    def week(self, number: int, language: str = "en") -> WeekContent:
        by_language = self.content.get(language) or self.content["en"]
        return by_language.get(number) or self.content["en"][number]

    def practice_types(self, numbers, language: str = "en") -> list[PracticeType]:
        """The practice types of the given weeks, each key once, in week order."""
        seen: dict[str, PracticeType] = {}
        for number in numbers:
            for practice_type in self.week(number, language).practice_types:
                seen.setdefault(practice_type.key, practice_type)
        return list(seen.values())


@dataclass(frozen=True)
class Program:
    study: str
    languages: tuple[str, ...]
    session_minutes: int
    cadence_days: int
    delivery: str
    follow_up_months: tuple[int, ...]
    arms: dict[str, Arm]
    # What participants see as the app's name, by language: arm-neutral, so it keeps the
    # blinding (the long name for titles and emails, the short one for the header and texts).
    study_name: dict[str, str] = field(default_factory=dict, compare=False)
    study_short_name: dict[str, str] = field(default_factory=dict, compare=False)
    safety: dict[str, SafetyBlock] = field(default_factory=dict, compare=False)
    # The study's reading limits (program.yaml's reading_level over readability's defaults).
    reading_limits: dict = field(default_factory=dict, compare=False)
    # The study's questionnaires by key (instruments/<key>.yaml beside program.yaml).
    instruments: dict[str, Instrument] = field(default_factory=dict, compare=False)

    def arm(self, key: str) -> Arm:
        return self.arms[key]

    def name_in(self, language: str, *, short: bool = False) -> str:
        names = self.study_short_name if short else self.study_name
        return names.get(language) or names.get("en") or ""

    def safety_in(self, language: str) -> SafetyBlock | None:
        return self.safety.get(language) or self.safety.get("en")
