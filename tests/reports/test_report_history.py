"""Δ month over month and the 12-month sparkline (#18): from previous months' stored values, and "—"
with a footnote saying why where there is none. Expected figures are the values planted here."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from kawal.reports.context import build_context
from kawal.reports.render import render_html
from kawal.store import session_scope
from kawal.store.models import KpiValue
from tests.reports.conftest import MONTH, REGISTER

DECEMBER, JANUARY = date(2025, 12, 1), date(2026, 1, 1)


def _plant(store, kpi_id: str, month: date, value: float) -> None:  # type: ignore[no-untyped-def]
    with session_scope(store) as s:
        s.add(
            KpiValue(kpi_id=kpi_id, period_type="month", period_start=month, scope="all", numerator=value,
                     denominator=1.0, value=value, status="computed", days_covered=31, evaluation="met",
                     final=True)
        )  # fmt: skip


def _line(ctx, kpi_id: str):  # type: ignore[no-untyped-def]
    return next(x for c in ctx.categories for x in c.lines if x.id == kpi_id)


def test_change_from_the_previous_month_and_a_footnote_where_there_is_none(store) -> None:  # type: ignore[no-untyped-def]
    with session_scope(store) as s:
        feb = {v.kpi_id: v.value for v in s.scalars(select(KpiValue).where(
            KpiValue.period_type == "month", KpiValue.scope == "all", KpiValue.period_start == MONTH))}  # fmt: skip
    _plant(store, "scr", DECEMBER, 97.0)
    _plant(store, "scr", JANUARY, 96.0)
    _plant(store, "rt", DECEMBER, 15.0)  # no January: a gap in RT's history

    ctx = build_context(store, REGISTER, MONTH, generated_at=datetime(2026, 3, 2, 7, tzinfo=UTC))

    scr, rt, aht = _line(ctx, "scr"), _line(ctx, "rt"), _line(ctx, "aht")
    delta = feb["scr"] - 96.0
    assert scr.change == ("+" if delta >= 0 else "-") + f"{abs(delta):.1f}".replace(".", ",")
    assert scr.change_note == "" and scr.spark[-3:] == [97.0, 96.0, feb["scr"]] and scr.spark[:9] == [None] * 9
    assert rt.change == "—" and rt.change_note == "tidak ada nilai untuk bulan sebelumnya (2026-01)"
    assert aht.change == "—" and aht.change_note == "riwayat dimulai 2026-02"
    performance = next(c for c in ctx.categories if c.key == "performance")
    assert performance.notes[int(rt.change_mark) - 1] == rt.change_note
    assert performance.notes[int(aht.change_mark) - 1] == aht.change_note

    html = render_html(ctx.as_dict())
    row = html[html.rindex("Success Call Ratio <span") :]  # the KPI table, after page 1
    row = row[: row.index("</tr>")]
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="spark"' in row and "<polyline" in row
    aht_row = html[html.rindex(f"{aht.name} <span") :]
    aht_row = aht_row[: aht_row.index("</tr>")]
    assert "<svg" not in aht_row  # one month of history: no line to draw, "—" and its footnote
    assert "riwayat dimulai 2026-02" in html and "Tren 12 bulan" not in html


def test_the_sparkline_breaks_at_a_month_without_a_value() -> None:
    from kawal.reports.charts import sparkline_svg

    assert sparkline_svg([None] * 11 + [90.0]) == ""  # one value: nothing to draw
    svg = sparkline_svg([80.0, 85.0, None, 90.0, 95.0], 85.0)
    assert svg.count("<polyline") == 2  # never bridged across the empty month
    assert "stroke-dasharray" in svg  # the target
    assert sparkline_svg([80.0, 85.0, None, 90.0, 95.0], 85.0) == svg  # deterministic
