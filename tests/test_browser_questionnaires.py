"""The PEG answered in real Chromium on a 320 px phone, with JavaScript off and on: every screen
is a plain form, the choices are big enough to tap, and nothing scrolls sideways."""

import pytest
from browser import horizontal_overflow, log_in, open_page, screenshot
from conftest import PASSWORD
from sqlalchemy import select

from p4p.modules.instruments.answer_models import InstrumentResponse

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("java_script", [False, True], ids=["no-js", "js"])
def test_the_peg_is_answered_at_320_px(app, participant, db, java_script):
    with open_page(app, 320, 640, java_script_enabled=java_script) as page:
        log_in(page, participant.user.email, PASSWORD)
        page.get_by_role("link", name="Do my check-in").click()  # the week's PEG, from home
        for number, answer in ((1, "6"), (2, "5"), (3, "4")):
            assert page.get_by_text(f"Question {number} of 3").is_visible()
            choice = page.get_by_label(answer, exact=True)
            box = page.locator(".radio").filter(has=choice).bounding_box()
            assert box is not None and box["height"] >= 44  # a thumb-sized target
            assert horizontal_overflow(page) == 0
            if number == 1 and not java_script:
                screenshot(page, "questionnaire-question")
            choice.check()
            page.locator("button[type=submit].primary").click()
        assert page.get_by_role("heading", name="Check your answers").is_visible()
        assert horizontal_overflow(page) == 0
        if not java_script:
            screenshot(page, "questionnaire-review")
        page.get_by_role("button", name="Send my answers").click()
        assert page.get_by_text("Thank you. Your answers are sent.").is_visible()
        page.goto(page.base_url + "/progress")
        assert page.get_by_text("✓ Sent Mar 10, 2026").is_visible()
        assert page.get_by_text("Missed").count() == 2  # weeks 1 and 2
        assert horizontal_overflow(page) == 0
        if not java_script:
            screenshot(page, "progress-questionnaires")
    db.expire_all()
    response = db.scalar(
        select(InstrumentResponse).where(InstrumentResponse.participant_id == participant.id)
    )
    assert response.scores == {"peg_score": 5.0}


def test_a_spanish_speaker_saves_for_later_and_carries_on_where_they_stopped(app, factory, db):
    person = factory.participant(language="es")
    with open_page(app, 320, 640) as page:
        log_in(page, person.user.email, PASSWORD)
        page.get_by_role("link", name="Hacer mi chequeo").click()  # the week's PEG, from home
        page.get_by_label("7", exact=True).check()
        page.get_by_role("button", name="Guardar y seguir").click()
        assert page.get_by_text("Pregunta 2 de 3").is_visible()
        page.get_by_role("link", name="Guardar para después").click()
        # Back on the list, the started questionnaire offers to carry on, not to start again.
        page.get_by_role("link", name="Continuar").click()
        assert page.get_by_text("Pregunta 2 de 3").is_visible()
        page.get_by_role("link", name="Volver", exact=True).click()
        assert page.get_by_label("7", exact=True).is_checked()  # the first answer was kept
