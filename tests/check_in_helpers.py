"""Answering the weekly check-in (the PEG) through the app, as a participant does."""

from p4p.modules.instruments.answer_models import InstrumentAnswer, InstrumentResponse


def answer_check_in(client, week: int, pain: int, enjoyment: int, activity: int) -> None:
    """Each question screen, then send from the review; logged in as the participant."""
    for number, answer in enumerate((pain, enjoyment, activity), start=1):
        saved = client.post(f"/questionnaires/peg/week-{week}/{number}", data={"answer": answer})
        assert saved.status_code == 302, saved.get_data(as_text=True)
    sent = client.post(f"/questionnaires/peg/week-{week}/review")
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/questionnaires")


def sent_check_in(participant, week: int, answers: tuple[int, int, int], at) -> InstrumentResponse:
    """A sent check-in written straight to the database (to grow a study's history fast)."""
    names = ("peg_pain", "peg_enjoyment", "peg_activity")
    return InstrumentResponse(
        participant=participant,
        instrument="peg",
        occasion=f"week-{week}",
        started_at=at,
        submitted_at=at,
        scores={"peg_score": sum(answers) / 3},
        answers=[
            InstrumentAnswer(item=name, number=value, answered_at=at)
            for name, value in zip(names, answers, strict=True)
        ],
    )
