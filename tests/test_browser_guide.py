"""The guided practice player in real Chromium: it appears, steps advance with the timer,
pause holds the step and resume goes on; without speech synthesis the written steps stay."""

import re

import pytest
from browser import ARTIFACTS, horizontal_overflow, log_in, open_page, screenshot
from conftest import PASSWORD
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Every wait of the script shortened 50 times (the player's test hook): a 180 s pause takes 3.6 s.
SPEED_UP = "window.p4pGuideTimeScale = 0.02;"


def test_the_player_speaks_step_by_step_with_a_timer_and_pauses(app, participant, db, clock):
    with open_page(app, 320, 700, locale="en-US") as page:
        page.add_init_script(SPEED_UP)
        log_in(page, participant.user.email, PASSWORD)
        page.goto(page.base_url + "/weeks/3#home-practice")
        guide = page.locator("#guide-paced-walk")
        steps = guide.locator(".guide-steps > li")
        # As many steps as the week's own guide has (the content may be re-timed).
        written = app.extensions["p4p.program"].arm(participant.arm).week(3, "en").guides[0]
        assert written.practice == "paced-walk"
        count = len(written.steps)
        expect(steps).to_have_count(count)
        start = guide.get_by_role("button", name="Start the guided practice")
        expect(start).to_be_visible()
        expect(guide.get_by_role("button", name="Pause")).to_be_hidden()
        expect(guide.locator(".guide-timer")).to_have_text(re.compile(r"^0:00 of about \d+:\d\d$"))

        start.click()
        expect(steps.nth(0)).to_have_attribute("aria-current", "step")
        expect(guide.get_by_role("status")).to_contain_text(f"Step 1 of {count}")
        expect(steps.nth(2)).to_have_attribute("aria-current", "step", timeout=10_000)
        expect(guide.get_by_role("status")).to_contain_text("Quiet time", timeout=10_000)
        assert horizontal_overflow(page) == 0
        screenshot(page, "guide-player-320-page")
        ARTIFACTS.mkdir(exist_ok=True)
        guide.screenshot(path=str(ARTIFACTS / "guide-player-320.png"))

        guide.get_by_role("button", name="Pause").click()
        expect(guide.get_by_role("status")).to_contain_text("Paused")
        held = guide.locator(".guide-timer").text_content()
        current = guide.locator("[aria-current=step]").text_content()
        page.wait_for_timeout(1500)  # 75 s of the script: nothing moves while paused
        assert guide.locator(".guide-timer").text_content() == held
        assert guide.locator("[aria-current=step]").text_content() == current

        guide.get_by_role("button", name="Resume").click()
        expect(guide.get_by_role("status")).not_to_contain_text("Paused")
        expect(steps.nth(3)).to_have_attribute("aria-current", "step", timeout=10_000)
        assert guide.locator(".guide-timer").text_content() != held

        guide.get_by_role("button", name="Stop").click()
        expect(start).to_be_visible()
        expect(guide.locator("[aria-current=step]")).to_have_count(0)


def test_the_player_runs_to_the_end_and_speaks_in_the_pages_language(app, factory, db, clock):
    participant = factory.participant(language="es")
    with open_page(app, 360, 740, locale="es-US") as page:
        page.add_init_script(
            "window.p4pGuideTimeScale = 0.002; window.spoken = [];"
            "const realSpeak = speechSynthesis.speak.bind(speechSynthesis);"
            "speechSynthesis.speak = (u) => { window.spoken.push([u.lang, u.text]); realSpeak(u); };"
        )
        page.goto(page.base_url + "/login")
        page.get_by_label("Correo electrónico").fill(participant.user.email)
        page.get_by_label("Contraseña").fill(PASSWORD)
        page.get_by_role("button", name="Entrar").click()
        page.goto(page.base_url + "/weeks/2#home-practice")
        guide = page.locator("#guide-body-scan")
        guide.get_by_role("button", name="Iniciar la práctica guiada").click()
        expect(guide.get_by_role("status")).to_have_text(
            "Terminó la práctica guiada.", timeout=30_000
        )
        spoken = page.evaluate("window.spoken")
        assert len(spoken) == guide.locator(".guide-steps > li").count()
        assert {lang for lang, _ in spoken} == {"es"}
        assert spoken[0][1].startswith("Siéntate o acuéstate")


def test_without_speech_synthesis_the_written_steps_are_the_page(app, participant, db, clock):
    with open_page(app, 360, 740, locale="en-US") as page:
        page.add_init_script(
            "delete window.speechSynthesis; delete window.SpeechSynthesisUtterance;"
        )
        log_in(page, participant.user.email, PASSWORD)
        page.goto(page.base_url + "/weeks/3")
        guide = page.locator("#guide-paced-walk")
        expect(guide.locator(".guide-steps > li").first).to_be_visible()
        expect(guide.get_by_role("button")).to_have_count(0)
