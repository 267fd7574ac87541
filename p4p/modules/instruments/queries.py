"""What the participant's progress page and the facilitator's page of a participant read of
the questionnaires: every occasion so far (sent, open or missed) and the check-in's score by
week. One query for a participant's responses; the rest is worked out from what is loaded."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from p4p.local_time import local_datetime
from p4p.modules.curriculum.models import Program
from p4p.modules.instruments.answer_models import InstrumentResponse
from p4p.modules.instruments.models import Instrument
from p4p.modules.instruments.service import (
    CHECK_IN,
    CHECK_IN_SCORE,
    WEEK_OCCASION,
    OpenOccasion,
    occasions_of,
)
from p4p.modules.participants.models import Participant
from p4p.modules.participants.program_start import program_start_of
from p4p.modules.participants.service import WeekState


@dataclass(frozen=True)
class PastOccasion:
    """An occasion that has opened: sent, still open (not sent yet) or missed (closed unsent)."""

    instrument: Instrument
    occasion: OpenOccasion
    response: InstrumentResponse | None
    status: str  # "sent", "open" or "missed"


def check_in_scores(responses: dict[tuple[str, str], InstrumentResponse]) -> dict[int, float]:
    """Week -> the sent check-in's score, to one decimal (a week without one is left out)."""
    scores = {}
    for (instrument, occasion), response in responses.items():
        week = occasion.removeprefix(WEEK_OCCASION)
        score = (response.scores or {}).get(CHECK_IN_SCORE)
        if (
            instrument == CHECK_IN
            and week.isdigit()
            and response.is_submitted
            and score is not None
        ):
            scores[int(week)] = round(score, 1)
    return scores


def occasion_history(
    participant: Participant,
    program: Program,
    states: Iterable[WeekState],
    today: date,
    responses: dict[tuple[str, str], InstrumentResponse],
) -> list[PastOccasion]:
    """Every occasion of every questionnaire of the participant's arm that has opened by
    `today`, oldest first: sent, open or missed. From the participant's cohort meetings
    (already loaded) and `responses` (service.responses_by_occasion): no query. Someone who
    left the program is not asked any more: what opened after that, or is still open unsent,
    is left out."""
    timezone = participant.cohort.site.timezone
    enrolled_on = local_datetime(participant.enrolled_at, timezone).date()
    start = program_start_of(participant.cohort.meetings, participant.enrolled_at, timezone)
    left_on = (
        local_datetime(participant.withdrawn_at, timezone).date()
        if participant.withdrawn_at
        else None
    )
    states = list(states)
    history = []
    for instrument in program.instruments.values():
        for occasion in occasions_of(instrument, participant.arm, states, start, enrolled_on):
            if occasion.opens_on > today or (left_on and occasion.opens_on > left_on):
                continue
            response = responses.get((instrument.key, occasion.occasion))
            if response is not None and response.is_submitted:
                status = "sent"
            elif today <= occasion.last_day and left_on is None:
                status = "open"
            elif today <= occasion.last_day:
                continue  # still open, but no longer asked
            else:
                status = "missed"
            history.append(PastOccasion(instrument, occasion, response, status))
    return sorted(history, key=lambda past: (past.occasion.opens_on, past.instrument.key))
