"""Loading and validating the program definition and every week's content file.

The app refuses to start on invalid content: a participant must never meet a
half-rendered week. `flask curriculum check` prints the same findings as a table.
"""

import re
from functools import lru_cache
from pathlib import Path

import markdown
import nh3
import yaml
from flask import current_app

from p4p.modules.curriculum import readability, safety, yaml_text
from p4p.modules.curriculum.models import (
    SECTIONS,
    WEEKDAYS,
    Arm,
    Guide,
    GuideStep,
    PracticeType,
    Program,
    Section,
    SessionRhythm,
    WeekContent,
)
from p4p.modules.instruments.definitions import read_instruments

PACKAGED_CONTENT = Path(__file__).parent / "content"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ARM_KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
# Audio the study records itself: plain file names in the content folder's audio/ folder.
AUDIO_FOLDER = "audio"
AUDIO_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".wav": "audio/wav",
    ".webm": "audio/webm",
}
_AUDIO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# A guide within this share of the week's minute target counts as reaching it.
GUIDE_TARGET_TOLERANCE = 0.30
_ALLOWED_TAGS = {"p", "ul", "ol", "li", "strong", "em", "h3", "h4", "blockquote", "br", "hr", "a"}
# Links stay only to a place on the page (the help block) or to call or text a number.
_LINK_TARGETS = ("#", "tel:", "sms:")


class ContentError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("invalid program content:\n" + "\n".join(problems))
        self.problems = problems


def week_filename(number: int, language: str) -> str:
    suffix = "" if language == "en" else f".{language}"
    return f"week{number:02d}{suffix}.md"


# One converter for the whole read (reset between texts): building one per section cost a fifth of
# reading the program. Only start-up and `curriculum check` render, on one thread.
_MARKDOWN = markdown.Markdown()


def render_markdown(text: str) -> str:
    """Markdown to HTML with only harmless tags left (content files are trusted, but not blindly)."""
    return nh3.clean(
        _MARKDOWN.reset().convert(text),
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href"}},
        attribute_filter=_keep_local_link,
        link_rel=None,
    )


def _keep_local_link(_tag: str, attribute: str, value: str) -> str | None:
    return value if attribute != "href" or value.startswith(_LINK_TARGETS) else None


def _split_front_matter(raw: str) -> tuple[dict, str]:
    if not raw.startswith("---\n"):
        raise ValueError("does not start with '---' front matter")
    try:
        front, body = raw[4:].split("\n---\n", 1)
    except ValueError:
        raise ValueError("front matter is not closed by '---'") from None
    meta = yaml_text.safe_load(front)
    if not isinstance(meta, dict):
        raise ValueError("front matter is not a mapping")
    return meta, body


def _split_sections(body: str, language: str) -> list[tuple[str, str]]:
    """The body's `##` sections as (heading, markdown); refuses h1 and text before the first."""
    if re.search(r"^#\s", body, re.MULTILINE):
        raise ValueError("uses a '#' heading; weeks use '##' for sections")
    parts = re.split(r"^##\s+(.+?)\s*$", body, flags=re.MULTILINE)
    if parts[0].strip():
        raise ValueError("has text before its first '##' section")
    found = list(zip(parts[1::2], parts[2::2], strict=True))
    expected = [headings[language] for _, headings in SECTIONS]
    if [heading for heading, _ in found] != expected:
        raise ValueError(
            "sections must be exactly, in order: "
            + "; ".join(expected)
            + " (found: "
            + "; ".join(heading for heading, _ in found)
            + ")"
        )
    for heading, text in found:
        if not text.strip():
            raise ValueError(f"section '{heading}' is empty")
    return found


def _int_in(meta: dict, key: str, low: int, high: int) -> int:
    value = meta.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"'{key}' must be a whole number from {low} to {high}")
    return value


def parse_week(raw: str, *, arm: str, number: int, language: str) -> WeekContent:
    meta, body = _split_front_matter(raw)
    if meta.get("week") != number:
        raise ValueError(f"front matter says week {meta.get('week')!r}, file name says {number}")
    for key in ("title", "goal"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise ValueError(f"'{key}' is missing or empty")
    raw_types = meta.get("practice_types")
    if not isinstance(raw_types, list) or not 1 <= len(raw_types) <= 6:
        raise ValueError("'practice_types' must list 1 to 6 types")
    practice_types = []
    for item in raw_types:
        if not isinstance(item, dict) or not _SLUG.match(str(item.get("key", ""))):
            raise ValueError(f"practice type {item!r} needs a lowercase-hyphen 'key'")
        if not isinstance(item.get("label"), str) or not item["label"].strip():
            raise ValueError(f"practice type {item['key']!r} needs a 'label'")
        practice_types.append(PracticeType(item["key"], item["label"].strip()))
    if len({t.key for t in practice_types}) != len(practice_types):
        raise ValueError("practice type keys repeat")
    target = meta.get("practice_target")
    if not isinstance(target, dict):
        raise ValueError("'practice_target' needs 'minutes' and 'days'")
    minutes = _int_in(target, "minutes", 1, 240)
    days = _int_in(target, "days", 1, 7)

    guides = _parse_guides(meta.get("guides"), {t.key: t.label for t in practice_types})

    sections = []
    for (section_id, _), (heading, text) in zip(
        SECTIONS, _split_sections(body, language), strict=True
    ):
        sections.append(Section(section_id, heading, render_markdown(text), text))
    return WeekContent(
        arm=arm,
        number=number,
        language=language,
        title=meta["title"].strip(),
        goal=meta["goal"].strip(),
        practice_types=tuple(practice_types),
        target_minutes=minutes,
        target_days=days,
        sections=tuple(sections),
        body=body,
        guides=guides,
    )


def _parse_guides(raw, labels: dict[str, str]) -> tuple[Guide, ...]:
    """The week's `guides:` list; every problem names the guide and the field."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not 1 <= len(raw) <= 6:
        raise ValueError("'guides' must list 1 to 6 guides")
    guides = []
    for index, item in enumerate(raw, 1):
        where = f"guides[{index}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where} must be a mapping with 'practice' and 'steps'")
        unknown = set(item) - {"practice", "steps", "audio"}
        if unknown:
            raise ValueError(
                f"{where} has unknown field(s): {', '.join(sorted(map(str, unknown)))}"
            )
        practice = item.get("practice")
        if practice not in labels:
            raise ValueError(
                f"{where}.practice {practice!r} is not one of this week's practice_types keys"
            )
        where = f"guides[{index}] ({practice})"
        audio = item.get("audio")
        if audio is not None and (
            not isinstance(audio, str)
            or not _AUDIO_NAME.match(audio)
            or Path(audio).suffix.lower() not in AUDIO_TYPES
        ):
            raise ValueError(
                f"{where}.audio must be a plain file name ending in "
                + ", ".join(sorted(AUDIO_TYPES))
                + f" (found {audio!r})"
            )
        raw_steps = item.get("steps")
        if not isinstance(raw_steps, list) or not 1 <= len(raw_steps) <= 80:
            raise ValueError(f"{where}.steps must list 1 to 80 steps")
        steps = []
        for number, step in enumerate(raw_steps, 1):
            at = f"{where}.steps[{number}]"
            if not isinstance(step, dict) or set(step) - {"say", "pause_seconds"}:
                raise ValueError(f"{at} must have only 'say' and 'pause_seconds'")
            if not isinstance(step.get("say"), str) or not step["say"].strip():
                raise ValueError(f"{at}.say is missing or empty")
            pause = step.get("pause_seconds", 0)
            if not isinstance(pause, int) or isinstance(pause, bool) or not 0 <= pause <= 900:
                raise ValueError(f"{at}.pause_seconds must be a whole number from 0 to 900")
            steps.append(GuideStep(" ".join(step["say"].split()), pause))
        guides.append(Guide(practice, labels[practice], tuple(steps), audio))
    if len({g.practice for g in guides}) != len(guides):
        raise ValueError("guides repeat a practice")
    return tuple(guides)


# How a program may be delivered. Only group meetings of a cohort are run today; the others are
# named so that a definition asking for one is told plainly, not run as weekly groups.
DELIVERIES = ("group", "one-to-one", "self-paced", "none")
RUNNABLE_DELIVERIES = ("group",)
# Deliveries without meetings: nothing to schedule.
MEETINGLESS_DELIVERIES = ("self-paced", "none")


class _DuplicateKey(yaml.YAMLError):
    pass


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, except that a key written twice in one mapping is an error (the plain
    loader keeps the last one without a word, so a pasted second line would quietly win)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _DuplicateKey(
                    f"line {key_node.start_mark.line + 1}: {key!r} is written twice: keep one"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _delivery_problem(value, where: str) -> str | None:
    if value not in DELIVERIES:
        return f"{where}'delivery' is {value!r}: write one of {', '.join(DELIVERIES)}"
    if value not in RUNNABLE_DELIVERIES:
        return f"{where}'delivery' is {value!r}, which p4p does not run yet: write delivery: group"
    return None


_SCHEDULE_EXAMPLE = "write every_days: 7 or weekdays: [monday, thursday]"


def _schedule_problems(arm: dict) -> list[str]:
    """What is wrong with an arm's `schedule` (when its sessions fall), said as what to write."""
    where = f"arm {arm['key']}: "
    if "schedule" not in arm:
        return []
    if arm.get("delivery", "group") in MEETINGLESS_DELIVERIES:
        return [f"{where}a {arm['delivery']} arm has no meetings: remove its schedule"]
    schedule = arm["schedule"]
    if not isinstance(schedule, dict) or not schedule or set(schedule) - {"every_days", "weekdays"}:
        return [f"{where}schedule: {_SCHEDULE_EXAMPLE}"]
    if len(schedule) == 2:
        return [f"{where}schedule: write every_days or weekdays, not both"]
    if "every_days" in schedule:
        every = schedule["every_days"]
        if isinstance(every, bool) or not isinstance(every, int) or not 1 <= every <= 28:
            return [f"{where}schedule every_days: write a whole number of days from 1 to 28"]
        return []
    days = schedule["weekdays"]
    if not isinstance(days, list) or not days:
        return [f"{where}schedule weekdays: list one or more days, like [monday, thursday]"]
    problems = [
        f"{where}schedule weekdays: {day!r} is not a weekday: write {', '.join(WEEKDAYS)}"
        for day in days
        if day not in WEEKDAYS
    ]
    problems += [
        f"{where}schedule weekdays: {day!r} is written twice: keep one"
        for day in dict.fromkeys(days)
        if days.count(day) > 1
    ]
    return problems


def _rhythm(arm: dict, cadence_days: int) -> SessionRhythm:
    schedule = arm.get("schedule") or {}
    if "weekdays" in schedule:
        return SessionRhythm(
            weekdays=tuple(sorted(WEEKDAYS.index(d) for d in schedule["weekdays"]))
        )
    return SessionRhythm(every_days=schedule.get("every_days", cadence_days))


def _read_definition(content_dir: Path) -> dict:
    path = content_dir / "program.yaml"
    if not path.is_file():
        raise ContentError([f"{path}: missing"])
    try:
        definition = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader
    except _DuplicateKey as error:
        raise ContentError([f"{path}: {error}"]) from None
    problems = []
    if not isinstance(definition, dict) or not isinstance(definition.get("arms"), list):
        raise ContentError([f"{path}: needs a list of 'arms'"])
    keys_seen = set()
    for arm in definition["arms"]:
        if not isinstance(arm, dict) or not _ARM_KEY.match(str(arm.get("key", ""))):
            problems.append(f"{path}: arm {arm!r} needs a 'key' like 'keys_to_wellbeing'")
            continue
        if arm["key"] in keys_seen:
            problems.append(
                f"{path}: arm key {arm['key']!r} is used by two arms: give each arm its own key"
            )
        keys_seen.add(arm["key"])
        if not isinstance(arm.get("weeks"), int) or not 0 <= arm["weeks"] <= 52:
            problems.append(f"{path}: arm {arm['key']} needs 'weeks' from 0 to 52")
        if "delivery" in arm and (
            problem := _delivery_problem(arm["delivery"], f"arm {arm['key']}: ")
        ):
            problems.append(f"{path}: {problem}")
        problems += [f"{path}: {problem}" for problem in _schedule_problems(arm)]
    if problem := _delivery_problem(definition.get("delivery", "group"), ""):
        problems.append(f"{path}: {problem}")
    languages = definition.get("languages", ["en"])
    if "en" not in languages:
        problems.append(f"{path}: 'languages' must include en")
    if (
        not isinstance(definition.get("cadence_days", 7), int)
        or definition.get("cadence_days", 7) < 1
    ):
        problems.append(f"{path}: 'cadence_days' must be a whole number of days")
    reading_level = definition.get("reading_level", {})
    if not isinstance(reading_level, dict) or any(
        key not in readability.READING_LIMITS
        or not isinstance(value, int | float)
        or isinstance(value, bool)
        for key, value in reading_level.items()
    ):
        problems.append(
            f"{path}: 'reading_level' may set only numbers for "
            + ", ".join(readability.READING_LIMITS)
        )
    if problems:
        raise ContentError(problems)
    return definition


def read_study_instruments(content_dir: Path) -> tuple[dict, list[str]]:
    """The questionnaires alone, checked against program.yaml's languages and arms, without
    reading the weeks (for `flask instruments check`)."""
    try:
        definition = _read_definition(content_dir)
    except ContentError as error:
        return {}, error.problems
    sessions = {arm["key"]: arm["weeks"] for arm in definition["arms"]}
    languages = definition.get("languages", ["en"])
    return read_instruments(content_dir, languages, sessions, _words_naming_arms(definition))


def _words_naming_arms(definition: dict) -> list[str]:
    return [word for arm in definition["arms"] for word in safety.arm_words(arm)]


def read_program(content_dir: Path) -> tuple[Program | None, list[str]]:
    """Every week of every arm and language, and every problem found (all of them, not the first)."""
    try:
        definition = _read_definition(content_dir)
    except ContentError as error:
        return None, error.problems
    languages = tuple(definition.get("languages", ["en"]))
    definition_path = content_dir / "program.yaml"
    names, short_names, problems = safety.study_names(definition, languages, definition_path)
    problems += safety.arm_names_in({**names, **short_names}, definition["arms"], definition_path)
    safety_blocks, safety_problems = safety.read_safety(content_dir, languages, render_markdown)
    problems += safety_problems
    arms = {}
    for arm_def in definition["arms"]:
        key = arm_def["key"]
        numbers = tuple(range(1, arm_def["weeks"] + 1))
        content: dict[str, dict[int, WeekContent]] = {}
        for language in languages:
            content[language] = {}
            for number in numbers:
                path = content_dir / key / week_filename(number, language)
                if not path.is_file():
                    problems.append(f"{path}: missing")
                    continue
                try:
                    raw = path.read_text(encoding="utf-8")
                    week = parse_week(raw, arm=key, number=number, language=language)
                except (ValueError, yaml.YAMLError, UnicodeDecodeError) as error:
                    problems.append(f"{path}: {error}")
                    continue
                problems.extend(
                    f"{path}: guides[{index}] ({guide.practice}).audio: no file "
                    f"{audio_path(content_dir, guide.audio)}"
                    for index, guide in enumerate(week.guides, 1)
                    if guide.audio and not audio_path(content_dir, guide.audio).is_file()
                )
                content[language][number] = week
                problems.extend(safety.week_problems(path, raw, key, definition["arms"]))
        problems.extend(_cross_language_problems(content_dir / key, content, languages))
        notes, note_problems = safety.safety_notes(arm_def, safety_blocks, definition_path)
        problems.extend(note_problems)
        arms[key] = Arm(
            key=key,
            label=str(arm_def.get("label", key)),
            weeks=numbers,
            rhythm=_rhythm(arm_def, int(definition.get("cadence_days", 7))),
            content=content,
            safety_notes=notes,
        )
    instruments, instrument_problems = read_instruments(
        content_dir,
        languages,
        {key: len(arm.weeks) for key, arm in arms.items()},
        _words_naming_arms(definition),
    )
    problems += instrument_problems
    program = Program(
        study=str(definition.get("study", "")),
        languages=languages,
        session_minutes=int(definition.get("session_minutes", 90)),
        cadence_days=int(definition.get("cadence_days", 7)),
        delivery=str(definition.get("delivery", "group")),
        follow_up_months=tuple(definition.get("follow_up_months", ())),
        arms=arms,
        study_name=names,
        study_short_name=short_names,
        safety=safety_blocks,
        reading_limits={**readability.READING_LIMITS, **definition.get("reading_level", {})},
        instruments=instruments,
    )
    return (None if problems else program), problems


def _cross_language_problems(arm_dir: Path, content, languages) -> list[str]:
    # A translation must offer the same practice and targets, or logs would differ by language.
    problems = []
    for language in languages[1:]:
        for number, week in content.get(language, {}).items():
            english = content["en"].get(number)
            if english is None:
                continue
            if [t.key for t in week.practice_types] != [t.key for t in english.practice_types]:
                problems.append(
                    f"{arm_dir / week_filename(number, language)}: practice type keys differ from English"
                )
            if [g.practice for g in week.guides] != [g.practice for g in english.guides]:
                problems.append(
                    f"{arm_dir / week_filename(number, language)}: guides differ from English"
                    " (the same practices, in the same order)"
                )
            if (week.target_minutes, week.target_days) != (
                english.target_minutes,
                english.target_days,
            ):
                problems.append(
                    f"{arm_dir / week_filename(number, language)}: practice target differs from English"
                )
    return problems


def guide_problems(week: WeekContent, path: Path) -> list[str]:
    """The home practice's guide (the first) must take about as long as the week asks."""
    if not week.guides:
        return [f"{path}: no 'guides' (the home practice needs a guide a person can follow)"]
    guide = week.guides[0]
    low = week.target_minutes * (1 - GUIDE_TARGET_TOLERANCE)
    high = week.target_minutes * (1 + GUIDE_TARGET_TOLERANCE)
    if low <= guide.minutes <= high:
        return []
    return [
        f"{path}: guides[1] ({guide.practice}) takes {guide.minutes:.1f} min"
        f" ({guide.speech_seconds / 60:.1f} spoken + {guide.pause_seconds / 60:.1f} pauses),"
        f" the target is {week.target_minutes} min: it must be within"
        f" {GUIDE_TARGET_TOLERANCE:.0%} ({low:.1f} to {high:.1f} min)"
    ]


def quality_report(program: Program, content_dir: Path):
    """Per week: (arm key, language, week, its reading measures, its problems).

    These are `curriculum check` failures, not start-up refusals: measuring the whole
    program takes seconds, and a week a little over a limit is still safe to show.
    """
    for arm in program.arms.values():
        for language in program.languages:
            for number in arm.weeks:
                week = arm.content[language][number]
                path = content_dir / arm.key / week_filename(number, language)
                measures = week.reading(program.reading_limits)
                problems = guide_problems(week, path) + [
                    f"{path}: {measure.problem()}" for measure in measures if measure.over_limit
                ]
                yield arm.key, language, week, measures, problems


def audio_path(content_dir: str | Path, name: str) -> Path:
    return Path(content_dir) / AUDIO_FOLDER / name


@lru_cache(maxsize=8)
def load_program(content_dir: str) -> Program:
    program, problems = read_program(Path(content_dir))
    if program is None:
        raise ContentError(problems)
    return program


def content_dir_of(app) -> str:
    return str(app.config.get("CONTENT_DIR") or PACKAGED_CONTENT)


def init_app(app) -> None:
    app.extensions["p4p.program"] = load_program(content_dir_of(app))


def get_program() -> Program:
    return current_app.extensions["p4p.program"]
