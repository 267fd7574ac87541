"""A small trial run through time: the real app, database, reminder planner and senders, a real
SMTP server and a local SMS API, and the people doing what people do at random moments.

Invariants, checked after every step:
- marks_only_for_meetings_that_happened: no attendance or delivery ("held") record for a
  meeting that has not started or is cancelled, nor for one that started before the person
  enrolled;
- messages_in_language_to_reachable_people_in_time: every message delivered (read from the SMTP
  server and the SMS API) is in the recipient's language of that moment, never to a withdrawn
  person nor on a channel they turned off (STOP turns texts off), never after its purpose passed
  (the eve of a meeting now today, a cancelled or moved meeting, a survey not open for that
  person, practice already logged, a questionnaire already sent or not open for that person),
  never twice for one purpose at one moment, and every one is
  accounted for by exactly one sent reminder (a second copy is not);
- dose_rows_agree: each person's attendance and weeks done agree between the records, the
  summary export, the REDCap export, the reports' figures and their own progress page;
- ticks_plan_what_a_full_plan_would: after each tick (which plans only the cohorts something
  changed for and those whose turn came), a full re-plan at that moment would neither add nor
  cancel a reminder due within three quarters of the horizon, the lead every reminder is
  promised (the rest of the horizon is planned as each cohort's turn comes);
- staff_changes_audited: every change staff made (that the app accepted) has its audit event.

A refusal (4xx with a message) is an outcome the model accepts; a 500 never is.
P4P_SIM_SEED replays a rotating run (the seed is printed); P4P_SIM_EXAMPLES and P4P_SIM_STEPS
change its size. P4P_SIM_SURVEY=1 (for finding bugs, not for CI) goes on after a broken rule and
fails at the end with every distinct one, each with the steps that first led to it (also in
test-artifacts/). The counts of examples and steps run land in
test-artifacts/simulated-trial-<database>.json and in the terminal.
"""

import functools
import os
from datetime import date

import pytest
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from simulation_world import ARTIFACTS, TrialWorld, record_run

# The fixed run is the thorough one; the rotating run adds a new stretch of trial every day.
EXAMPLES = int(os.environ.get("P4P_SIM_EXAMPLES", "25"))
ROTATING_EXAMPLES = int(os.environ.get("P4P_SIM_EXAMPLES", "10"))
STEPS = int(os.environ.get("P4P_SIM_STEPS", "30"))
SURVEY = os.environ.get("P4P_SIM_SURVEY") == "1"
FIXED_SEED = 20270314  # the US change to daylight time, inside the simulated weeks
SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    # survey mode finds and does not shrink (shrinking a long trial takes many minutes)
    **({"phases": [Phase.explicit, Phase.generate]} if SURVEY else {}),
)
pick = st.integers(0, 10_000)  # an index into whatever list the rule chooses from
MARK = st.sampled_from([None, "present", "late", "left_early", "excused", "absent"])


def counted(step):
    """Counts each step that runs, for the closing note (how much the simulation exercised)."""

    @functools.wraps(step)
    def run(self, **arguments):
        self.world.stats.steps += 1
        self.trial.log.append(
            f"{step.__name__}({', '.join(f'{k}={v!r}' for k, v in arguments.items())})"
        )
        return step(self, **arguments)

    return run


class SimulatedTrial(RuleBasedStateMachine):
    world: TrialWorld  # set by the test: the app, clock and servers outlive one example

    def __init__(self):
        super().__init__()
        self.trial = self.world.new_example()

    def teardown(self):
        self.trial.close()

    # -- time and the scheduler ------------------------------------------------------------
    @rule(hours=st.sampled_from([1, 3, 6, 12, 24, 36, 48]))
    @counted
    def time_passes(self, hours):
        self.trial.advance(hours)

    @rule(hours=st.sampled_from([0, 1, 2, 4, 8, 12]))
    @counted
    def scheduler_ticks(self, hours):
        self.trial.advance(hours)
        self.trial.tick()

    @rule(days=st.integers(1, 3))
    @counted
    def scheduler_back_after_days_off(self, days):
        self.trial.advance(24 * days)
        self.trial.tick()

    @rule()
    @counted
    def two_schedulers_tick_at_once(self):
        self.trial.two_ticks_at_once()

    @rule()
    @counted
    def slow_sender_is_overtaken(self):
        self.trial.slow_tick_overtaken()

    # -- facilitators and the coordinator --------------------------------------------------
    @rule(which=pick, marks=st.lists(MARK, max_size=6), everyone=st.booleans(), boss=st.booleans())
    @counted
    def staff_saves_a_sheet(self, which, marks, everyone, boss):
        self.trial.save_sheet(which, marks, everyone, boss)

    @rule(which=pick, held=st.booleans(), boss=st.booleans())
    @counted
    def staff_records_delivery(self, which, held, boss):
        self.trial.record_delivery(which, held, boss)

    @rule(which=pick, days=st.integers(-3, 3), hour=st.sampled_from([9, 13, 18]))
    @counted
    def coordinator_moves_a_meeting(self, which, days, hour):
        self.trial.move_meeting(which, days, hour)

    @rule(which=pick)
    @counted
    def coordinator_switches_video(self, which):
        self.trial.switch_mode(which)

    @rule(which=pick)
    @counted
    def coordinator_cancels_a_meeting(self, which):
        self.trial.cancel_meeting(which)

    @rule(cohort=pick, language=st.sampled_from(["en", "es"]), contact=pick, phone_style=pick)
    @counted
    def coordinator_enrols_late(self, cohort, language, contact, phone_style):
        self.trial.enrol_late(cohort, language, contact, phone_style)

    @rule(who=pick)
    @counted
    def coordinator_withdraws(self, who):
        self.trial.withdraw(who)

    @rule(who=pick)
    @counted
    def coordinator_brings_back(self, who):
        self.trial.bring_back(who)

    # -- participants ----------------------------------------------------------------------
    @rule(who=pick, days_ago=st.integers(0, 4), minutes=st.integers(5, 40))
    @counted
    def participant_logs_practice(self, who, days_ago, minutes):
        self.trial.log_practice(who, days_ago, minutes)

    @rule(who=pick, week=st.integers(1, 9), done=st.booleans())
    @counted
    def participant_marks_a_week(self, who, week, done):
        self.trial.mark_week(who, week, done)

    @rule(who=pick, which=pick, value=st.integers(0, 10))
    @counted
    def participant_answers_a_questionnaire(self, who, which, value):
        self.trial.answer_questionnaire(who, which, value)

    @rule(who=pick, language=st.sampled_from(["en", "es"]), email=st.booleans(), sms=st.booleans())
    @counted
    def participant_sets_reminders(self, who, language, email, sms):
        self.trial.set_reminders(who, language, email, sms)

    @rule(who=pick, word=st.sampled_from(["STOP", "START", "stop", "Alto"]))
    @counted
    def participant_texts_back(self, who, word):
        self.trial.text_back(who, word)

    # -- the rules of the trial ------------------------------------------------------------
    @invariant()
    def marks_only_for_meetings_that_happened(self):
        self.trial.check("marks", self.trial.marks_problems())

    @invariant()
    def messages_in_language_to_reachable_people_in_time(self):
        self.trial.check("messages", self.trial.message_problems())

    @invariant()
    def dose_rows_agree(self):
        self.trial.check("dose", self.trial.dose_problems())

    @invariant()
    def ticks_plan_what_a_full_plan_would(self):
        self.trial.check("planning", self.trial.planning_problems())

    @invariant()
    def staff_changes_audited(self):
        self.trial.check("audit", self.trial.audit_problems())


def _run(world, run_seed: int, request, examples: int = EXAMPLES) -> None:
    SimulatedTrial.world = world
    factory = seed(run_seed)(lambda: SimulatedTrial())
    report = request.config.pluginmanager.get_plugin("terminalreporter")
    world.stats.start(run_seed)
    try:
        run_state_machine_as_test(factory, settings=settings(SETTINGS, max_examples=examples))
    finally:
        line = record_run(world, request.node.name)
        if report:  # past pytest's capture, so the counts show in every run's output
            with request.config.pluginmanager.get_plugin(
                "capturemanager"
            ).global_and_fixture_disabled():
                report.write_line(line)
    if world.findings:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"simulated-trial-findings-{request.node.name}.txt").write_text(
            "\n\n".join(world.findings.values())
        )
    assert not world.findings, "broken rules (P4P_SIM_SURVEY):\n" + "\n".join(
        world.findings.values()
    )


@pytest.fixture
def world(database_url, tmp_path):
    with TrialWorld(database_url, tmp_path) as world:
        yield world


def test_simulated_trial_fixed_seed(world, request):
    _run(world, FIXED_SEED, request)


def test_simulated_trial_rotating_seed(world, request):
    rotating = int(os.environ.get("P4P_SIM_SEED") or date.today().strftime("%Y%m%d"))
    print(f"simulated trial seed {rotating} (replay: P4P_SIM_SEED={rotating})")
    _run(world, rotating, request, ROTATING_EXAMPLES)
