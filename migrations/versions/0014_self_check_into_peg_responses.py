"""the weekly check-in's answers become PEG questionnaire responses; self_check is dropped

Every self_check row becomes a submitted `peg` response for occasion `week-<week>`, started and
submitted at the check-in's created_at, with its three answers and the PEG's score (the mean of
the three, as p4p/modules/instruments/scoring.py computes it). The downgrade brings the table
back and copies each submitted week-<n> PEG response into it; the responses stay, so a later
upgrade finds them and copies nothing twice.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 08:45:00
"""

import sqlalchemy as sa
from alembic import op

import p4p.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# As peg.yaml names them. Written out here, not read from the file: a migration must do the
# same thing whatever a later version of the file says.
INSTRUMENT = "peg"
ITEMS = ("peg_pain", "peg_enjoyment", "peg_activity")  # self_check's pain, enjoyment, activity
SCORE = "peg_score"
WEEK_PREFIX = "week-"

self_check = sa.table(
    "self_check",
    sa.column("id", sa.Integer),
    sa.column("participant_id", sa.Integer),
    sa.column("week", sa.Integer),
    sa.column("pain", sa.Integer),
    sa.column("enjoyment", sa.Integer),
    sa.column("activity", sa.Integer),
    sa.column("created_at", p4p.db.UTCDateTime(timezone=True)),
)
response = sa.table(
    "instrument_response",
    sa.column("id", sa.Integer),
    sa.column("participant_id", sa.Integer),
    sa.column("instrument", sa.String),
    sa.column("occasion", sa.String),
    sa.column("started_at", p4p.db.UTCDateTime(timezone=True)),
    sa.column("submitted_at", p4p.db.UTCDateTime(timezone=True)),
    sa.column("scores", sa.JSON),
)
answer = sa.table(
    "instrument_answer",
    sa.column("id", sa.Integer),
    sa.column("response_id", sa.Integer),
    sa.column("item", sa.String),
    sa.column("number", sa.Float),
    sa.column("text", sa.String),
    sa.column("answered_at", p4p.db.UTCDateTime(timezone=True)),
)


def peg_score(pain: int, enjoyment: int, activity: int) -> float:
    """The engine's mean: the sum of the three answers over their count (min_answers is 3)."""
    return (pain + enjoyment + activity) / 3


def _existing_occasions(bind) -> set[tuple[int, str]]:
    rows = bind.execute(
        sa.select(response.c.participant_id, response.c.occasion).where(
            response.c.instrument == INSTRUMENT
        )
    )
    return {(participant_id, occasion) for participant_id, occasion in rows}


def upgrade() -> None:
    bind = op.get_bind()
    checks = bind.execute(
        sa.select(
            self_check.c.participant_id,
            self_check.c.week,
            self_check.c.pain,
            self_check.c.enjoyment,
            self_check.c.activity,
            self_check.c.created_at,
        ).order_by(self_check.c.id)
    ).all()
    # A PEG response already there for the same participant and week (answered in the
    # questionnaire, or copied by an earlier upgrade and kept by the downgrade) is kept as it is:
    # it is the one the study saw last, and the unique constraint allows one.
    existing = _existing_occasions(bind)
    new = [c for c in checks if (c.participant_id, f"{WEEK_PREFIX}{c.week}") not in existing]
    if new:
        bind.execute(
            response.insert(),
            [
                {
                    "participant_id": c.participant_id,
                    "instrument": INSTRUMENT,
                    "occasion": f"{WEEK_PREFIX}{c.week}",
                    "started_at": c.created_at,
                    "submitted_at": c.created_at,
                    "scores": {SCORE: peg_score(c.pain, c.enjoyment, c.activity)},
                }
                for c in new
            ],
        )
        ids = {
            (participant_id, occasion): response_id
            for response_id, participant_id, occasion in bind.execute(
                sa.select(response.c.id, response.c.participant_id, response.c.occasion).where(
                    response.c.instrument == INSTRUMENT
                )
            )
        }
        bind.execute(
            answer.insert(),
            [
                {
                    "response_id": ids[c.participant_id, f"{WEEK_PREFIX}{c.week}"],
                    "item": item,
                    "number": float(value),
                    "text": None,
                    "answered_at": c.created_at,
                }
                for c in new
                for item, value in zip(ITEMS, (c.pain, c.enjoyment, c.activity), strict=True)
            ],
        )
    op.drop_index(op.f("ix_self_check_participant_id"), table_name="self_check")
    op.drop_table("self_check")


def downgrade() -> None:
    op.create_table(
        "self_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Integer(), nullable=False),
        sa.Column("pain", sa.Integer(), nullable=False),
        sa.Column("enjoyment", sa.Integer(), nullable=False),
        sa.Column("activity", sa.Integer(), nullable=False),
        sa.Column("created_at", p4p.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("activity BETWEEN 0 AND 10", name=op.f("ck_self_check_activity")),
        sa.CheckConstraint("enjoyment BETWEEN 0 AND 10", name=op.f("ck_self_check_enjoyment")),
        sa.CheckConstraint("pain BETWEEN 0 AND 10", name=op.f("ck_self_check_pain")),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_self_check_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_check")),
        sa.UniqueConstraint(
            "participant_id", "week", name=op.f("uq_self_check_participant_id_week")
        ),
    )
    op.create_index(op.f("ix_self_check_participant_id"), "self_check", ["participant_id"])
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            response.c.id,
            response.c.participant_id,
            response.c.occasion,
            response.c.submitted_at,
            answer.c.item,
            answer.c.number,
        )
        .join(answer, answer.c.response_id == response.c.id)
        .where(
            response.c.instrument == INSTRUMENT,
            response.c.occasion.like(f"{WEEK_PREFIX}%"),
            response.c.submitted_at.is_not(None),
            answer.c.item.in_(ITEMS),
        )
    ).all()
    by_response: dict[int, dict] = {}
    for response_id, participant_id, occasion, submitted_at, item, number in rows:
        found = by_response.setdefault(
            response_id,
            {"participant_id": participant_id, "occasion": occasion, "created_at": submitted_at},
        )
        found[item] = number
    checks = [
        {
            "participant_id": found["participant_id"],
            "week": int(found["occasion"].removeprefix(WEEK_PREFIX)),
            "pain": int(found[ITEMS[0]]),
            "enjoyment": int(found[ITEMS[1]]),
            "activity": int(found[ITEMS[2]]),
            "created_at": found["created_at"],
        }
        for found in by_response.values()
        # a check-in had all three answers, each a whole number 0-10
        if found["occasion"].removeprefix(WEEK_PREFIX).isdigit()
        and all(found.get(item) is not None and 0 <= found[item] <= 10 for item in ITEMS)
    ]
    if checks:
        bind.execute(self_check.insert(), checks)
