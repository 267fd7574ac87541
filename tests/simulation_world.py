"""What outlives one example of the simulated trial: the app on the test database, its clock,
the SMTP server and SMS API, and the counts of what ran (for the closing note)."""

import json
import os
import time as wallclock
from dataclasses import dataclass, field
from pathlib import Path

from conftest import PEG_SCHEDULE, _empty_all_tables
from simulation import TRIAL_START, SmsApi, Wire, smtp_server

from p4p import create_app
from p4p.clock import FixedClock

ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"


@dataclass
class Stats:
    seed: int = 0
    examples: int = 0
    steps: int = 0
    started: float = field(default_factory=wallclock.monotonic)

    def start(self, run_seed: int) -> None:
        self.seed, self.examples, self.steps, self.started = run_seed, 0, 0, wallclock.monotonic()


class TrialWorld:
    """What outlives one example: the app on the test database, its clock and the servers."""

    def __init__(self, database_url: str, tmp_path):
        self.clock, self.stats = FixedClock(TRIAL_START), Stats()
        self.survey = os.environ.get("P4P_SIM_SURVEY") == "1"
        self.findings: dict[
            str, str
        ] = {}  # a broken rule's shape -> its first case, in survey mode
        self.wire = Wire(self.clock)
        self.smtp, self.sms = smtp_server(self.wire), SmsApi(self.wire)
        self.database_url, self.tmp_path = database_url, tmp_path

    def __enter__(self):
        self.smtp.__enter__()
        self.sms.__enter__()
        self.app = create_app({
            "TESTING": True, "DATABASE_URL": self.database_url, "SECRET_KEY": "sim-secret",
            "CLOCK": self.clock, "INSTANCE_PATH": str(self.tmp_path / "instance"),
            "WTF_CSRF_ENABLED": False, "LOGIN_RATE_LIMIT": "100000 per minute",
            "LOGIN_ACCOUNT_RATE_LIMIT": "100000 per minute", "BASE_URL": "http://p4p.test",
            # The limits count real minutes; the simulated weeks pass in seconds.
            "REPORT_RATE_LIMIT": "100000 per minute", "EXPORT_RATE_LIMIT": "100000 per minute",
            "SESSION_IDLE_MINUTES": 10**6, "SESSION_ABSOLUTE_HOURS": 10**5,
            "MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.smtp.port,
            "SMS_BACKEND": "http", "SMS_API_URL": f"http://127.0.0.1:{self.sms.port}",
            "SMS_ACCOUNT_SID": "ACsim", "SMS_AUTH_TOKEN": "sim", "SMS_FROM": "+15550009999",
        })  # fmt: skip
        self._ask_the_peg()
        return self

    def _ask_the_peg(self) -> None:
        """The PEG asked weekly and at months 2, 4 and 6 (conftest.PEG_SCHEDULE), so the trial
        has questionnaires to answer and to be reminded of. The program is shared (cached) by
        every app of the test run: put back as it was on leaving."""
        import yaml

        from p4p.modules.curriculum.service import PACKAGED_CONTENT
        from p4p.modules.instruments.definitions import parse_instrument

        program = self.app.extensions["p4p.program"]
        raw = yaml.safe_load((PACKAGED_CONTENT / "instruments" / "peg.yaml").read_text())
        arms = {key: len(arm.weeks) for key, arm in program.arms.items()}
        peg, problems = parse_instrument(
            {**raw, "schedule": PEG_SCHEDULE}, "peg.yaml", program.languages, arms
        )
        assert problems == []
        self.unscheduled_peg = program.instruments.get("peg")
        program.instruments["peg"] = peg

    def __exit__(self, *_exc):
        program = self.app.extensions["p4p.program"]
        if self.unscheduled_peg is not None:
            program.instruments["peg"] = self.unscheduled_peg
        else:
            program.instruments.pop("peg", None)
        _empty_all_tables(self.app.extensions["p4p.engine"])
        self.app.extensions["p4p.engine"].dispose()
        self.sms.__exit__()
        self.smtp.__exit__()

    def new_example(self):
        from simulation_trial import Trial  # the trial module needs this one first

        _empty_all_tables(self.app.extensions["p4p.engine"])
        self.clock.at = TRIAL_START
        self.wire.reset()
        self.stats.examples += 1
        return Trial(self)


def record_run(world: TrialWorld, test_name: str) -> str:
    stats, kind = world.stats, world.database_url.split(":")[0].split("+")[0]
    seconds = round(wallclock.monotonic() - stats.started, 1)
    line = (f"simulated trial ({test_name}, {kind}): seed {stats.seed}, {stats.examples} "
            f"examples, {stats.steps} steps, {seconds} s")  # fmt: skip
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"simulated-trial-{kind}.json"
    runs = json.loads(path.read_text()) if path.exists() else {}
    runs[test_name] = {"seed": stats.seed, "examples": stats.examples, "steps": stats.steps,
                       "seconds": seconds}  # fmt: skip
    path.write_text(json.dumps(runs, indent=2))
    return line
