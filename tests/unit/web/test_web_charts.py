"""Server-rendered SVG charts: values readable by screen readers, text escaped."""

from __future__ import annotations

from corridor.web.charts import Bar, Gauge, horizontal_bars, log_gauges, stacked_bars


def test_stacked_bars_describe_every_non_empty_day_and_draw_one_rect_per_value():
    svg = str(
        stacked_bars(
            "Filings",
            [Bar("03-01", (("permit", 2), ("deny", 1))), Bar("03-02", (("permit", 0),))],
            {"permit": "Permitted", "deny": "Denied"},
        )
    )
    assert svg.startswith('<svg class="chart"')
    assert 'role="img"' in svg
    assert "<desc>03-01: Permitted 2, Denied 1</desc>" in svg
    assert svg.count("<rect") == 2


def test_labels_are_escaped():
    svg = str(horizontal_bars("Categories", [("<script>alert(1)</script>", 3)]))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_gauges_mark_each_threshold_on_a_log_scale():
    svg = str(
        log_gauges(
            "Counters",
            [
                Gauge(
                    "hospital-a", 120, (("security assessment", 100_000), ("certification", 10_000))
                )
            ],
            scale_note="logarithmic scale",
        )
    )
    assert svg.count('stroke="#b3261e"') == 2
    assert "hospital-a: 120 (security assessment 100,000, certification 10,000)" in svg
    assert ">100,000<" in svg
