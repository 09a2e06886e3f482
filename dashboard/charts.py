"""Charts drawn by the server as SVG: nothing to download, readable without JavaScript.
The markup is built here rather than in a template loop: a year by day is a thousand bars."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 600
HEIGHT = 200


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


def _nice_ceiling(value: int) -> int:
    """1, 2, 5 × a power of ten, at least ``value`` (the chart's top line)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def day_bars(
    days: list[tuple[datetime.date, dict[str, int]]],
    series: list[tuple[str, str, str]],
    value_text: Callable[[int], str] = str,
) -> dict:
    """Bars side by side for each day: ``series`` is (figure, CSS class, label); each bar's
    title shows its value through ``value_text`` (e.g. as đồng). Returns the bars, the top
    value and the SVG size, for the template."""
    top = _nice_ceiling(max((values.get(name, 0) for _day, values in days for name, _css, _label in series), default=0))
    slot = WIDTH / max(1, len(days))
    bar_width = slot * 0.8 / len(series)
    bars = []
    for index, (day, values) in enumerate(days):
        for position, (name, css, label) in enumerate(series):
            value = values.get(name, 0)
            height = HEIGHT * value / top
            bars.append(
                Bar(
                    x=round(index * slot + slot * 0.1 + position * bar_width, 2),
                    y=round(HEIGHT - height, 2),
                    width=round(max(bar_width - 0.5, 0.5), 2),
                    height=round(height, 2),
                    css=css,
                    title=f"{day:%d/%m}: {label} {value_text(value)}",
                )
            )
    return {"bars": bars, "top": top, "width": WIDTH, "height": HEIGHT, "svg": bars_svg(bars)}


def bars_svg(bars: list[Bar]) -> SafeString:
    """The bars as SVG markup: numbers, CSS classes of ours, and escaped titles."""
    return mark_safe(
        "".join(
            f'<rect x="{bar.x}" y="{bar.y}" width="{bar.width}" height="{bar.height}" class="{bar.css}">'
            f"<title>{escape(bar.title)}</title></rect>"
            for bar in bars
        )
    )


def share_bars(items: list[tuple[str, int]]) -> list[dict]:
    """Horizontal bars (percent of the largest) for counts by name, e.g. members per tier."""
    largest = max((count for _name, count in items), default=0) or 1
    total = sum(count for _name, count in items) or 1
    return [
        {"name": name, "count": count, "width": round(count * 100 / largest, 1), "share": round(count * 100 / total)}
        for name, count in items
    ]
