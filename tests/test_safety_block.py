"""The one "When to get help" block: the same in both arms, on every week, with what it must say."""

import re
import shutil
from datetime import time, timedelta
from pathlib import Path

import pytest
from conftest import login

from p4p.modules.curriculum.service import PACKAGED_CONTENT, read_program

ARMS = ("partners4pain", "keys_to_wellbeing")
BLOCK = re.compile(r'<section class="card help-block" id="when-to-get-help".*?</section>', re.S)
# What the block must tell, per language (regular expressions, any case).
REQUIRED = {
    "en": [
        r"\b988\b",
        r"\b911\b",
        r"weak",
        r"numb between your legs",
        r"inner thighs",
        r"pee or poop",
        r"fever",
        r"weight loss",
        r"cancer",
        r"after a fall",
        r"clumsy hands",
        r"balance",
        r"press 2",
        r"AYUDA",
        r"depression",
        r"most days",
        r"lost interest",
        r"doctor or nurse",
        r"do not stop or change a medicine",
    ],
    "es": [
        r"\b988\b",
        r"\b911\b",
        r"débil",
        r"entre las piernas",
        r"muslos",
        r"orina",
        r"excremento",
        r"fiebre",
        r"peso",
        r"cáncer",
        r"caída",
        r"manos torpes",
        r"equilibrio",
        r"oprime el 2",
        r"AYUDA",
        r"depresión",
        r"casi todos los días",
        r"interés",
        r"médico o enfermera",
        r"no dejes ni cambies una medicina",
    ],
}


def _week_pages(app, factory, arm, language):
    """Every week page of one participant of the arm (all nine weeks open)."""
    start = app.extensions["p4p.clock"]().date() - timedelta(days=60)
    cohort = factory.cohort(arm=arm, start=start, at=time(10, 0))
    participant = factory.participant(cohort, language=language)
    client = app.test_client()
    assert login(client, participant.user.email).status_code == 302
    pages = {}
    for number in app.extensions["p4p.program"].arm(arm).weeks:
        response = client.get(f"/weeks/{number}")
        assert response.status_code == 200
        pages[number] = response.get_data(as_text=True)
    return client, pages


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_week_of_both_arms_shows_the_identical_block(app, factory, language):
    blocks = {}
    for arm in ARMS:
        client, pages = _week_pages(app, factory, arm, language)
        for number, page in pages.items():
            found = BLOCK.findall(page)
            assert len(found) == 1, f"{arm} week {number}: {len(found)} blocks"
            assert 'href="#when-to-get-help"' in page  # in the week's table of contents
            blocks[(arm, number)] = found[0]
        help_page = client.get("/help")
        assert help_page.status_code == 200
        # The help page shows the same text, with the block's title as the page's heading.
        own = BLOCK.findall(help_page.get_data(as_text=True))[0]
        assert re.sub(r"</?h[12]\b", "<h", own) == re.sub(r"</?h[12]\b", "<h", found[0])
        home = client.get("/home").get_data(as_text=True)
        assert 'href="/help"' in home
    assert len(set(blocks.values())) == 1, "the block differs between arms or weeks"
    assert len(blocks) == 18


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_block_says_what_it_must(app, language):
    block = app.extensions["p4p.program"].safety[language]
    text = re.sub(r"<[^>]+>", " ", block.html)
    missing = [p for p in REQUIRED[language] if not re.search(p, text, re.IGNORECASE)]
    assert not missing, missing
    assert 'href="tel:988"' in block.html and 'href="tel:911"' in block.html


def test_week_nine_answers_when_to_call_with_the_block(app, factory):
    # The setback-plan question "When do I need to call my doctor?" (whatever its wording).
    for language, call in (("en", r"when do i need to call"), ("es", r"cuándo tengo que llamar")):
        _client, pages = _week_pages(app, factory, "partners4pain", language)
        content = pages[9].split('id="week-content"', 1)[1]
        line = next(li for li in content.split("<li>") if re.search(call, li, re.IGNORECASE))
        assert 'href="#when-to-get-help"' in line


@pytest.mark.parametrize("language", ["en", "es"])
def test_thought_weeks_say_what_to_do_with_a_thought_of_harm_before_any_writing(
    app, factory, language
):
    note = app.extensions["p4p.program"].safety[language].notes["thoughts"]
    assert "988" in note and "911" in note
    _client, pages = _week_pages(app, factory, "partners4pain", language)
    for number in (5, 6):
        page = pages[number]
        assert note in page
        # Before the first section, so before any line that asks to write a thought down.
        assert page.index(note) < page.index('id="what-we-do"')
    for number in (1, 2, 3, 4, 7, 8, 9):
        assert note not in pages[number]


def test_curriculum_check_refuses_a_broken_or_missing_block(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(PACKAGED_CONTENT, content)
    program, problems = read_program(content)
    assert problems == [] and program is not None

    (content / "safety.es.md").unlink()
    english = (content / "safety.md").read_text(encoding="utf-8")
    (content / "safety.md").write_text(english.replace("911", "nine-one-one"), encoding="utf-8")
    program, problems = read_program(content)
    assert program is None
    assert any("safety.es.md: missing" in p for p in problems)
    assert any("safety.md: does not give 911" in p for p in problems)


def test_a_translation_may_not_drop_a_warning_sign(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(PACKAGED_CONTENT, content)
    path = content / "safety.es.md"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if "Fiebre" not in line), encoding="utf-8")
    _program, problems = read_program(content)
    assert any("differ in number from English" in p for p in problems)


def test_a_week_naming_the_other_arm_or_linking_elsewhere_is_refused(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(PACKAGED_CONTENT, content)
    week = content / "keys_to_wellbeing" / "week02.md"
    week.write_text(
        week.read_text(encoding="utf-8").replace(
            "## Key ideas\n", "## Key ideas\n\nUnlike Partners4Pain, see [this](#elsewhere).\n", 1
        ),
        encoding="utf-8",
    )
    _program, problems = read_program(content)
    assert any("week02.md: names the other arm (Partners4Pain)" in p for p in problems)
    assert any("week02.md: links to #elsewhere" in p for p in problems)


def test_a_study_name_must_be_given_per_language_and_name_no_arm(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(PACKAGED_CONTENT, content)
    definition = content / "program.yaml"
    text = definition.read_text(encoding="utf-8")
    text = text.replace("  es: Vivir bien con dolor de espalda y cuello\n", "")
    text = text.replace("  en: Living Well\n", "  en: Keys to Wellbeing app\n")
    definition.write_text(text, encoding="utf-8")
    _program, problems = read_program(content)
    assert any("'study_name' has no name for es" in p for p in problems)
    assert any("names the arm Keys to Wellbeing" in p for p in problems)


def test_every_safety_note_an_arm_names_exists(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(PACKAGED_CONTENT, content)
    definition = content / "program.yaml"
    text = definition.read_text(encoding="utf-8").replace(
        "safety_notes: {5: thoughts, 6: thoughts}", "safety_notes: {5: thoughts, 12: sleep}"
    )
    definition.write_text(text, encoding="utf-8")
    _program, problems = read_program(content)
    assert any("safety note for no such week 12" in p for p in problems)
    assert Path(content / "safety.md").is_file()
