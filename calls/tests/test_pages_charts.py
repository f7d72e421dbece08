"""The SVG charts and the percentile aggregate behind the pages' latency figures."""

import re
import sqlite3
import xml.etree.ElementTree as ET

import pytest

from calls.models import TurnLatency
from calls.pages.charts import Chart, Series, nice_ceiling, number
from calls.pages.percentile import SQLITE_FUNCTION, Percentile, _SqlitePercentile, percentile_cont

from .page_records import make_call

SVG = "{http://www.w3.org/2000/svg}"


def parsed(chart):
    return ET.fromstring(str(chart.svg))


@pytest.mark.parametrize(
    ("top", "axis"), [(0, 1), (0.3, 0.5), (7, 10), (12, 20), (180, 200), (2100, 2500), (2500, 2500), (51, 100)]
)
def test_the_axis_ends_on_a_round_number_at_or_above_the_top(top, axis):
    assert nice_ceiling(top) == axis


def test_numbers_read_well():
    assert (number(1234.0, "ms"), number(12.25, "%"), number(3), number(None)) == ("1,234 ms", "12.2%", "3", "–")


def test_stacked_bars_reach_the_sum_and_lines_break_at_gaps():
    chart = Chart.draw(
        "Latency",
        ["a", "b", "c"],
        bars=[Series("x", [100, 200, None]), Series("y", [100, 300, 50])],
        lines=[Series("v2v", [250, None, 40])],
        unit="ms",
    )
    svg = parsed(chart)
    assert svg.get("role") == "img" and svg.find(f"{SVG}title").text == "Latency"
    assert len(svg.findall(f"{SVG}rect")) == 5  # six values, the missing one draws nothing
    assert svg.findall(f"{SVG}polyline") == []  # each run of the line is a single point
    assert len(svg.findall(f"{SVG}circle")) == 2
    axis_labels = [t.text for t in svg.findall(f"{SVG}text")]
    assert "500 ms" in axis_labels  # b stacks to 500
    heights = {r.find(f"{SVG}title").text: float(r.get("height")) for r in svg.findall(f"{SVG}rect")}
    assert heights["b: y 300 ms"] == pytest.approx(1.5 * heights["b: x 200 ms"], rel=0.01)


def test_side_by_side_bars_scale_to_the_tallest():
    chart = Chart.draw("T", ["d1"], bars=[Series("in", [4]), Series("out", [6])], stacked=False)
    assert "10" in [t.text for t in parsed(chart).findall(f"{SVG}text")]
    xs = [float(r.get("x")) for r in parsed(chart).findall(f"{SVG}rect")]
    assert xs[0] < xs[1]


def test_text_from_the_records_is_escaped():
    chart = Chart.draw("<b>Errors</b>", ["<day>"], bars=[Series("<script>alert(1)</script>", [1])])
    assert "<script>" not in chart.svg and "&lt;script&gt;" in chart.svg
    parsed(chart)  # still well-formed


def test_many_days_get_thinned_labels_but_every_value_is_in_the_table():
    labels = [f"Mar {d}" for d in range(1, 91)]
    chart = Chart.draw("90 days", labels, lines=[Series("p50", list(range(90)))])
    drawn = [t.text for t in parsed(chart).findall(f"{SVG}text") if t.text and t.text.startswith("Mar")]
    assert 6 <= len(drawn) <= 12
    assert len(chart.rows()) == 90 and chart.rows()[89] == ("Mar 90", [89])


def test_an_empty_chart_says_there_is_no_data():
    chart = Chart.draw("Nothing", ["a", "b"], bars=[Series("x", [0, 0])])
    assert chart.is_empty and "No data for this period" in chart.svg


def test_percentile_cont_interpolates_like_postgresql():
    assert percentile_cont([1, 2, 3, 4], 0.5) == 2.5
    assert percentile_cont([10, 20, 30, 40, 50], 0.95) == pytest.approx(48.0)
    assert percentile_cont([7], 0.95) == 7 and percentile_cont([], 0.5) is None


@pytest.mark.django_db
def test_the_sqlite_aggregate_gives_the_same_figures_as_postgresql():
    values = [612.0, 540.5, 1990.0, 801.25, 733.0, 1204.0, 950.0]
    make_call(voice_to_voice=values)
    on_postgres = TurnLatency.objects.aggregate(
        p50=Percentile("voice_to_voice_ms", 0.5), p95=Percentile("voice_to_voice_ms", 0.95)
    )
    db = sqlite3.connect(":memory:")
    db.create_aggregate(SQLITE_FUNCTION, 2, _SqlitePercentile)
    db.execute("create table t (v real)")
    db.executemany("insert into t values (?)", [(v,) for v in [*values, None]])
    p50, p95 = db.execute(f"select {SQLITE_FUNCTION}(v, 0.5), {SQLITE_FUNCTION}(v, 0.95) from t").fetchone()
    assert (p50, p95) == (pytest.approx(on_postgres["p50"]), pytest.approx(on_postgres["p95"]))


def test_a_percentile_outside_0_to_1_is_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        Percentile("voice_to_voice_ms", 95)


def test_the_chart_ids_on_one_page_differ():
    first, second = Chart.draw("a", ["x"], bars=[Series("s", [1])]), Chart.draw("b", ["x"], bars=[Series("s", [1])])
    assert re.search(r'id="(chart-\d+)-title"', first.svg).group(1) != re.search(
        r'id="(chart-\d+)-title"', second.svg
    ).group(1)
