"""What keeps the trial blind and every participant equally safe, read with the program.

- The study's arm-neutral name, per language (`study_name`, `study_short_name` in program.yaml):
  the only name a participant sees for the app, in page titles, emails and texts.
- One "When to get help" block per language (`safety.md`, `safety.es.md` beside program.yaml):
  one file, so it is word for word the same in both arms by construction. Its front matter
  may hold short `notes` an arm shows on chosen weeks (`safety_notes: {5: thoughts}`).
- A week file that names another arm (its label or key) is refused: it would unblind.
"""

import re
from pathlib import Path

import yaml

from p4p.modules.curriculum import yaml_text
from p4p.modules.curriculum.models import SafetyBlock

SAFETY_ANCHOR = "when-to-get-help"
# Numbers the block must give, in every language: the crisis line and emergencies.
REQUIRED_NUMBERS = ("988", "911")
DEFAULT_NAMES = {
    "en": "Living Well with Back and Neck Pain",
    "es": "Vivir bien con dolor de espalda y cuello",
}
DEFAULT_SHORT_NAMES = {"en": "Living Well", "es": "Vivir bien"}
_LINK = re.compile(r"\]\((#[^)\s]*)\)")


def safety_filename(language: str) -> str:
    return "safety.md" if language == "en" else f"safety.{language}.md"


def study_names(definition: dict, languages, path: Path) -> tuple[dict, dict, list[str]]:
    """The long and short study name of every language, and what is wrong with them."""
    problems = []
    found = []
    for key, defaults in (("study_name", DEFAULT_NAMES), ("study_short_name", DEFAULT_SHORT_NAMES)):
        given = definition.get(key, defaults)
        if not isinstance(given, dict):
            problems.append(f"{path}: '{key}' must give a name per language (en: ..., es: ...)")
            given = {}
        names = {}
        for language in languages:
            name = given.get(language)
            if not isinstance(name, str) or not name.strip():
                problems.append(f"{path}: '{key}' has no name for {language}")
                continue
            names[language] = name.strip()
        found.append(names)
    return found[0], found[1], problems


def arm_words(arm_def: dict) -> list[str]:
    """The words that would name an arm to a participant: its label, its key, and the key's
    words ("Keys to Wellbeing", "keys_to_wellbeing", "keys to wellbeing")."""
    key, label = str(arm_def.get("key", "")), str(arm_def.get("label", ""))
    return [word for word in dict.fromkeys((label, key, key.replace("_", " "))) if word]


def arm_names_in(names: dict, arm_defs: list[dict], path: Path) -> list[str]:
    """A study name may not name an arm: every participant sees it."""
    problems = []
    for language, name in names.items():
        for arm in arm_defs:
            for word in arm_words(arm):
                if word.lower() in name.lower():
                    problems.append(f"{path}: the study name ({language}) names the arm {word}")
    return problems


def read_safety(content_dir: Path, languages, render) -> tuple[dict[str, SafetyBlock], list[str]]:
    blocks, problems = {}, []
    for language in languages:
        path = content_dir / safety_filename(language)
        if not path.is_file():
            problems.append(f"{path}: missing (the 'When to get help' block every week shows)")
            continue
        try:
            blocks[language] = _parse_safety(path.read_text(encoding="utf-8"), language, render)
        except (ValueError, yaml.YAMLError, UnicodeDecodeError) as error:
            problems.append(f"{path}: {error}")
    english = blocks.get("en")
    for language, block in blocks.items():
        if english is None or language == "en":
            continue
        path = content_dir / safety_filename(language)
        if set(block.notes) != set(english.notes):
            problems.append(f"{path}: notes differ from English ({sorted(english.notes)})")
        if _shape(block.markdown) != _shape(english.markdown):
            problems.append(
                f"{path}: headings or list items differ in number from English: "
                "a translation must not drop a warning sign"
            )
    return blocks, problems


def _parse_safety(raw: str, language: str, render) -> SafetyBlock:
    if not raw.startswith("---\n") or "\n---\n" not in raw[4:]:
        raise ValueError("needs '---' front matter with a 'title'")
    front, body = raw[4:].split("\n---\n", 1)
    meta = yaml_text.safe_load(front)
    if not isinstance(meta, dict) or not isinstance(meta.get("title"), str):
        raise ValueError("front matter needs a 'title'")
    notes = meta.get("notes") or {}
    if not isinstance(notes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in notes.items()
    ):
        raise ValueError("'notes' must map a kind (like 'thoughts') to one line of text")
    if not body.strip():
        raise ValueError("is empty")
    if re.search(r"^#{1,2}\s", body, re.MULTILINE):
        raise ValueError("uses '#' or '##' headings; the block's title is its heading, use '###'")
    for number in REQUIRED_NUMBERS:
        if not re.search(rf"(?<!\d){number}(?!\d)", body):
            raise ValueError(f"does not give {number}")
    return SafetyBlock(
        language=language,
        title=meta["title"].strip(),
        html=render(body),
        notes={k: v.strip() for k, v in notes.items()},
        markdown=body,
    )


def _shape(markdown_text: str) -> tuple[int, int]:
    lines = markdown_text.splitlines()
    return (
        sum(1 for line in lines if line.startswith("#")),
        sum(1 for line in lines if re.match(r"\s*(?:[-*]|\d+\.)\s", line)),
    )


def safety_notes(arm_def: dict, blocks: dict[str, SafetyBlock], path: Path) -> tuple[dict, list]:
    """`safety_notes: {5: thoughts}` of an arm: which weeks show which note."""
    given = arm_def.get("safety_notes") or {}
    if not isinstance(given, dict):
        return {}, [f"{path}: arm {arm_def['key']}: 'safety_notes' maps a week to a note kind"]
    notes, problems = {}, []
    weeks = arm_def.get("weeks", 0)
    for week, kind in given.items():
        if not isinstance(week, int) or not 1 <= week <= weeks:
            problems.append(f"{path}: arm {arm_def['key']}: safety note for no such week {week!r}")
            continue
        missing = [b.language for b in blocks.values() if kind not in b.notes]
        if missing:
            problems.append(
                f"{path}: arm {arm_def['key']} week {week}: no safety note {kind!r} in "
                + ", ".join(safety_filename(language) for language in missing)
            )
            continue
        notes[week] = kind
    return notes, problems


def week_problems(path: Path, body: str, arm_key: str, arm_defs: list[dict]) -> list[str]:
    """A week must not name another arm, and its links may only point at the help block."""
    problems = []
    for other in arm_defs:
        if other.get("key") == arm_key:
            continue
        for word in arm_words(other):
            if re.search(re.escape(word), body, re.IGNORECASE):
                problems.append(f"{path}: names the other arm ({word}): participants are blind")
    for target in _LINK.findall(body):
        if target != f"#{SAFETY_ANCHOR}":
            problems.append(f"{path}: links to {target}; a week may link only to #{SAFETY_ANCHOR}")
    return problems
