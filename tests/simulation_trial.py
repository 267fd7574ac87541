"""One example of the simulated trial: the study, the people and what each kind of person does,
through the app's own routes, and the checks of the invariants."""

import re
import threading
import time as wallclock
from datetime import timedelta
from zoneinfo import ZoneInfo

import simulation_checks as checks
from reminder_helpers import post_sms_reply
from simulation import AREA_CODES, SITES, Person, StaffAction
from simulation_messages import Deliveries
from simulation_study import PASSWORD, build_study, enrol, login
from simulation_world import TrialWorld
from sqlalchemy import select

from p4p.modules.attendance.models import Attendance
from p4p.modules.participants.models import Participant
from p4p.modules.reminders.models import Reminder
from p4p.modules.sites.models import Cohort, Meeting


def _pick(items: list, index: int):
    return items[index % len(items)] if items else None


class Trial:
    """One example: the study, the people, what staff changed, and what was delivered."""

    def __init__(self, world: TrialWorld):
        self.world, self.app, self.clock, self.wire = world, world.app, world.clock, world.wire
        self.db = self.app.extensions["p4p.sessionmaker"]()
        self.staff, self.people, self.cohort_sites = build_study(self.app, self.db, self.clock)
        self.actions: list[StaffAction] = []
        self.deliveries = Deliveries()
        self.serial = 100
        self.log: list[str] = []  # the steps so far, to replay a finding by hand
        self.dose_changed = True  # whether a step since the last dose check could change it
        self.ticked_at = None  # the moment of the last tick, until its planning is checked
        self.progress_turn = 0  # whose progress page the next dose check reads

    def close(self) -> None:
        self.db.close()

    def check(self, name: str, problems: list[str]) -> None:
        if self.world.survey:
            for problem in problems:
                shape = f"{name}: " + re.sub(r"\d+", "#", problem.split(": ", 1)[-1])[:90]
                self.world.findings.setdefault(
                    shape, f"{name}: {problem}\n    after: " + "; ".join(self.log)
                )
            return
        assert not problems, f"{name} rule broken:\n  " + "\n  ".join(problems[:12])

    def fresh(self):
        self.db.expire_all()
        return self.db

    def answered(self, response, *allowed) -> int:
        """A page the app gave back: never a 500; a refusal is fine, a crash is not."""
        crashed = response.status_code >= 500 or bool(
            allowed and response.status_code not in allowed
        )
        page = response.get_data(as_text=True)[:1500]
        self.check(
            "answers", [f"{response.status_code} from {self.log[-1]}: {page}"] * int(crashed)
        )
        return response.status_code

    def _staff_did(self, actor_id, entity, entity_id, what) -> None:
        self.actions.append(StaffAction(actor_id, entity, entity_id, self.clock(), what))

    # -- the scheduler, as its tick calls it -----------------------------------------------
    def advance(self, hours: int) -> None:
        """Time passes. What counts changes only if a meeting with marks starts meanwhile (a
        later "today" can only end a last_activity-in-the-future problem, not start one)."""
        before = self.clock()
        self.clock.advance(hours=hours)
        started = select(Attendance.id).join(Meeting, Meeting.id == Attendance.meeting_id)
        started = started.where(Meeting.starts_at > before, Meeting.starts_at <= self.clock())
        if self.fresh().scalar(started.limit(1)) is not None:
            self.dose_changed = True

    def _tick(self, moment=None) -> None:
        """Plan, then send, as the scheduler's tick does (at the trial's clock, or `moment`)."""
        from p4p.modules.reminders.tasks import plan_now, send_now

        with self.app.app_context():
            moment = moment or self.clock()
            plan_now(moment)
            send_now(moment)
        self.ticked_at = moment

    def tick(self) -> None:
        self.wire.run += 1
        self._tick()

    def _in_thread(self, errors: list, start: threading.Barrier | None = None, moment=None):
        def run():
            try:
                if start:
                    start.wait(10)
                self._tick(moment)
            except Exception as error:  # noqa: BLE001 - reported by the main thread
                errors.append(error)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    def two_ticks_at_once(self) -> None:
        self.wire.run += 1
        errors, start = [], threading.Barrier(2)
        for thread in [self._in_thread(errors, start) for _ in (1, 2)]:
            thread.join(60)
        self.check("senders", [repr(e) for e in errors])

    def slow_tick_overtaken(self) -> None:
        """A slow provider: the first sender's run outlasts the lease, and a second sender starts
        meanwhile (by its clock, as much later as has really passed). Time is scaled down: a
        lease of 1.2 s and 0.2 s a message. The lease must outlast one message's send by a wide
        margin (in production 10 minutes against a 10-second SMTP timeout); at 0.6 s a loaded
        CI machine sometimes took longer than the lease for one message, which is the one
        repeat the README allows, not a fault of the senders."""
        self.wire.run += 1
        lease, started = self.app.config["REMINDER_LEASE_MINUTES"], self.clock()
        self.app.config["REMINDER_LEASE_MINUTES"] = 0.02
        self.wire.slow, errors, began = True, [], wallclock.monotonic()
        first = self._in_thread(errors, moment=started)
        sent_before = len(self.wire.delivered)
        # eight messages at 0.2 s: the first run has outlasted the lease when the second starts
        while first.is_alive() and len(self.wire.delivered) < sent_before + 8:
            wallclock.sleep(0.01)
        try:
            if first.is_alive():
                later = started + timedelta(seconds=wallclock.monotonic() - began)
                self._in_thread(errors, moment=later).join(60)
            first.join(60)
        finally:
            self.wire.slow = False
            self.app.config["REMINDER_LEASE_MINUTES"] = lease
        self.check("senders", [repr(e) for e in errors])

    # -- staff -----------------------------------------------------------------------------
    def _meetings(self, site: str | None = None) -> list[Meeting]:
        ids = [c for c, s in self.cohort_sites.items() if site is None or s == site]
        query = select(Meeting).where(Meeting.cohort_id.in_(ids)).order_by(Meeting.id)
        return list(self.fresh().scalars(query))

    def _staff_member(self, meeting: Meeting, boss: bool):
        if boss:
            return self.staff.coordinator_id, self.staff.coordinator
        return self.staff.facilitators[self.cohort_sites[meeting.cohort_id]]

    def save_sheet(self, which: int, marks: list, everyone: bool, boss: bool) -> None:
        self.dose_changed = True
        meeting = _pick(self._meetings(), which)
        actor_id, client = self._staff_member(meeting, boss)
        page = client.get(f"/staff/meetings/{meeting.id}/attendance")
        if self.answered(page) != 200:
            return
        data = dict(re.findall(r'name="(version-\d+)" value="(\d+)"', page.get_data(as_text=True)))
        ids = [int(name.split("-")[1]) for name in data]
        for pid, status in zip(ids, marks, strict=False):
            data[f"status-{pid}"] = status or ""
        if everyone:
            data["action"] = "all-present"
        before = self._marks_of(meeting.id)
        if self.answered(client.post(f"/staff/meetings/{meeting.id}/attendance", data=data)) != 302:
            return
        after = self._marks_of(meeting.id)
        for pid in sorted(set(before) | set(after)):
            if before.get(pid) != after.get(pid):
                self._staff_did(actor_id, "participant", pid, f"attendance at meeting {meeting.id}")

    def _marks_of(self, meeting_id: int) -> dict[int, tuple]:
        rows = self.fresh().scalars(select(Attendance).where(Attendance.meeting_id == meeting_id))
        return {a.participant_id: (a.status, a.mode, a.note) for a in rows}

    def record_delivery(self, which: int, held: bool, boss: bool) -> None:
        self.dose_changed = True
        meeting = _pick(self._meetings(), which)
        actor_id, client = self._staff_member(meeting, boss)
        data = {"status": "held", "actual_minutes": "85"} if held else {"status": "cancelled"}
        if self.answered(client.post(f"/staff/meetings/{meeting.id}/delivery", data=data)) == 302:
            self._staff_did(actor_id, "meeting", meeting.id, f"delivery {data['status']}")

    def move_meeting(self, which: int, days: int, hour: int) -> None:
        self.dose_changed = True
        meeting = _pick(self._meetings(), which)
        local = meeting.starts_at.astimezone(ZoneInfo(meeting.cohort.site.timezone))
        data = {"move-date": (local.date() + timedelta(days=days)).isoformat(),
                "move-time": f"{hour:02d}:00", "move-reason": "The room is booked."}  # fmt: skip
        response = self.staff.coordinator.post(f"/admin/meetings/{meeting.id}/move", data=data)
        if self.answered(response) == 302:
            self._staff_did(self.staff.coordinator_id, "meeting", meeting.id, "move")

    def switch_mode(self, which: int) -> None:
        meeting = _pick(self._meetings(), which)
        mode = "in_person" if meeting.mode == "video" else "video"
        data = {"mode-mode": mode, "mode-video_link": "https://video.example.org/p4p",
                "mode-reason": "Snow on the roads."}  # fmt: skip
        response = self.staff.coordinator.post(f"/admin/meetings/{meeting.id}/mode", data=data)
        if self.answered(response) == 302:
            self._staff_did(self.staff.coordinator_id, "meeting", meeting.id, f"mode {mode}")

    def cancel_meeting(self, which: int) -> None:
        self.dose_changed = True
        meeting = _pick(self._meetings(), which)
        data = {"cancel-reason": "The site is closed for the day."}
        response = self.staff.coordinator.post(f"/admin/meetings/{meeting.id}/cancel", data=data)
        if self.answered(response) == 302:
            self._staff_did(self.staff.coordinator_id, "meeting", meeting.id, "cancel")
            self.check("cancel notices", self._cancel_notices_missing(meeting))

    def _cancel_notices_missing(self, meeting: Meeting) -> list[str]:
        """Everyone reachable in the cohort has the notice queued, on each channel they use."""
        queued = set(
            self.fresh().execute(
                select(Reminder.user_id, Reminder.channel).where(
                    Reminder.kind == "meeting-cancelled",
                    Reminder.key.like(f"meeting-cancelled:m{meeting.id}@%"),
                )
            )
        )
        expected = {
            (person.user_id, channel)
            for person in self.people
            if person.cohort_id == meeting.cohort_id and not person.withdrawn
            for channel, reachable in (
                ("email", person.email and person.email_on),
                ("sms", person.phone and person.sms_on),
            )
            if reachable
        }
        return [
            f"meeting {meeting.id} cancelled: no {channel} notice for user {user_id}"
            for user_id, channel in sorted(expected - queued)
        ]

    def enrol_late(self, which: int, language: str, contact: int, phone_style: int) -> None:
        self.dose_changed = True
        cohort = self.fresh().get(Cohort, _pick(sorted(self.cohort_sites), which))
        site = self.cohort_sites[cohort.id]
        self.serial += 1
        n = self.serial
        local = f"{AREA_CODES[site]}55502{n % 100:02d}"  # 555-01xx are the first people's
        styles = (f"{local[:3]}-{local[3:6]}-{local[6:]}", f"({local[:3]}) {local[3:6]}-{local[6:]}",
                  f"+1 {local[:3]} {local[3:6]} {local[6:]}", local)  # fmt: skip
        email = f"late{n}@sim.example.org" if contact % 3 != 2 else None
        phone = _pick(list(styles), phone_style) if contact % 3 != 1 else None
        data = {"study_id": f"SIM-{n}", "name": f"Lee{n} Late", "email": email or "",
                "phone": phone or "", "language": language, "arm": cohort.arm,
                "cohort_id": str(cohort.id)}  # fmt: skip
        participant_id = enrol(self.app, self.staff.coordinator, data)
        finished = max(m.starts_at for m in cohort.meetings) < self.clock()
        if participant_id is None:
            # Only a finished cohort may ask for confirmation; anyone else valid is enrolled.
            self.check("enrolment", [f"enrolling {data} was refused"] * (not finished))
            return
        self._staff_did(self.staff.coordinator_id, "participant", participant_id, "enrol")
        participant = self.fresh().get(Participant, participant_id)
        person = Person(participant_id, participant.user_id, participant.study_id, cohort.id, site,
                        email, phone, [(self.clock(), language)])  # fmt: skip
        self.people.append(person)
        person.client = self._accept_invite(person)

    def _accept_invite(self, person: Person):
        """The coordinator sends the invite (by email, else by text); the person follows the link
        the wire carried, chooses a password and logs in with their email or their phone as they
        typed it at enrolment. Their logged-in client, or None when a step failed (checked)."""
        response = self.staff.coordinator.post(
            f"/admin/participants/{person.participant_id}/invite"
        )
        if self.answered(response) != 302:
            self.check("invite", [f"the invite for {person.study_id} was refused"])
            return None
        response.close()  # delivered: the queued invite is tried now, as after a real response
        self._staff_did(self.staff.coordinator_id, "user", person.user_id, "invite")
        wanted = ("email", person.email.lower()) if person.email else ("sms", person.e164)
        links = [
            match.group(1)
            for message in self.wire.delivered
            if (message.channel, message.to.lower()) == wanted
            for match in [
                re.search(r"https?://[^/\s]+(/(?:invite|i)/[A-Za-z0-9_-]+)", message.text)
            ]
            if match
        ]
        if not links:
            self.check("invite", [f"no invite reached {person.study_id} by {wanted[0]}"])
            return None
        client = self.app.test_client()
        data = {"password": PASSWORD, "confirm": PASSWORD}
        if self.answered(client.post(links[-1], data=data)) != 302:
            self.check("invite", [f"{person.study_id} could not use their invite link"])
            return None
        return login(self.app, person.email or person.phone)

    def _enrolment_change(self, who: int, path: str, field: str, withdrawn: bool) -> None:
        self.dose_changed = True
        person = _pick(self.people, who)
        data = {f"{field}-reason": "Asked by phone."}
        url = f"/admin/participants/{person.participant_id}/{path}"
        if self.answered(self.staff.coordinator.post(url, data=data)) == 302:
            person.withdrawn = withdrawn
            self._staff_did(self.staff.coordinator_id, "participant", person.participant_id, path)

    def withdraw(self, who: int) -> None:
        self._enrolment_change(who, "withdraw", "withdraw", True)

    def bring_back(self, who: int) -> None:
        self._enrolment_change(who, "return", "return", False)

    # -- participants ----------------------------------------------------------------------
    def _participant(self, who: int) -> Person | None:
        return _pick([p for p in self.people if p.client is not None], who)

    def log_practice(self, who: int, days_ago: int, minutes: int) -> None:
        self.dose_changed = True
        person = self._participant(who)
        page = person.client.get("/practice")
        if self.answered(page) != 200:
            return
        select_box = re.search(
            r'name="practice_type".*?</select>', page.get_data(as_text=True), re.S
        )
        types = re.findall(r'<option value="([^"]+)"', select_box.group(0)) if select_box else []
        zone = ZoneInfo(SITES[person.site])
        day = (self.clock().astimezone(zone).date() - timedelta(days=days_ago)).isoformat()
        data = {"practiced_on": day, "practice_type": types[0] if types else "x",
                "minutes": str(minutes), "guided": "self"}  # fmt: skip
        self.answered(person.client.post("/practice", data=data))

    def mark_week(self, who: int, week: int, done: bool) -> None:
        self.dose_changed = True
        person = self._participant(who)
        data = {"done": "1" if done else "0"}
        self.answered(person.client.post(f"/weeks/{week}/done", data=data))

    def answer_questionnaire(self, who: int, which: int, value: int) -> None:
        """Answers one of the questionnaires open to them (every question), and sends it."""
        person = self._participant(who)
        page = person.client.get("/questionnaires")
        if self.answered(page) != 200:
            return
        found = re.findall(
            r'href="/questionnaires/([a-z0-9_]+)/((?:week|month)-\d+|enrolment)"',
            page.get_data(as_text=True),
        )
        if not found:
            return
        key, occasion = _pick(found, which)
        items = self.app.extensions["p4p.program"].instruments[key].items
        for number in range(1, len(items) + 1):
            url = f"/questionnaires/{key}/{occasion}/{number}"
            self.answered(person.client.post(url, data={"answer": str(value)}))
        self.answered(person.client.post(f"/questionnaires/{key}/{occasion}/review"))

    def set_reminders(self, who: int, language: str, email: bool, sms: bool) -> None:
        person = self._participant(who)
        kinds = ["meeting-eve", "meeting-soon", "week-open", "practice", "survey", "questionnaire"]
        data = {"language": language, "kinds_on": kinds, "quiet_start": "", "quiet_end": ""}
        data.update({"email_on": "y"} if email else {})
        data.update({"sms_on": "y"} if sms else {})
        if self.answered(person.client.post("/preferences", data=data)) == 302:
            person.languages.append((self.clock(), language))
            person.email_on, person.sms_on = email, sms

    def text_back(self, who: int, word: str) -> None:
        person = _pick([p for p in self.people if p.phone], who)
        data = {"From": person.e164, "Body": word, "To": "+15550009999"}
        response = post_sms_reply(self.world.app.test_client(), self.world.app, data)
        self.answered(response, 200)
        person.sms_on = word.upper() == "START"

    # -- the invariants' checks --------------------------------------------------------------
    def marks_problems(self) -> list[str]:
        return checks.marks_only_for_meetings_that_happened(self.fresh(), self.clock())

    def message_problems(self) -> list[str]:
        staff = {"coordinator@sim.example.org": "en"}
        staff.update({f"facilitator.{s.lower()}@sim.example.org": "en" for s in AREA_CODES})
        return self.deliveries.problems(self.fresh(), self.wire, self.people, staff,
                                        self.app.config)  # fmt: skip

    def dose_problems(self) -> list[str]:
        """Only after a step that could change marks, weeks done or what counts (time): the
        rule is a function of those, and it held at the last check."""
        if not self.dose_changed:
            return []
        self.dose_changed = False
        readers = [p for p in self.people if p.client is not None]
        self.progress_turn += 1
        reader = _pick(readers, self.progress_turn)  # one progress page per check, in turn
        return checks.dose_rows_agree(self.fresh(), self.staff.coordinator, [reader],
                                      self.app.extensions["p4p.program"], self.clock())  # fmt: skip

    def planning_problems(self) -> list[str]:
        """Only after a tick: what the tick's planning left is what a full plan would leave."""
        moment, self.ticked_at = self.ticked_at, None
        if moment is None:
            return []
        return checks.planned_as_a_full_plan_would(self.app, moment)

    def audit_problems(self) -> list[str]:
        return checks.staff_changes_audited(self.fresh(), self.actions)
