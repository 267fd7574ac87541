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

from p4p.modules.curriculum import safety
from p4p.modules.curriculum.models import SECTIONS, Arm, PracticeType, Program, Section, WeekContent

PACKAGED_CONTENT = Path(__file__).parent / "content"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ARM_KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
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


def render_markdown(text: str) -> str:
    """Markdown to HTML with only harmless tags left (content files are trusted, but not blindly)."""
    return nh3.clean(
        markdown.markdown(text),
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
    meta = yaml.safe_load(front)
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
    )


def _read_definition(content_dir: Path) -> dict:
    path = content_dir / "program.yaml"
    if not path.is_file():
        raise ContentError([f"{path}: missing"])
    definition = yaml.safe_load(path.read_text(encoding="utf-8"))
    problems = []
    if not isinstance(definition, dict) or not isinstance(definition.get("arms"), list):
        raise ContentError([f"{path}: needs a list of 'arms'"])
    for arm in definition["arms"]:
        if not isinstance(arm, dict) or not _ARM_KEY.match(str(arm.get("key", ""))):
            problems.append(f"{path}: arm {arm!r} needs a 'key' like 'keys_to_wellbeing'")
        elif not isinstance(arm.get("weeks"), int) or not 0 <= arm["weeks"] <= 52:
            problems.append(f"{path}: arm {arm['key']} needs 'weeks' from 0 to 52")
    languages = definition.get("languages", ["en"])
    if "en" not in languages:
        problems.append(f"{path}: 'languages' must include en")
    if (
        not isinstance(definition.get("cadence_days", 7), int)
        or definition.get("cadence_days", 7) < 1
    ):
        problems.append(f"{path}: 'cadence_days' must be a whole number of days")
    if problems:
        raise ContentError(problems)
    return definition


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
                content[language][number] = week
                problems.extend(safety.week_problems(path, raw, key, definition["arms"]))
        problems.extend(_cross_language_problems(content_dir / key, content, languages))
        notes, note_problems = safety.safety_notes(arm_def, safety_blocks, definition_path)
        problems.extend(note_problems)
        arms[key] = Arm(
            key=key,
            label=str(arm_def.get("label", key)),
            weeks=numbers,
            content=content,
            safety_notes=notes,
        )
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
            if (week.target_minutes, week.target_days) != (
                english.target_minutes,
                english.target_days,
            ):
                problems.append(
                    f"{arm_dir / week_filename(number, language)}: practice target differs from English"
                )
    return problems


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
