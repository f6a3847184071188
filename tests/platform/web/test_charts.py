from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from civicdata.web.charts import Bar, bar_chart

NS = {"s": "http://www.w3.org/2000/svg"}


def test_chart_is_valid_accessible_svg_with_error_bars() -> None:
    svg = bar_chart(
        "Trips by mode", [Bar("bus", 100.0, 10.0), Bar("tram <&>", 50.0, 5.0), Bar("ferry", -3.0)]
    )
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.find("s:title", NS).text == "Trips by mode"
    bars = root.findall(".//s:rect", NS)
    assert len(bars) == 3
    widths = [float(b.get("width")) for b in bars]
    assert (
        widths[0] == pytest.approx(2 * widths[1], abs=0.11) and widths[2] == 0.0
    )  # proportional; negatives drawn as zero
    assert len(root.findall(".//s:path[@class='error-bar']", NS)) == 2
    labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert "tram <&>: 50 ± 5" in labels  # escaped in the markup, intact for readers


def test_limit_marks_are_drawn() -> None:
    root = ET.fromstring(bar_chart("Budget", [Bar("transport", 1.5, limit=3.0)]))
    assert len(root.findall(".//s:path[@class='limit']", NS)) == 1


def test_two_charts_on_one_page_keep_distinct_accessible_names() -> None:
    first = ET.fromstring(bar_chart("Spent by department", [Bar("a", 1.0)]))
    second = ET.fromstring(bar_chart("Spent by dataset", [Bar("a", 1.0)]))
    assert first.get("aria-labelledby") != second.get("aria-labelledby")
    ids = {el.get("id") for root in (first, second) for el in root.iter() if el.get("id")}
    assert len(ids) == 4


def test_value_axis_has_ticks_and_its_label_and_groups_are_named() -> None:
    svg = bar_chart("Trips", [Bar("bus", 100.0, 10.0)], axis="Trips (records)", groups="mode")
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Trips (records)" in texts and "mode" in texts
    assert {"0", "55", "110"} <= set(texts)  # ticks at 0, half and the top (value + error)
    assert root.find(".//s:path[@class='axis']", NS) is not None
