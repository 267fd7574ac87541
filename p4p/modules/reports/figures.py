"""The figures of the site, arm and study report (computed in summary.py), with what is
derived from them: means, medians, shares and rates."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from statistics import median


@dataclass
class WeekFigures:
    week: int
    attended: int = 0
    made_up: int = 0
    marked: int = 0
    practice_minutes: int = 0
    participants_open: int = 0  # people whose week has opened: the practice denominator

    @property
    def rate(self) -> float | None:
        return round(100 * self.attended / self.marked, 1) if self.marked else None

    @property
    def minutes_per_participant(self) -> float | None:
        if not self.participants_open:
            return None
        return round(self.practice_minutes / self.participants_open, 1)


@dataclass
class ArmFigures:
    key: str
    label: str
    weeks: tuple[int, ...]
    enrolled: int = 0
    withdrawn: int = 0
    meetings: Counter = field(default_factory=Counter)  # status -> meetings
    attended: Counter = field(default_factory=Counter)  # meetings attended -> people
    dose: Counter = field(default_factory=Counter)  # dose -> people
    completers: int = 0
    practice_minutes: int = 0
    participant_weeks: int = 0
    weeks_done: int = 0
    follow_ups: Counter = field(default_factory=Counter)  # reason -> people
    follow_up_people: int = 0
    by_week: dict[int, WeekFigures] = field(default_factory=dict)

    @property
    def active(self) -> int:
        return self.enrolled - self.withdrawn

    @property
    def mean_attended(self) -> float | None:
        total = sum(self.attended.values())
        return round(sum(k * n for k, n in self.attended.items()) / total, 1) if total else None

    @property
    def median_attended(self) -> float | None:
        values = [k for k, n in sorted(self.attended.items()) for _ in range(n)]
        return median(values) if values else None

    @property
    def dose_distribution(self) -> list[tuple[int, int]]:
        return [(dose, self.dose.get(dose, 0)) for dose in range(len(self.weeks) + 1)]

    @property
    def completer_share(self) -> float | None:
        return round(100 * self.completers / self.enrolled, 1) if self.enrolled else None

    @property
    def minutes_per_participant_week(self) -> float | None:
        if not self.participant_weeks:
            return None
        return round(self.practice_minutes / self.participant_weeks, 1)

    @property
    def mean_weeks_done(self) -> float | None:
        return round(self.weeks_done / self.enrolled, 1) if self.enrolled else None


@dataclass(frozen=True)
class CohortLine:
    id: int
    name: str
    site_id: int
    arm: str
    first_meeting: date | None
    enrolled: int
    withdrawn: int


@dataclass(frozen=True)
class SummaryReport:
    arms: list[ArmFigures]
    cohorts: list[CohortLine]
    min_dose: int

    def by_site(self) -> dict[int, tuple[int, int, int]]:
        """site id -> (cohorts, enrolled, withdrawn)."""
        sites: dict[int, tuple[int, int, int]] = {}
        for line in self.cohorts:
            cohorts, enrolled, withdrawn = sites.get(line.site_id, (0, 0, 0))
            sites[line.site_id] = (
                cohorts + 1,
                enrolled + line.enrolled,
                withdrawn + line.withdrawn,
            )
        return sites
