"""The demo study and the command-line tools."""

from conftest import login
from sqlalchemy import func, select

from p4p.demo import DEMO_PASSWORD
from p4p.modules.auth.models import User
from p4p.modules.participants.models import Participant
from p4p.modules.sites.models import Cohort, Meeting, Site

DEMO_ACCOUNTS = [
    "participant.p4p@example.org",
    "participant.ktw@example.org",
    "facilitator.north@example.org",
    "facilitator.south@example.org",
    "coordinator@example.org",
    "admin@example.org",
]


def _counts(db):
    db.expire_all()
    return [
        db.scalar(select(func.count()).select_from(m))
        for m in (User, Site, Cohort, Meeting, Participant)
    ]


def test_seed_demo_creates_the_study_once(runner, db):
    assert "demo study created" in runner.invoke(args=["seed-demo"]).output
    first = _counts(db)
    assert first[1:4] == [2, 4, 36]
    assert 20 <= first[4] <= 30
    assert "already present" in runner.invoke(args=["seed-demo"]).output
    assert _counts(db) == first


def test_demo_accounts_log_in_and_each_participant_sees_their_own_arm(runner, client, app):
    runner.invoke(args=["seed-demo"])
    for email in DEMO_ACCOUNTS:
        assert login(client, email, DEMO_PASSWORD).status_code == 302, email
        client.post("/logout")
    from p4p.modules.curriculum.service import get_program

    with app.app_context():
        titles = {key: arm.week(1).title for key, arm in get_program().arms.items()}
    for email, own, other in (
        ("participant.p4p@example.org", "partners4pain", "keys_to_wellbeing"),
        ("participant.ktw@example.org", "keys_to_wellbeing", "partners4pain"),
    ):
        login(client, email, DEMO_PASSWORD)
        page = client.get("/weeks/1").get_data(as_text=True)
        assert titles[own] in page and titles[other] not in page
        home = client.get("/home").get_data(as_text=True)
        assert "Week 3 of 9" in home or "Week 4 of 9" in home or "Week 5 of 9" in home
        client.post("/logout")


def test_demo_has_a_finished_cohort_and_history(runner, client):
    runner.invoke(args=["seed-demo"])
    login(client, "coordinator@example.org", DEMO_PASSWORD)
    page = client.get("/staff/").get_data(as_text=True)
    assert "Finished" in page
    client.post("/logout")
    login(client, "participant.p4p@example.org", DEMO_PASSWORD)
    progress = client.get("/progress").get_data(as_text=True)
    assert "<svg" in progress


def test_seed_demo_if_empty_leaves_a_real_database_alone(runner, factory):
    factory.user("coordinator")
    assert "not seeded" in runner.invoke(args=["seed-demo", "--if-empty"]).output


def _create_admin(runner, password):
    args = ["create-user", "--email", "a@example.org", "--name", "A", "--role", "admin"]
    return runner.invoke(args=[*args, "--password", password])


def test_create_user_refuses_a_weak_password(runner, db):
    assert _create_admin(runner, "password").exit_code != 0
    assert _create_admin(runner, "a long enough phrase").exit_code == 0
    assert db.scalar(select(User.role).where(User.email == "a@example.org")) == "admin"


def test_send_invite_emails_a_working_link(app, runner, factory, client):
    from smtp_server import SmtpServer

    user = factory.user("participant", password=None)
    with SmtpServer() as smtp:
        app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port)
        result = runner.invoke(args=["send-invite", "--email", user.email])
        assert result.exit_code == 0, result.output
        body = smtp.messages[0].get_content()
    path = body.split("http://p4p.test", 1)[1].split()[0]
    assert client.get(path).status_code == 200
    assert runner.invoke(args=["send-invite", "--email", "nobody@example.org"]).exit_code != 0


def test_a_now_that_is_not_a_moment_is_refused_with_a_message(runner):
    for text in ("yesterday", "2026-03-15T12:00:00"):
        result = runner.invoke(args=["seed-demo", "--now", text])
        assert result.exit_code == 2 and "--now" in result.output, result.output


def test_the_demo_check_ins_are_sent_pegs_with_their_answers_and_score(runner, db, app):
    """Seeded through the models as the app stores them: three answers, the engine's score."""
    from p4p.modules.instruments.answer_models import InstrumentResponse
    from p4p.modules.instruments.scoring import compute_scores

    runner.invoke(args=["seed-demo"])
    peg = app.extensions["p4p.program"].instruments["peg"]
    responses = db.scalars(select(InstrumentResponse)).all()
    assert len(responses) > 20
    for response in responses:
        answers = {a.item: int(a.number) for a in response.answers}
        assert response.instrument == "peg" and response.occasion.startswith("week-")
        assert set(answers) == {"peg_pain", "peg_enjoyment", "peg_activity"}
        assert response.submitted_at is not None
        assert response.scores == compute_scores(peg, answers)
