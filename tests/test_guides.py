"""Guided practices: the schema in week front matter, its errors, the home practice's guide
sized to the week's target, the study's own recordings, and the week page's markup."""

import re
import shutil
import wave
from pathlib import Path

import pytest
from test_curriculum import ACTIVE_INGREDIENTS

from p4p.modules.curriculum.service import PACKAGED_CONTENT, guide_problems, read_program


@pytest.fixture(scope="module")
def program():
    program, problems = read_program(PACKAGED_CONTENT)
    assert problems == []
    return program


def _copy(tmp_path) -> Path:
    content = tmp_path / "content"
    shutil.copytree(PACKAGED_CONTENT, content)
    return content


def test_every_week_of_both_arms_has_a_home_practice_guide_that_fits_its_target(program):
    for arm in program.arms.values():
        for language in program.languages:
            for week in arm.content[language].values():
                assert week.guides, (arm.key, language, week.number)
                assert week.guides[0].practice in {t.key for t in week.practice_types}
                assert guide_problems(week, Path("x")) == [], (arm.key, language, week.number)
                minutes = week.guides[0].minutes
                assert 0.7 * week.target_minutes <= minutes <= 1.3 * week.target_minutes


def test_the_arms_guides_are_matched_in_length(program):
    def total(arm):
        return sum(w.guides[0].minutes for w in program.arm(arm).content["en"].values())

    p4p, ktw = total("partners4pain"), total("keys_to_wellbeing")
    assert abs(p4p - ktw) / max(p4p, ktw) < 0.10, (p4p, ktw)


def test_keys_to_wellbeing_guides_carry_none_of_the_mind_body_skills(program):
    for language in ("en", "es"):
        for week in program.arm("keys_to_wellbeing").content[language].values():
            for step in week.guides[0].steps:
                assert not ACTIVE_INGREDIENTS.search(step.say), (language, week.number, step.say)


def _set_guides(path: Path, guides_yaml: str) -> None:
    text = path.read_text(encoding="utf-8")
    front, body = text[4:].split("\n---\n", 1)
    front = front.split("\nguides:", 1)[0]
    path.write_text("---\n" + front + "\n" + guides_yaml.strip("\n") + "\n---\n" + body)


SHORT_GUIDE = """
guides:
- practice: body-scan
  steps:
  - say: Sit down.
    pause_seconds: 60
"""


@pytest.mark.parametrize(
    ("guides", "message"),
    [
        ("guides: yes", "'guides' must list 1 to 6 guides"),
        ("guides:\n- practice: juggling\n  steps: [{say: Hi}]", "guides[1].practice 'juggling'"),
        ("guides:\n- practice: body-scan\n  steps: []", "guides[1] (body-scan).steps must list"),
        (
            "guides:\n- practice: body-scan\n  steps: [{say: ''}]",
            "guides[1] (body-scan).steps[1].say is missing",
        ),
        (
            "guides:\n- practice: body-scan\n  steps: [{say: Hi, pause_seconds: -5}]",
            "steps[1].pause_seconds must be a whole number from 0 to 900",
        ),
        (
            "guides:\n- practice: body-scan\n  steps: [{say: Hi, pause: 5}]",
            "steps[1] must have only 'say' and 'pause_seconds'",
        ),
        (
            "guides:\n- practice: body-scan\n  audio: ../secret.mp3\n  steps: [{say: Hi}]",
            "guides[1] (body-scan).audio must be a plain file name",
        ),
        (
            "guides:\n- practice: body-scan\n  tempo: fast\n  steps: [{say: Hi}]",
            "unknown field(s): tempo",
        ),
    ],
)
def test_a_badly_shaped_guide_is_refused_naming_the_file_and_the_field(tmp_path, guides, message):
    content = _copy(tmp_path)
    _set_guides(content / "partners4pain" / "week02.md", guides)
    program, problems = read_program(content)
    assert program is None
    assert any("partners4pain/week02.md" in p and message in p for p in problems), problems


def test_a_translation_must_guide_the_same_practices(tmp_path):
    content = _copy(tmp_path)
    _set_guides(
        content / "partners4pain" / "week02.es.md",
        "guides:\n- practice: mindful-breathing\n  steps: [{say: Hola}]",
    )
    _program, problems = read_program(content)
    assert any("week02.es.md: guides differ from English" in p for p in problems), problems


def test_curriculum_check_fails_a_guide_far_from_its_target_with_the_numbers(runner, tmp_path):
    content = _copy(tmp_path)
    _set_guides(content / "partners4pain" / "week02.md", SHORT_GUIDE)
    result = runner.invoke(args=["curriculum", "check", "--content-dir", str(content)])
    assert result.exit_code == 1
    assert re.search(
        r"week02\.md: guides\[1\] \(body-scan\) takes 1\.0 min \(0\.0 spoken \+ 1\.0 pauses\),"
        r" the target is 10 min: it must be within 30% \(7\.0 to 13\.0 min\)",
        result.output,
    ), result.output


def write_wav(path: Path, seconds: float = 0.2) -> None:
    """A tiny real WAV file: silence, 8 kHz mono 16-bit."""
    with wave.open(str(path), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\0\0" * int(8000 * seconds))


def _with_audio(content: Path, name: str, *, create: bool) -> None:
    week = content / "partners4pain" / "week03.md"
    week.write_text(
        week.read_text().replace(
            "- practice: paced-walk\n", f"- practice: paced-walk\n  audio: {name}\n", 1
        )
    )
    if create:
        (content / "audio").mkdir(exist_ok=True)
        write_wav(content / "audio" / name)


def test_a_missing_audio_file_fails_the_check_with_its_path(runner, tmp_path):
    content = _copy(tmp_path)
    _with_audio(content, "walk.en.wav", create=False)
    program, problems = read_program(content)
    assert program is None
    assert any(
        "week03.md: guides[1] (paced-walk).audio: no file" in p and p.endswith("audio/walk.en.wav")
        for p in problems
    ), problems
    result = runner.invoke(args=["curriculum", "check", "--content-dir", str(content)])
    assert result.exit_code == 1 and "audio: no file" in result.output


class TestRecordedAudio:
    @pytest.fixture
    def app_config(self, app_config, tmp_path):
        content = _copy(tmp_path)
        _with_audio(content, "walk.en.wav", create=True)
        app_config["CONTENT_DIR"] = str(content)
        return app_config

    def test_the_week_page_offers_the_recording_with_a_transcript_link(self, participant_client):
        page = participant_client.get("/weeks/3").get_data(as_text=True)
        assert '<audio controls preload="none" src="/weeks/3/audio/paced-walk">' in page
        assert 'href="#guide-paced-walk-steps"' in page and 'id="guide-paced-walk-steps"' in page

    def test_the_recording_is_served_whole_and_in_ranges(self, participant_client, tmp_path):
        whole = participant_client.get("/weeks/3/audio/paced-walk")
        assert whole.status_code == 200
        assert whole.mimetype == "audio/wav"
        assert whole.headers["Accept-Ranges"] == "bytes"
        data = whole.get_data()
        assert (
            data[:4] == b"RIFF"
            and len(data) == (tmp_path / "content/audio/walk.en.wav").stat().st_size
        )
        part = participant_client.get("/weeks/3/audio/paced-walk", headers={"Range": "bytes=0-99"})
        assert part.status_code == 206
        assert part.headers["Content-Range"] == f"bytes 0-99/{len(data)}"
        assert part.get_data() == data[:100]

    def test_no_recording_outside_the_participants_guides(self, participant_client):
        assert participant_client.get("/weeks/3/audio/body-scan").status_code == 404  # no audio
        assert participant_client.get("/weeks/8/audio/paced-walk").status_code == 404  # not open
        assert participant_client.get("/weeks/3/audio/..%2Fprogram.yaml").status_code == 404


def test_the_week_page_lists_the_steps_and_loads_the_player_without_inline_script(
    participant_client,
):
    response = participant_client.get("/weeks/3")
    page = response.get_data(as_text=True)
    assert "data-guide" in page and 'class="guide-steps"' in page
    assert '<li data-pause="180"><span class="guide-say">Start walking or marching' in page
    assert "(3 minutes of quiet)" not in page and "about 3 minutes of quiet" in page
    assert '<script src="/static/js/guide.js" defer></script>' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "<audio" not in page  # no recording named: no player for one


def test_a_spanish_speaking_participant_gets_the_spanish_guide(factory, client):
    from conftest import login

    participant = factory.participant(language="es")
    login(client, participant.user.email)
    page = client.get("/weeks/3").get_data(as_text=True)
    assert '<html lang="es"' in page
    assert "Empieza a caminar o a marchar sin prisa." in page
    assert "Práctica guiada:" in page and "Iniciar la práctica guiada" in page
