"""Honest charts (#18): a time axis with gaps, targets that follow revisions, one axis rule.

Expected axes and targets are worked out here by hand from the register (kpi_rules/register.yaml:
AHT ≤ 300 s, from 16 October 2026 ≤ 280 s by revision 2), never read back from the chart code.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from kawal.periods import days_of_month
from kawal.register import load_register
from kawal.reports.charts import MIN_SPAN_OF_TARGET, chart_spec, kpi_chart_svg, value_axis

REPO = Path(__file__).resolve().parents[2]
REGISTER = load_register(REPO / "kpi_rules")
OCTOBER = date(2026, 10, 1)


def test_a_small_dip_is_drawn_small_and_the_axis_stays_inside_the_unit() -> None:
    # PnP around 85.6-86.2 against a target of 85: the axis spans at least 10% of 85 = 8.5 points
    lo, hi = value_axis([85.6, 86.2, 85.9], [85.0], (0.0, 100.0))
    assert hi - lo >= MIN_SPAN_OF_TARGET * 85.0
    assert lo <= 85.0 <= hi and lo <= 85.6 and hi >= 86.2
    # availability at 99.6 against 99.5: the span is kept, but never above 100 %
    lo, hi = value_axis([99.6, 99.7], [99.5, 99.7], (0.0, 100.0))
    assert hi == 100.0 and hi - lo >= MIN_SPAN_OF_TARGET * 99.7
    # a duration has no upper bound and never goes below 0
    lo, hi = value_axis([2.0, 3.0], [3.0], (0.0, None))
    assert lo >= 0.0


def test_every_day_has_its_place_and_a_missing_day_is_a_shaded_gap() -> None:
    scr = REGISTER.kpi("scr")
    days = days_of_month(OCTOBER)
    values = {d: (96.0, "met") for d in days if d != date(2026, 10, 20)}  # 20 October quarantined
    values[date(2026, 10, 5)] = (93.0, "breach")
    spec = chart_spec(scr, REGISTER, days, values, monthly=False, title="SCR", lang="id")
    assert [p["at"] for p in spec["points"]] == [d.isoformat() for d in days]  # 31 places, none dropped
    gap = next(p for p in spec["points"] if p["at"] == "2026-10-20")
    assert (gap["value"], gap["evaluation"]) == (None, "gap")
    svg = kpi_chart_svg(spec)
    assert "tanpa data / dikarantina" in svg and "tidak tercapai" in svg  # the gap and the breach in the legend
    whole = kpi_chart_svg(chart_spec(scr, REGISTER, days, {d: (96.0, "met") for d in days}, monthly=False,
                                     title="SCR", lang="id"))  # fmt: skip
    assert "tanpa data" not in whole and "tidak tercapai" not in whole  # nothing to mark: no legend entry


def test_the_target_line_follows_the_revision_and_says_so() -> None:
    aht = REGISTER.kpi("aht")
    days = days_of_month(OCTOBER)
    spec = chart_spec(aht, REGISTER, days, {d: (290.0, "met") for d in days}, monthly=False, title="AHT", lang="id")
    by_day = {t["at"]: t["target"] for t in spec["targets"]}
    assert by_day["2026-10-15"] == 300 and by_day["2026-10-16"] == 280  # register.yaml revision 2
    svg = kpi_chart_svg(spec)
    assert "revisi 2: 280,0" in svg
    english = kpi_chart_svg({**spec, "lang": "en"}, locale_decimal_comma=False)
    assert "revision 2: 280.0" in english and not re.search(r"\b(revisi|aktual|waspada)\b", english)


def test_the_table_says_a_target_moved_mid_month() -> None:
    from kawal.reports.context import _target_text
    from kawal.reports.labels import LABELS

    days = days_of_month(OCTOBER)
    text = _target_text(REGISTER, REGISTER.kpi("aht"), days, "≤", "id_ID", LABELS["id"])
    assert text == "≤ 300,0 → 280,0 (mulai 16/10, rev 2)"
    assert _target_text(REGISTER, REGISTER.kpi("scr"), days, "≥", "id_ID", LABELS["id"]) == "≥ 95,0"
