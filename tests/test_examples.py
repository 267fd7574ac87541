"""Every study under examples/ runs as a study team would start it (P4P_CONTENT_DIR=examples/NAME):
its definition passes `curriculum check`, `seed-demo` builds a demo that fits it, and each demo
participant's first pages open and name no arm but their own."""

from pathlib import Path

import pytest
from conftest import _empty_all_tables, login
from sqlalchemy import select

from p4p import create_app
from p4p.demo import DEMO_PASSWORD
from p4p.modules.auth.models import User
from p4p.modules.participants.models import Participant

EXAMPLES = sorted(
    path.parent for path in (Path(__file__).parent.parent / "examples").glob("*/program.yaml")
)


def test_there_are_examples_to_check():
    assert EXAMPLES, "no examples/*/program.yaml found"


@pytest.fixture(params=EXAMPLES, ids=lambda folder: folder.name)
def example_app(request, app_config):
    app = create_app({**app_config, "CONTENT_DIR": str(request.param)})
    yield app
    _empty_all_tables(app.extensions["p4p.engine"])
    app.extensions["p4p.engine"].dispose()


def test_an_example_study_checks_seeds_and_opens_for_its_participants(example_app):
    runner = example_app.test_cli_runner()
    checked = runner.invoke(args=["curriculum", "check"])
    assert checked.exit_code == 0, checked.output
    seeded = runner.invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    program = example_app.extensions["p4p.program"]
    session = example_app.extensions["p4p.sessionmaker"]()
    people = session.execute(  # those who have set a password (the demo has some invited only)
        select(User.email, Participant.arm)
        .join(Participant, Participant.user_id == User.id)
        .where(User.password_hash.is_not(None), User.email.is_not(None))
    ).all()
    session.close()
    assert {arm for _email, arm in people} == set(program.arms)  # a demo person in every arm
    for email, arm in people:
        client = example_app.test_client()
        assert login(client, email, DEMO_PASSWORD).status_code == 302
        others = [program.arm(key).label for key in program.arms if key != arm]
        for path in ("/", "/progress"):
            response = client.get(path, follow_redirects=True)
            assert response.status_code == 200, (email, path)
            page = response.get_data(as_text=True)
            assert not [label for label in others if label in page], (email, path)
