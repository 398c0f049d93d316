"""The start page's chart geometry (supervision.home.charts): pure functions of the rates."""

from supervision.home import charts


def test_bars_scale_to_the_plot_and_skip_missing_values():
    chart = charts.bar_chart(
        [("甲", 1.0, "100%", None), ("乙", 0.5, "50%", "/x"), ("丙", None, "—", None)]
    )
    plot = charts.WIDTH - charts.LABEL_WIDTH - charts.VALUE_WIDTH
    assert [b.width for b in chart.bars] == [plot, plot / 2, 0.0]
    assert [b.tone for b in chart.bars] == ["good", "poor", "none"]
    assert chart.bars[1].y == charts.ROW_HEIGHT + (charts.ROW_HEIGHT - charts.BAR_HEIGHT) / 2
    assert chart.height == 3 * charts.ROW_HEIGHT


def test_bars_of_counts_use_their_maximum_and_given_tones():
    chart = charts.bar_chart(
        [("a", 3, "3", None), ("b", 9, "9", None)], maximum=6, tones=["x", "y"]
    )
    assert chart.bars[1].width == chart.plot_width  # clamped at the maximum
    assert [b.tone for b in chart.bars] == ["x", "y"]
    assert charts.bar_chart([]).height == charts.ROW_HEIGHT  # an empty chart keeps a row


def test_the_line_leaves_a_gap_where_nothing_was_required():
    line = charts.line_chart([("Q1", 0.0), ("Q2", None), ("Q3", 0.5), ("Q4", 1.0)])
    assert [p.y is None for p in line.points] == [False, True, False, False]
    assert len(line.segments) == 2
    low, high = line.points[0].y, line.points[3].y
    assert low > line.points[2].y > high  # SVG y grows downwards
    assert [text for _y, text in line.grid] == ["0%", "50%", "100%"]
    assert charts.percent(None) == "—" and charts.percent(0.3333) == "33.3%"
