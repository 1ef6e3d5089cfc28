"""Horizontal bar charts drawn as SVG on the server: no JavaScript, no chart library.

The markup is built with ElementTree, so every label and title is escaped by the
serialiser (a topic called ``<script>`` stays text). Each chart is an image to
assistive technology (``role="img"`` with ``<title>`` and ``<desc>``); the page
also renders ``Chart.bars`` as a visually hidden table with the exact numbers.
A viewBox, not fixed pixels, lets CSS scale the chart to its container.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cached_property

from django.utils.safestring import SafeString, mark_safe

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH = 640
LABEL_WIDTH = 230  # right-aligned labels end here
BAR_X = LABEL_WIDTH + 10
BAR_WIDTH = 310  # the longest bar; the value is written after it
ROW_HEIGHT = 26
BAR_HEIGHT = 16
PADDING = 8
LABEL_CHARS = 34
# Colours also in dashboard.css; kept here so the SVG reads well on its own.
BAR_FILL = "#2f6fa8"
TRACK_FILL = "#dbe4ee"
# XML 1.0 forbids these; a stray one in a name would make the SVG unparsable.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    # Drawn as a lighter track behind the bar: "value out of total" (e.g. discussed of listed).
    total: int | None = None
    detail: str = ""  # an extra column in the data table (e.g. the reading list)


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    description: str
    label_heading: str  # column headings of the data table
    value_label: str
    total_label: str = ""
    detail_label: str = ""
    bars: list[Bar] = field(default_factory=list)
    # What the bars leave out, e.g. "and 197 more topics": drawn as a last line.
    more: str = ""

    @cached_property
    def svg(self) -> SafeString:
        """Drawn once per chart, however often the template asks."""
        return mark_safe(render_svg(self))  # ElementTree escaped every string


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def _width(value: int, scale_max: int) -> str:
    return f"{BAR_WIDTH * value / scale_max:.2f}" if scale_max else "0"


def height(chart: Chart) -> int:
    return PADDING * 2 + ROW_HEIGHT * (max(len(chart.bars), 1) + (1 if chart.more else 0))


def render_svg(chart: Chart) -> str:
    scale_max = max([max(bar.value, bar.total or 0) for bar in chart.bars] or [0])
    title_id, desc_id = f"{chart.chart_id}-title", f"{chart.chart_id}-desc"
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "class": "chart",
            "id": chart.chart_id,
            "viewBox": f"0 0 {WIDTH} {height(chart)}",
            "role": "img",
            "aria-labelledby": f"{title_id} {desc_id}",
            "preserveAspectRatio": "xMinYMin meet",
        },
    )
    ET.SubElement(svg, "title", {"id": title_id}).text = _clean(chart.title)
    ET.SubElement(svg, "desc", {"id": desc_id}).text = _clean(chart.description)
    for index, bar in enumerate(chart.bars):
        top = PADDING + index * ROW_HEIGHT
        middle = f"{top + ROW_HEIGHT / 2:.1f}"
        bar_top = f"{top + (ROW_HEIGHT - BAR_HEIGHT) / 2:.1f}"
        row = ET.SubElement(svg, "g", {"class": "chart-row"})
        label = _clean(bar.label)
        text = ET.SubElement(
            row,
            "text",
            {
                "class": "chart-label",
                "x": str(LABEL_WIDTH),
                "y": middle,
                "text-anchor": "end",
                "dominant-baseline": "middle",
            },
        )
        text.text = _short(label)
        if text.text != label:
            ET.SubElement(text, "title").text = label  # the full name on hover
        if bar.total is not None:
            ET.SubElement(
                row,
                "rect",
                {
                    "class": "chart-track",
                    "x": str(BAR_X),
                    "y": bar_top,
                    "width": _width(bar.total, scale_max),
                    "height": str(BAR_HEIGHT),
                    "rx": "3",
                    "fill": TRACK_FILL,
                    "data-total": str(bar.total),
                },
            )
        ET.SubElement(
            row,
            "rect",
            {
                "class": "chart-bar",
                "x": str(BAR_X),
                "y": bar_top,
                "width": _width(bar.value, scale_max),
                "height": str(BAR_HEIGHT),
                "rx": "3",
                "fill": BAR_FILL,
                "data-value": str(bar.value),
            },
        )
        end = BAR_X + float(_width(max(bar.value, bar.total or 0), scale_max)) + 6
        ET.SubElement(
            row,
            "text",
            {"class": "chart-value", "x": f"{end:.2f}", "y": middle, "dominant-baseline": "middle"},
        ).text = f"{bar.value} of {bar.total}" if bar.total is not None else str(bar.value)
    if chart.more:
        top = PADDING + len(chart.bars) * ROW_HEIGHT
        ET.SubElement(
            svg,
            "text",
            {
                "class": "chart-more",
                "x": str(BAR_X),
                "y": f"{top + ROW_HEIGHT / 2:.1f}",
                "dominant-baseline": "middle",
            },
        ).text = _clean(chart.more)
    return ET.tostring(svg, encoding="unicode")
