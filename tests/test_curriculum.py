"""The content of both arms: complete, valid, plain, matched, and the control arm kept clean."""

import re
import shutil
from pathlib import Path

import pytest

from p4p.modules.curriculum.service import (
    PACKAGED_CONTENT,
    ContentError,
    read_program,
    render_markdown,
)

# Partners4Pain's active ingredients: the control arm must not teach them (FACTS.md).
ACTIVE_INGREDIENTS = re.compile(
    r"mindful|meditat|breath|relax|body scan|pacing|reframe|thought record|automatic thought|savor|yoga"
    r"|atención plena|medita|respira|relaja|escaneo|dosific|replante|saborea",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def program():
    program, problems = read_program(PACKAGED_CONTENT)
    assert problems == []
    return program


def test_both_arms_have_nine_valid_weeks_in_english_and_spanish(program):
    assert set(program.arms) == {"partners4pain", "keys_to_wellbeing"}
    for arm in program.arms.values():
        assert arm.weeks == tuple(range(1, 10))
        for language in ("en", "es"):
            assert sorted(arm.content[language]) == list(arm.weeks)


def test_english_weeks_read_at_grade_six_or_below(program):
    for arm in program.arms.values():
        for week in arm.content["en"].values():
            assert week.grade <= 6.0, (arm.key, week.number, week.grade)


def test_spanish_weeks_are_fairly_easy_or_easier(program):
    for arm in program.arms.values():
        for week in arm.content["es"].values():
            assert week.grade >= 70, (arm.key, week.number, week.grade)


def test_reading_levels_wait_until_asked_for():
    """Loading the content (every create_app, worker and CLI call) measures no reading level;
    the first question does, once, with the same formula `curriculum check` reports."""
    from p4p.modules.curriculum.readability import reading_grade

    program, _problems = read_program(PACKAGED_CONTENT)
    weeks = [w for arm in program.arms.values() for c in arm.content.values() for w in c.values()]
    assert weeks and not any("grade" in vars(week) for week in weeks)
    week = program.arm("keys_to_wellbeing").week(2, "es")
    assert week.grade == reading_grade(week.text, "es") and "grade" in vars(week)


def test_the_arms_are_matched_in_length_within_twenty_percent(program):
    for language in ("en", "es"):
        totals = [
            sum(w.words for w in arm.content[language].values()) for arm in program.arms.values()
        ]
        assert max(totals) <= 1.2 * min(totals), (language, totals)
        assert min(totals) > 9 * 400  # real weeks, not stubs


def test_the_arms_ask_for_the_same_practice_time_every_week(program):
    # Matched time and attention: a week's home-practice goal is the same in both arms.
    for language in ("en", "es"):
        goals = {
            name: {n: (w.target_minutes, w.target_days) for n, w in arm.content[language].items()}
            for name, arm in program.arms.items()
        }
        assert goals["partners4pain"] == goals["keys_to_wellbeing"], (language, goals)


def test_keys_to_wellbeing_carries_none_of_the_mind_body_skills(program):
    for language in ("en", "es"):
        for week in program.arm("keys_to_wellbeing").content[language].values():
            text = " ".join([week.title, week.goal] + [s.text for s in week.sections])
            assert not ACTIVE_INGREDIENTS.search(text), (
                language,
                week.number,
                ACTIVE_INGREDIENTS.search(text).group(),
            )


def test_every_week_has_the_same_six_sections_and_a_stepwise_practice(program):
    for arm in program.arms.values():
        for week in arm.content["en"].values():
            assert [s.id for s in week.sections] == [
                "what-we-do",
                "key-ideas",
                "try-it",
                "home-practice",
                "questions",
                "action-plan",
            ]
            assert "<ol>" in week.section("try-it").html


def test_markdown_is_sanitised():
    html = render_markdown(
        "Hello <script>alert(1)</script> [x](javascript:alert(1)) <b onclick=x>b</b>"
    )
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html


def _broken_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(PACKAGED_CONTENT, target)
    return target


def test_a_missing_week_and_a_wrong_heading_are_both_reported(tmp_path):
    content = _broken_copy(tmp_path)
    (content / "partners4pain" / "week05.md").unlink()
    week2 = content / "keys_to_wellbeing" / "week02.md"
    week2.write_text(week2.read_text().replace("## Key ideas", "## Big ideas"))
    program, problems = read_program(content)
    assert program is None
    assert any("week05.md: missing" in p for p in problems)
    assert any("week02.md: sections must be" in p for p in problems)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("week: 3", "week: 4"), "file name says 3"),
        (lambda t: t.replace("---\n", "", 1), "front matter"),
        (lambda t: t.replace("practice_target:", "practice_goal:"), "practice_target"),
        (lambda t: re.sub(r"key: [a-z-]+", "key: Not A Slug", t, count=1), "lowercase-hyphen"),
        (lambda t: t.replace("## What we do this week", "# What we do this week"), "'#' heading"),
        (lambda t: t.replace("title:", "titel:"), "'title'"),
    ],
)
def test_invalid_week_files_are_refused_with_a_reason(tmp_path, change, message):
    content = _broken_copy(tmp_path)
    path = content / "partners4pain" / "week03.md"
    path.write_text(change(path.read_text()))
    _program, problems = read_program(content)
    assert any("week03.md" in p and message in p for p in problems), problems


def test_the_app_refuses_to_start_on_invalid_content(app_config, tmp_path):
    from p4p import create_app
    from p4p.modules.curriculum.service import load_program

    content = _broken_copy(tmp_path)
    (content / "partners4pain" / "week01.md").write_text("nothing here")
    app_config["CONTENT_DIR"] = str(content)
    load_program.cache_clear()
    with pytest.raises(ContentError):
        create_app(app_config)


def test_program_length_comes_from_the_definition_not_the_code(tmp_path):
    content = _broken_copy(tmp_path)
    definition = content / "program.yaml"
    definition.write_text(definition.read_text().replace("weeks: 9", "weeks: 8"))
    program, problems = read_program(content)
    assert problems == []
    assert program.arm("partners4pain").weeks == tuple(range(1, 9))


def test_curriculum_check_prints_a_table_and_exits_zero(runner):
    # The real content, at the study's own limits: every week in range, every guide on target.
    result = runner.invoke(args=["curriculum", "check"])
    assert result.exit_code == 0, result.output
    assert "36 weeks read" in result.output and "all weeks valid" in result.output
    assert re.search(r"partners4pain\s+en\s+1\s+\d+\s+FK\s+\d+\.\d\s+SMOG\s+\d+\.\d", result.output)


def test_curriculum_check_exits_non_zero_on_an_invalid_file(runner, tmp_path):
    content = _broken_copy(tmp_path)
    (content / "keys_to_wellbeing" / "week09.es.md").unlink()
    result = runner.invoke(args=["curriculum", "check", "--content-dir", str(content)])
    assert result.exit_code == 1
    assert "week09.es.md: missing" in result.output


# A definition p4p cannot run as written is refused at start-up and by `curriculum check`, with
# what to write instead: a delivery other than group would otherwise be read and silently run
# as weekly groups (issue "Any trial's program" builds the others).
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda text: text.replace("delivery: group", "delivery: groups"),
            "'delivery' is 'groups': write one of group, one-to-one, self-paced, none",
        ),
        (
            lambda text: text.replace("delivery: group", "delivery: self-paced"),
            "'delivery' is 'self-paced', which p4p does not run yet: write delivery: group",
        ),
        (
            lambda text: text.replace(
                "    label: Keys to Wellbeing\n",
                "    label: Keys to Wellbeing\n    delivery: one-to-one\n",
            ),
            "arm keys_to_wellbeing: 'delivery' is 'one-to-one', which p4p does not run yet",
        ),
        (
            lambda text: text.replace("key: keys_to_wellbeing", "key: partners4pain"),
            "arm key 'partners4pain' is used by two arms: give each arm its own key",
        ),
        (
            lambda text: text.replace(
                "session_minutes: 90", "session_minutes: 90\nsession_minutes: 60"
            ),
            "line 16: 'session_minutes' is written twice: keep one",
        ),
    ],
)
def test_a_definition_p4p_cannot_run_is_refused_saying_what_to_write(tmp_path, edit, message):
    content = _broken_copy(tmp_path)
    definition = content / "program.yaml"
    definition.write_text(edit(definition.read_text()))
    program, problems = read_program(content)
    assert program is None
    assert any(str(definition) in p and message in p for p in problems), problems
