"""Server-rendered charts: geometry for accessible SVG bar charts (each shown with its data table)."""
from dataclasses import dataclass


@dataclass
class Segment:
    """One coloured part of a bar."""

    series: str
    label: str
    value: int
    x: float
    width: float


@dataclass
class Bar:
    """One row of a horizontal stacked bar chart."""

    label: str
    total: int
    y: float
    segments: list[Segment]


def stacked_bars(rows: list[tuple[str, dict[str, int]]], series: list[tuple[str, str]], *, width: float = 600,
                 bar_height: float = 22, gap: float = 10, label_width: float = 220) -> tuple[list[Bar], float]:
    """Bars scaled to the largest total; returns the bars and the chart's height."""
    largest = max((sum(values.get(k, 0) for k, _ in series) for _, values in rows), default=0) or 1
    scale = (width - label_width - 50) / largest
    bars = []
    for i, (label, values) in enumerate(rows):
        x, segments = label_width, []
        for key, name in series:
            value = values.get(key, 0)
            if value:
                segments.append(Segment(key, name, value, x, value * scale))
                x += value * scale
        bars.append(Bar(label, sum(values.get(k, 0) for k, _ in series), gap + i * (bar_height + gap), segments))
    return bars, gap + len(rows) * (bar_height + gap) + 20
