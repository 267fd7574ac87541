"""The reports' charts, drawn on the server from p4p.charts geometry: one per program, side by
side, on the same scale so the two programs compare at a glance."""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _

from p4p.charts import Chart, bar_chart
from p4p.modules.instruments.service import in_language
from p4p.modules.reports.figures import ArmFigures, SummaryReport
from p4p.modules.reports.grid import CohortGrid
from p4p.modules.reports.outcomes import ArmOutcomes, InstrumentOutcomes


@dataclass(frozen=True)
class ArmChart:
    arm: ArmFigures | ArmOutcomes  # .key and .label: the program the chart is of
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


def occasion_short_label(occasion: str) -> str:
    """A time point under a bar: "Wk 3", "Mo 2", "Start"."""
    kind, _dash, number = occasion.partition("-")
    if kind == "week":
        return _week(int(number))
    if kind == "month":
        return _("Mo %(n)d", n=int(number))
    return _("Start")


@dataclass(frozen=True)
class QuestionnaireCharts:
    outcomes: InstrumentOutcomes
    title: str
    completion: list[ArmChart]
    scores: list[tuple[str, list[ArmChart]]]  # (score name, one chart per arm)


def questionnaire_charts(
    outcomes: list[InstrumentOutcomes], language: str
) -> list[QuestionnaireCharts]:
    """Per instrument: completion by time point (0-100) and each score's mean by time point,
    one chart per program, each score on one scale for both programs."""
    drawn = []
    for instrument in outcomes:
        title = in_language(instrument.title, language)
        labels = [(o, occasion_short_label(o)) for o in instrument.occasions]
        completion = [
            ArmChart(
                arm,
                bar_chart(
                    _("Sent, percent of due: %(title)s, %(arm)s", title=title, arm=arm.label),
                    _("percent sent"),
                    [(label, arm.at(o).completion) for o, label in labels],
                    floor=100,
                    category=_("Time point"),
                ),
            )
            for arm in instrument.arms
        ]
        scores = []
        for score in instrument.scores:
            means = [arm.at(o).mean(score) for arm in instrument.arms for o, _l in labels]
            top = max((m for m in means if m is not None), default=0)
            charts = [
                ArmChart(
                    arm,
                    bar_chart(
                        _("%(score)s, mean: %(arm)s", score=score, arm=arm.label),
                        _("mean score"),
                        [(label, arm.at(o).mean(score)) for o, label in labels],
                        floor=max(top, 1),
                        category=_("Time point"),
                    ),
                )
                for arm in instrument.arms
            ]
            scores.append((score, charts))
        drawn.append(QuestionnaireCharts(instrument, title, completion, scores))
    return drawn
