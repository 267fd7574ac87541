"""The reports' charts, drawn on the server from p4p.charts geometry: one per arm, side by
side, on the same scale so the two programs compare at a glance."""

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


def attendance_charts(report: SummaryReport) -> list[ArmChart]:
    return [
        ArmChart(
            arm,
            bar_chart(
                _("Attendance by week: %(arm)s", arm=arm.label),
                _("% of marks attended"),
                [(_week(w.week), w.rate) for w in arm.by_week.values()],
                floor=100,
            ),
        )
        for arm in report.arms
    ]


def dose_charts(report: SummaryReport) -> list[ArmChart]:
    top = max((n for arm in report.arms for _dose, n in arm.dose_distribution), default=0)
    return [
        ArmChart(
            arm,
            bar_chart(
                _("Dose distribution: %(arm)s", arm=arm.label),
                _("participants"),
                [(str(dose), n) for dose, n in arm.dose_distribution],
                floor=max(top, 1),
                category=_("Dose (meetings)"),
            ),
        )
        for arm in report.arms
    ]


def practice_charts(report: SummaryReport) -> list[ArmChart]:
    top = max(
        (w.minutes_per_participant or 0 for arm in report.arms for w in arm.by_week.values()),
        default=0,
    )
    return [
        ArmChart(
            arm,
            bar_chart(
                _("Practice minutes by week: %(arm)s", arm=arm.label),
                _("minutes per participant"),
                [(_week(w.week), w.minutes_per_participant) for w in arm.by_week.values()],
                floor=max(top, 30),
            ),
        )
        for arm in report.arms
    ]


def cohort_chart(grid: CohortGrid) -> Chart:
    return bar_chart(
        _("Attendance by week"),
        _("% of marks attended"),
        [(_week(column.week), column.rate) for column in grid.columns],
        floor=100,
    )
