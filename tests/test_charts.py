"""The papers' SVG charts: data in, SVG out, read back with an XML parser."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from crmcli.papers import charts

NS = {"svg": "http://www.w3.org/2000/svg"}


def _svg(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert not root.findall(".//svg:script", NS)
    assert not any(key.endswith("href") for el in root.iter() for key in el.attrib)
    return root


def _rects(root: ET.Element, role: str) -> list[ET.Element]:
    return [r for r in root.findall(".//svg:rect", NS) if r.get("class") == role]


def _texts(root: ET.Element, role: str) -> list[str]:
    return [t.text or "" for t in root.findall(".//svg:text", NS) if t.get("class") == role]


def test_columns_are_as_tall_as_their_counts() -> None:
    root = _svg(charts.columns("opened", [charts.Bar("11-02", 2), charts.Bar("11-09", 4),
                                          charts.Bar("11-16", 0)]))
    heights = [float(r.get("height", "0")) for r in _rects(root, "bar")]
    assert heights[1] == pytest.approx(2 * heights[0]) and heights[2] == 0
    assert _texts(root, "value") == ["2", "4", "0"]
    assert _texts(root, "label") == ["11-02", "11-09", "11-16"]
    assert root.findtext("svg:title", namespaces=NS) == "opened"


def test_labels_are_text_whatever_they_contain() -> None:
    label = '<script>alert("x")</script> & 漏水'
    text = charts.bars("by <category>", [charts.Bar(label, 3, 1)], part_words="missed")
    assert "<script>" not in text
    root = _svg(text)
    assert _texts(root, "label") == [label]
    assert root.findtext("svg:title", namespaces=NS) == "by <category>"


def test_the_missed_part_is_its_share_of_the_bar() -> None:
    root = _svg(charts.bars("c", [charts.Bar("清潔", 5, 3), charts.Bar("網絡", 10, 0)],
                            part_words="missed"))
    bars = [float(r.get("width", "0")) for r in _rects(root, "bar")]
    parts = [float(r.get("width", "0")) for r in _rects(root, "part")]
    assert bars[1] == pytest.approx(2 * bars[0])
    assert parts == [pytest.approx(bars[0] * 3 / 5)]  # no red part for a bar with none missed
    assert _texts(root, "value") == ["5 (3 missed, 60 %)", "10"]


@pytest.mark.parametrize(("value", "target", "colour"), [
    (99.9, 100, charts.ALERT), (100.0, 100, charts.GOOD), (90.0, 90, charts.GOOD),
    (89.9, 90, charts.ALERT)])
def test_a_rate_is_green_at_its_target_and_red_under_it(value: float, target: float,
                                                       colour: str) -> None:
    root = _svg(charts.gauges("g", [charts.Gauge("回訪率", value, target)], target_word="target",
                              no_data="no data"))
    (bar,) = _rects(root, "bar")
    assert bar.get("fill") == colour
    (track,) = _rects(root, "track")
    assert float(bar.get("width", "0")) == pytest.approx(
        float(track.get("width", "0")) * value / 100)
    (mark,) = [line for line in root.findall(".//svg:line", NS) if line.get("class") == "target"]
    assert float(mark.get("x1", "0")) == pytest.approx(
        float(track.get("x", "0")) + float(track.get("width", "0")) * target / 100)


def test_a_rate_with_nothing_to_count_says_so() -> None:
    root = _svg(charts.gauges("g", [charts.Gauge("回訪率", None, 100)], target_word="target",
                              no_data="no data"))
    assert not _rects(root, "bar")
    assert _texts(root, "value") == ["no data"]


@pytest.mark.parametrize("draw", [
    lambda: charts.columns("t", []), lambda: charts.bars("t", [], part_words="x"),
    lambda: charts.gauges("t", [], target_word="t", no_data="n")])
def test_an_empty_chart_is_still_a_valid_svg(draw: object) -> None:
    _svg(draw())  # type: ignore[operator]
