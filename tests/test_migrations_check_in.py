"""Migration 0014: the weekly check-in's rows (self_check) become submitted PEG responses with
their answers and the engine's score, an answer already in the questionnaire wins, and the
downgrade brings the rows back (SQLite and PostgreSQL)."""

from datetime import UTC, datetime

import sqlalchemy as sa
from migration_helpers import migration_app

from p4p import migrate
from p4p.db import UTCDateTime
from p4p.modules.instruments.scoring import compute_scores

ITEMS = ("peg_pain", "peg_enjoyment", "peg_activity")
AT = datetime(2026, 3, 3, 18, 30, tzinfo=UTC)
LATER = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)

self_check = sa.table(
    "self_check",
    sa.column("participant_id", sa.Integer),
    sa.column("week", sa.Integer),
    sa.column("pain", sa.Integer),
    sa.column("enjoyment", sa.Integer),
    sa.column("activity", sa.Integer),
    sa.column("created_at", UTCDateTime()),
)
response = sa.table(
    "instrument_response",
    sa.column("id", sa.Integer),
    sa.column("participant_id", sa.Integer),
    sa.column("instrument", sa.String),
    sa.column("occasion", sa.String),
    sa.column("started_at", UTCDateTime()),
    sa.column("submitted_at", UTCDateTime()),
    sa.column("scores", sa.JSON),
)
answer = sa.table(
    "instrument_answer",
    sa.column("response_id", sa.Integer),
    sa.column("item", sa.String),
    sa.column("number", sa.Float),
    sa.column("text", sa.String),
    sa.column("answered_at", UTCDateTime()),
)


def _participants_at_0013(app) -> list[int]:
    """The demo study at 0013, with no questionnaire answers (they are what 0014 makes)."""
    with app.app_context():
        migrate.upgrade()
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        migrate.downgrade("0013")
    with app.extensions["p4p.engine"].begin() as connection:
        connection.execute(answer.delete())
        connection.execute(response.delete())
        connection.execute(self_check.delete())
        return list(connection.scalars(sa.text("SELECT id FROM participant ORDER BY id")))[:3]


def _check_ins(connection) -> set[tuple]:
    return set(
        connection.execute(
            sa.select(
                self_check.c.participant_id,
                self_check.c.week,
                self_check.c.pain,
                self_check.c.enjoyment,
                self_check.c.activity,
                self_check.c.created_at,
            )
        ).all()
    )


def _pegs(connection) -> dict[tuple[int, str], tuple]:
    """(participant, occasion) -> (started, submitted, scores, {item: number})."""
    found = {}
    for row in connection.execute(sa.select(response).where(response.c.instrument == "peg")):
        answers = connection.execute(
            sa.select(answer.c.item, answer.c.number, answer.c.text, answer.c.answered_at).where(
                answer.c.response_id == row.id
            )
        ).all()
        assert all(text is None for _item, _number, text, _at in answers)
        found[row.participant_id, row.occasion] = (
            row.started_at,
            row.submitted_at,
            row.scores,
            {item: (number, at) for item, number, _text, at in answers},
        )
    return found


def test_check_ins_become_peg_responses_and_come_back_on_downgrade(app_config, tmp_path):
    app = migration_app(tmp_path, app_config)
    first, second, third = _participants_at_0013(app)
    rows = [
        (first, 1, 6, 5, 4, AT),
        (first, 2, 7, 7, 6, LATER),  # a mean that is no whole number: 20 / 3
        (second, 1, 0, 10, 3, AT),
        (third, 1, 2, 2, 2, AT),  # already answered in the questionnaire: that one is kept
    ]
    engine = app.extensions["p4p.engine"]
    with engine.begin() as connection:
        connection.execute(
            self_check.insert(),
            [
                dict(zip(self_check.c.keys(), row, strict=True))
                for row in rows  # participant, week, pain, enjoyment, activity, created_at
            ],
        )
        kept_id = connection.execute(
            response.insert().returning(response.c.id),
            {
                "participant_id": third,
                "instrument": "peg",
                "occasion": "week-1",
                "started_at": LATER,
                "submitted_at": LATER,
                "scores": {"peg_score": 9.0},
            },
        ).scalar_one()
        connection.execute(
            answer.insert(),
            [
                {"response_id": kept_id, "item": item, "number": 9.0, "answered_at": LATER}
                for item in ITEMS
            ],
        )

    with app.app_context():
        migrate.upgrade("0014")
    peg = app.extensions["p4p.program"].instruments["peg"]
    with engine.connect() as connection:
        assert "self_check" not in sa.inspect(connection).get_table_names()
        pegs = _pegs(connection)
    assert set(pegs) == {
        (first, "week-1"),
        (first, "week-2"),
        (second, "week-1"),
        (third, "week-1"),
    }
    for participant, week, pain, enjoyment, activity, at in rows[:3]:
        started, submitted, scores, answers = pegs[participant, f"week-{week}"]
        values = dict(zip(ITEMS, (pain, enjoyment, activity), strict=True))
        assert (started, submitted) == (at, at)
        assert answers == {item: (float(value), at) for item, value in values.items()}
        assert scores == compute_scores(peg, values)  # exactly the engine's, under its name
    assert pegs[first, "week-2"][2] == {"peg_score": 20 / 3}
    assert pegs[third, "week-1"] == (
        LATER,
        LATER,
        {"peg_score": 9.0},
        {item: (9.0, LATER) for item in ITEMS},
    )

    with app.app_context():
        migrate.downgrade("0013")
    with engine.connect() as connection:
        back = _check_ins(connection)
        assert len(_pegs(connection)) == 4  # the responses stay: a later upgrade copies none twice
    assert back == {*rows[:3], (third, 1, 9, 9, 9, LATER)}

    with app.app_context():
        migrate.upgrade()
    with engine.connect() as connection:
        assert _pegs(connection) == pegs
    engine.dispose()


def test_a_response_without_all_three_answers_is_not_copied_back(app_config, tmp_path):
    """A started PEG, or one sent for a month (not a week), has no check-in row to be."""
    app = migration_app(tmp_path, app_config)
    first, second, _third = _participants_at_0013(app)
    with app.app_context():
        migrate.upgrade("0014")
    engine = app.extensions["p4p.engine"]
    with engine.begin() as connection:
        for participant, occasion, submitted in (
            (first, "week-2", None),
            (second, "month-2", LATER),
        ):
            response_id = connection.execute(
                response.insert().returning(response.c.id),
                {
                    "participant_id": participant,
                    "instrument": "peg",
                    "occasion": occasion,
                    "started_at": AT,
                    "submitted_at": submitted,
                    "scores": None,
                },
            ).scalar_one()
            connection.execute(
                answer.insert(),
                [
                    {"response_id": response_id, "item": item, "number": 5.0, "answered_at": AT}
                    for item in ITEMS
                ],
            )
    with app.app_context():
        migrate.downgrade("0013")
    with engine.connect() as connection:
        assert _check_ins(connection) == set()
    engine.dispose()
