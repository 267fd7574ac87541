"""Reading levels beyond Flesch-Kincaid: SMOG, Spanish syllables counted by rule, Spanish
formulas, and `curriculum check` failing a week over the study's limits."""

import re
import shutil
from pathlib import Path

import pytest

from p4p.modules.curriculum.readability import (
    READING_LIMITS,
    fernandez_huerta,
    inflesz,
    measures,
    spanish_syllables,
)
from p4p.modules.curriculum.service import PACKAGED_CONTENT, read_program


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        # pyphen (textstat's Spanish counter) gives 1, 1, 1, 2, 2, 3 for these six
        ("ideas", 3),
        ("día", 2),
        ("leer", 2),
        ("atención", 3),
        ("ahora", 3),
        ("emociones", 4),
        # diphthongs and triphthongs: one syllable
        ("aire", 2),
        ("agua", 2),
        ("ciudad", 2),
        ("cuidado", 3),
        ("paciencia", 3),
        ("cuerpo", 2),
        ("buey", 1),
        ("estudiáis", 3),
        ("uruguay", 3),
        # hiatus: two strong vowels, or an accented i or u
        ("caos", 2),
        ("poeta", 3),
        ("reír", 2),
        ("país", 2),
        ("maíz", 2),
        ("baúl", 2),
        ("oído", 3),
        # silent u of que/qui/gue/gui; the ü that is said
        ("queso", 2),
        ("guitarra", 3),
        ("pingüino", 3),
        ("vergüenza", 3),
        ("averigüéis", 4),
        # y: a vowel at the end, a consonant before a vowel
        ("y", 1),
        ("hoy", 1),
        ("muy", 1),
        ("rey", 1),
        ("reyes", 2),
        ("ayuda", 3),
        # h between vowels
        ("prohibir", 3),
        ("búho", 2),
        ("respiración", 4),
        ("enfermera", 4),
        ("acetaminofén", 6),
        ("Médico", 3),
    ],
)
def test_spanish_syllables_follow_the_rules_of_syllabification(word, syllables):
    assert spanish_syllables(word) == syllables


def test_spanish_formulas_match_a_hand_count():
    # "El gato come." = 3 words, 5 syllables (el, ga-to, co-me), 1 sentence
    assert fernandez_huerta("El gato come.") == pytest.approx(206.84 - 60 * 5 / 3 - 1.02 * 3)
    assert inflesz("El gato come.") == pytest.approx(206.835 - 62.3 * 5 / 3 - 3)
    # two sentences halve the words per sentence; numbers are left out
    assert fernandez_huerta("El gato come. Come 10.") == pytest.approx(
        206.84 - 60 * 7 / 4 - 1.02 * 2
    )


def test_each_language_gets_its_own_two_measures_with_the_default_limits():
    english = measures("The cat sat on the mat. It was warm. The sun was out.", "en")
    spanish = measures("El gato come. Hace sol.", "es")
    assert [m.key for m in english] == ["fk_max", "smog_max"]
    assert [m.key for m in spanish] == ["fernandez_huerta_min", "inflesz_min"]
    assert READING_LIMITS == {
        "fk_max": 6.0,
        "smog_max": 7.5,
        "fernandez_huerta_min": 70.0,
        "inflesz_min": 65.0,
    }
    assert not any(m.over_limit for m in english + spanish)


HARD_ENGLISH = (
    "Comprehensive cardiovascular examinations necessitate individualized consideration of "
    "hypertension, hyperlipidemia and glycosylated hemoglobin documentation. "
)
HARD_SPANISH = (
    "La administración responsable de medicamentos antiinflamatorios necesita una "
    "evaluación individualizada de contraindicaciones cardiovasculares y gastrointestinales. "
)


def _copy(tmp_path) -> Path:
    content = tmp_path / "content"
    shutil.copytree(PACKAGED_CONTENT, content)
    return content


def _make_hard(path: Path, sentence: str) -> None:
    """Replace the 'Key ideas' text of a week with long words (structure kept valid)."""
    text = path.read_text(encoding="utf-8")
    heading = "## Key ideas" if not path.name.endswith(".es.md") else "## Ideas clave"
    before, rest = text.split(heading + "\n", 1)
    _old, after = rest.split("\n## ", 1)
    path.write_text(before + heading + "\n\n" + sentence * 40 + "\n\n## " + after, encoding="utf-8")


def test_curriculum_check_fails_a_week_above_the_limits_and_names_the_measure(runner, tmp_path):
    content = _copy(tmp_path)
    _make_hard(content / "partners4pain" / "week02.md", HARD_ENGLISH)
    _make_hard(content / "partners4pain" / "week02.es.md", HARD_SPANISH)
    result = runner.invoke(args=["curriculum", "check", "--content-dir", str(content)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "partners4pain/week02" in line]
    assert any("week02.md: Flesch-Kincaid grade" in line and "fk_max" in line for line in lines)
    assert any("week02.md: SMOG grade" in line and "smog_max" in line for line in lines)
    assert any("week02.es.md: Fernández-Huerta" in line for line in lines)
    assert any("week02.es.md: INFLESZ" in line and "inflesz_min" in line for line in lines)
    assert re.search(r"partners4pain\s+en\s+2\s+\d+\s+FK\s+\d+\.\d!", result.output)


def test_the_limits_come_from_the_program_definition(runner, tmp_path):
    content = _copy(tmp_path)
    definition = content / "program.yaml"
    text = definition.read_text()
    definition.write_text(
        re.sub(r"smog_max: [\d.]+", "smog_max: 12", re.sub(r"fk_max: [\d.]+", "fk_max: 1", text))
    )
    result = runner.invoke(args=["curriculum", "check", "--content-dir", str(content)])
    assert result.exit_code == 1
    assert "above the study's maximum 1 (reading_level.fk_max in program.yaml)" in result.output
    assert "smog_max" not in result.output.split("36 weeks read")[1].replace("SMOG <= 12", "")


def test_a_bad_reading_level_in_the_definition_is_refused(tmp_path):
    content = _copy(tmp_path)
    definition = content / "program.yaml"
    definition.write_text(definition.read_text().replace("fk_max: 6", "fk_maximum: six"))
    program, problems = read_program(content)
    assert program is None
    assert any("'reading_level' may set only numbers" in p for p in problems), problems
