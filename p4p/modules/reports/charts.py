"""The reports' charts, drawn on the server from p4p.charts geometry: one per program, side by
side, on the same scale so the two programs compare at a glance."""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _

from p4p.charts import Chart, bar_chart
from p4p.modules.reports.figures import ArmFigures, SummaryReport
from p4p.modules.reports.grid import CohortGrid


@dataclass(frozen=True)
class ArmChart:
    arm: ArmFigures
    chart: Chart


def _week(number: int) -> str:
    return _("Wk %(n)d", n=number)


def _per_arm(report: SummaryReport, draw: Callable[[ArmFigures], Chart]) -> list[ArmChart]:
    return [ArmChart(arm, draw(arm)) for arm in report.arms]


def attendance_charts(report: SummaryReport) -> list[ArmChart]:
    """Each week's attendance rate, on a 0-100 scale."""
    return _per_arm(
        report,
        lambda arm: bar_chart(
            _("Attendance by week: %(arm)s", arm=arm.label),
            _("Attended, percent of those marked"),
            [(_week(w.week), w.rate) for w in arm.by_week.values()],
            floor=100,
        ),
    )


def dose_charts(report: SummaryReport) -> list[ArmChart]:
    """People per dose, both programs on the scale of the larger count."""
    top = max((n for arm in report.arms for _dose, n in arm.dose_distribution), default=0)
    return _per_arm(
        report,
        lambda arm: bar_chart(
            _("Dose distribution: %(arm)s", arm=arm.label),
            _("participants"),
            [(str(dose), n) for dose, n in arm.dose_distribution],
            floor=max(top, 1),
            category=_("Dose (meetings)"),
        ),
    )


def practice_charts(report: SummaryReport) -> list[ArmChart]:
    """Practice minutes per participant in each program week, on one shared scale."""
    weeks = [w for arm in report.arms for w in arm.by_week.values()]
    top = max((w.minutes_per_participant or 0 for w in weeks), default=0)
    return _per_arm(
        report,
        lambda arm: bar_chart(
            _("Practice minutes by week: %(arm)s", arm=arm.label),
            _("minutes per participant"),
            [(_week(w.week), w.minutes_per_participant) for w in arm.by_week.values()],
            floor=max(top, 30),
        ),
    )


def cohort_chart(grid: CohortGrid) -> Chart:
    """A cohort's attendance rate by week."""
    return bar_chart(
        _("Attendance by week"),
        _("Attended, percent of those marked"),
        [(_week(column.week), column.rate) for column in grid.columns],
        floor=100,
    )
