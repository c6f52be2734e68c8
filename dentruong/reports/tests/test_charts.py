"""The SVG charts: small, escaped, a gap where there is no data."""

from __future__ import annotations

from dentruong.reports import charts


def test_line_breaks_on_missing_weeks_and_escapes() -> None:
    svg = charts.line([("a<b", 90.0), ("x", None), ("c", 95.0)], title="T&T")
    assert svg.startswith("<svg") and "a&lt;b" in svg and "T&amp;T" in svg
    path = svg.split('d="')[1].split('"')[0]
    assert path.count("M") == 2 and "L" not in path  # two points, no line across the gap
    assert "80%" in svg  # the axis starts under the lowest value
    assert len(svg) < 2000


def test_bars_stack_with_totals() -> None:
    svg = charts.bars([("05/10", [3, 1, 2])], title="t", legend=["A", "B", "C"])
    assert svg.count("<rect") == 6  # three segments and three legend keys
    assert ">6</text>" in svg
    assert charts.bars([], title="t").startswith("<svg")
