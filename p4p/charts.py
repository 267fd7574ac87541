"""Chart geometry for server-rendered SVG (no JavaScript, no CDN); templates draw it.

Each chart also keeps its numbers, so the page can show them as a table for
screen readers and for anyone who prefers numbers.
"""

from dataclasses import dataclass

WIDTH, HEIGHT = 320, 180
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 12, 28


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: no data, no bar drawn
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    x: float
    y: float | None


@dataclass(frozen=True)
class Chart:
    kind: str  # "bar" or "line"
    title: str
    unit: str
    maximum: float
    ticks: list[tuple[float, float]]  # (value, y)
    bars: list[Bar]
    points: list[Point]
    target: tuple[float, float] | None = None  # (value, y) of a reference line
    category: str | None = None  # what the labels are, for the numbers table (default: week)
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def baseline(self) -> float:
        return HEIGHT - BOTTOM

    @property
    def line_path(self) -> str:
        drawn = [p for p in self.points if p.y is not None]
        return " ".join(f"{'M' if i == 0 else 'L'}{p.x:.1f},{p.y:.1f}" for i, p in enumerate(drawn))


def _nice_maximum(values, floor: float) -> float:
    top = max([floor, *[v for v in values if v is not None]])
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if top <= step * 4:
            return float(step * ((top + step - 1) // step) if top % step else top)
    return float(top)


def _scale(value: float, maximum: float) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return HEIGHT - BOTTOM - (value / maximum) * plot if maximum else HEIGHT - BOTTOM


def _ticks(maximum: float, intervals: int = 4) -> list[tuple[float, float]]:
    return [
        (maximum * i / intervals, _scale(maximum * i / intervals, maximum))
        for i in range(intervals + 1)
    ]


def bar_chart(
    title: str,
    unit: str,
    data: list[tuple[str, float | None]],
    *,
    floor: float = 1,
    target: float | None = None,
    category: str | None = None,
) -> Chart:
    maximum = _nice_maximum([v for _, v in data] + ([target] if target else []), floor)
    slot = (WIDTH - LEFT - RIGHT) / max(len(data), 1)
    bars = []
    for index, (label, value) in enumerate(data):
        y = _scale(value or 0, maximum)  # None (no data) draws no bar; the table shows a dash
        bars.append(
            Bar(label, value, LEFT + index * slot + slot * 0.15, y, slot * 0.7, HEIGHT - BOTTOM - y)
        )
    target_line = (target, _scale(target, maximum)) if target else None
    return Chart("bar", title, unit, maximum, _ticks(maximum), bars, [], target_line, category)


def line_chart(
    title: str, unit: str, data: list[tuple[str, float | None]], *, maximum: float
) -> Chart:
    slot = (WIDTH - LEFT - RIGHT) / max(len(data), 1)
    points = [
        Point(
            label,
            value,
            LEFT + index * slot + slot / 2,
            None if value is None else _scale(value, maximum),
        )
        for index, (label, value) in enumerate(data)
    ]
    # Five intervals: a 0-10 scale then reads 0, 2, 4, 6, 8, 10.
    return Chart("line", title, unit, maximum, _ticks(maximum, 5), [], points)
