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


def test_the_daily_chart_has_a_title_axes_units_and_a_panel_per_series() -> None:
    from datetime import date

    from civicdata.web.charts import Column, Series, daily_chart

    svg = daily_chart(
        "ε per day <grant>",
        date(2026, 3, 1),
        date(2026, 3, 30),
        [
            Series(
                "transport-trips",
                [Column(date(2026, 3, 2), 0.5, "1 release"), Column(date(2026, 3, 9), 0.25)],
            ),
            Series(
                "libraries-loans", [Column(date(2026, 3, 30), 3.0), Column(date(2026, 2, 1), 9.0)]
            ),
        ],
        unit="ε",
        axis="ε charged per day",
    )
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("viewBox").split()[2] == "360"
    assert root.find("s:title", NS).text == "ε per day <grant>, 2026-03-01 to 2026-03-30"
    assert "2026-03-01 to 2026-03-30" in root.find("s:desc", NS).text
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "ε per day <grant>" in texts  # the visible title
    assert texts.count("ε/day") == 2  # each panel's vertical axis names its unit
    assert "2026-03-01 to 2026-03-30 · ε per UTC day" in texts  # the horizontal axis
    assert {"0", "0.25", "0.5"} <= set(texts) and {"2.5", "5"} <= set(texts)  # nice scales
    assert "1 Mar" in texts and sum(t.endswith(" Mar") for t in texts) <= 2 * 5
    assert all(float(t.get("font-size")) >= 12 for t in root.iter("{http://www.w3.org/2000/svg}text"))  # fmt: skip
    panels = root.findall("s:g[@class='panel']", NS)
    assert len(panels) == 2
    first, second = (p.findall(".//s:rect", NS) for p in panels)
    assert len(first) == 2 and len(second) == 1  # a day outside the period is not drawn
    heights = [float(r.get("height")) for r in first]
    assert heights[0] == 2 * heights[1]
    assert float(first[1].get("x")) > float(first[0].get("x"))
    hovers = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert "2026-03-02: ε 0.5 (1 release)" in hovers


def test_long_periods_are_labelled_by_month_and_nothing_to_draw_is_no_chart() -> None:
    from datetime import date

    from civicdata.web.charts import Column, Series, daily_chart, nice_ceiling

    svg = daily_chart(
        "Two years",
        date(2025, 1, 1),
        date(2026, 12, 31),
        [Series("g", [Column(date(2025, 6, 1), 1.0)])],
        unit="ε",
        axis="ε charged per day",
    )
    texts = [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    ticks = [t for t in texts if t and t[:3] in ("Jan", "Apr", "Jul", "Oct", "Dec", "May", "Jun", "Mar", "Feb", "Aug", "Sep", "Nov")]  # fmt: skip
    assert 2 <= len(ticks) <= 5 and all(t[-4:] in ("2025", "2026") for t in ticks)
    assert daily_chart("None", date(2025, 1, 1), date(2025, 1, 2), [], "ε", "ε") == ""
    assert nice_ceiling(1.0) == 1.0 and nice_ceiling(1.01) == 2.0 and nice_ceiling(0.003) == 0.005
