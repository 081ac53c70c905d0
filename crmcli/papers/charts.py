"""Charts for the printed papers: numbers in, one self-contained SVG element out.

Ours rather than a charting library: the papers need four plain bar charts, and the libraries
that draw them either pull in a large stack (matplotlib) or write SVG that leans on script and
external style (pygal). ElementTree builds the markup, so every label is escaped; no script,
no external font (text uses the page's font), colours as attributes so print keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree as ET

NS = "http://www.w3.org/2000/svg"
INK = "#222"
MUTED = "#777"
BAR = "#3b6ea5"
ALERT = "#c0392b"
GOOD = "#2e8b57"
FONT = 12  # px, at the chart's own scale


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    part: float = 0.0  # drawn over the bar from its start (e.g. those that missed a deadline)


@dataclass(frozen=True)
class Gauge:
    label: str
    value: float | None  # a percentage, None when there was nothing to count
    target: float


def text_width(text: str) -> float:
    """Roughly how wide a label is drawn, in px: CJK characters count double."""
    from crmcli.render import display_width

    return display_width(text) * FONT * 0.58


def _svg(width: float, height: float, title: str) -> ET.Element:
    root = ET.Element("svg", {"xmlns": NS, "viewBox": f"0 0 {width:g} {height:g}",
                              "width": "100%", "role": "img", "class": "chart",
                              "font-size": str(FONT)})
    ET.SubElement(root, "title").text = title
    return root


def _text(parent: ET.Element, x: float, y: float, text: str, anchor: str = "start",
          fill: str = INK, role: str = "") -> None:
    attributes = {"x": f"{x:g}", "y": f"{y:g}", "text-anchor": anchor, "fill": fill}
    if role:
        attributes["class"] = role
    ET.SubElement(parent, "text", attributes).text = text


def _rect(parent: ET.Element, x: float, y: float, width: float, height: float, fill: str,
          role: str) -> None:
    ET.SubElement(parent, "rect", {"x": f"{x:g}", "y": f"{y:g}", "width": f"{max(width, 0):g}",
                                   "height": f"{height:g}", "fill": fill, "class": role})


def _number(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


def _done(root: ET.Element) -> str:
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)


def columns(title: str, bars: list[Bar], *, width: float = 640, height: float = 200) -> str:
    """Vertical bars, one per label (complaints opened per week), the count above each."""
    root = _svg(width, height, title)
    top = max((bar.value for bar in bars), default=0)
    plot_top, plot_bottom, left = 18.0, height - 22.0, 8.0
    slot = (width - 2 * left) / max(len(bars), 1)
    ET.SubElement(root, "line", {"x1": f"{left:g}", "x2": f"{width - left:g}",
                                 "y1": f"{plot_bottom:g}", "y2": f"{plot_bottom:g}",
                                 "stroke": MUTED})
    for index, bar in enumerate(bars):
        size = (plot_bottom - plot_top) * bar.value / top if top else 0
        x = left + index * slot + slot * 0.2
        _rect(root, x, plot_bottom - size, slot * 0.6, size, BAR, "bar")
        _text(root, x + slot * 0.3, plot_bottom - size - 4, _number(bar.value), "middle",
              role="value")
        _text(root, x + slot * 0.3, height - 6, bar.label, "middle", MUTED, "label")
    return _done(root)


def bars(title: str, bars: list[Bar], *, part_words: str, width: float = 640) -> str:
    """Horizontal bars, one per label, with the ``part`` of each drawn in red and said in words
    (complaints by category, with the share that missed a deadline)."""
    row = 22.0
    height = row * max(len(bars), 1) + 8
    root = _svg(width, height, title)
    label_width = min(max((text_width(bar.label) for bar in bars), default=0) + 8, width / 3)
    note_width = max((text_width(_bar_note(bar, part_words)) for bar in bars), default=0) + 8
    plot = max(width - label_width - note_width, 40)
    top = max((bar.value for bar in bars), default=0)
    for index, bar in enumerate(bars):
        y = 4 + index * row
        size = plot * bar.value / top if top else 0
        _text(root, label_width - 6, y + 14, bar.label, "end", role="label")
        _rect(root, label_width, y + 3, size, row - 8, BAR, "bar")
        if bar.part:
            _rect(root, label_width, y + 3, size * bar.part / bar.value if bar.value else 0,
                  row - 8, ALERT, "part")
        _text(root, label_width + size + 6, y + 14, _bar_note(bar, part_words), role="value")
    return _done(root)


def _bar_note(bar: Bar, part_words: str) -> str:
    if not bar.part:
        return _number(bar.value)
    share = 100 * bar.part / bar.value if bar.value else 0
    return f"{_number(bar.value)} ({_number(bar.part)} {part_words}, {share:.0f} %)"


def gauges(title: str, gauges: list[Gauge], *, target_word: str, no_data: str,
           width: float = 640) -> str:
    """One bar per rate on a 0–100 % scale, a mark at its target; a rate under its target is
    red, at or over it green."""
    row = 26.0
    height = row * max(len(gauges), 1) + 8
    root = _svg(width, height, title)
    label_width = min(max((text_width(g.label) for g in gauges), default=0) + 8, width / 3)
    note_width = text_width(f"100.0 % ({target_word} 100 %)") + 8
    plot = max(width - label_width - note_width, 40)
    for index, gauge in enumerate(gauges):
        y = 4 + index * row
        _text(root, label_width - 6, y + 15, gauge.label, "end", role="label")
        _rect(root, label_width, y + 4, plot, row - 10, "#eee", "track")
        if gauge.value is None:
            _text(root, label_width + 6, y + 15, no_data, fill=MUTED, role="value")
            continue
        colour = GOOD if gauge.value >= gauge.target else ALERT
        _rect(root, label_width, y + 4, plot * min(gauge.value, 100) / 100, row - 10, colour,
              "bar")
        mark = label_width + plot * min(gauge.target, 100) / 100
        ET.SubElement(root, "line", {"x1": f"{mark:g}", "x2": f"{mark:g}", "y1": f"{y + 1:g}",
                                     "y2": f"{y + row - 3:g}", "stroke": INK,
                                     "stroke-width": "2", "class": "target"})
        _text(root, label_width + plot + 6, y + 15,
              f"{_number(gauge.value)} % ({target_word} {_number(gauge.target)} %)",
              role="value")
    return _done(root)
