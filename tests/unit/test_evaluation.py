"""Judging values: direction, warning band, the revision in force, and months still under way."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kawal.kpis.evaluation import Status, evaluate, evaluate_row
from kawal.kpis.values import KpiValueRow
from kawal.register import Target, load_register

REGISTER = load_register(Path(__file__).resolve().parents[2] / "kpi_rules")
SCR, RT, AHT, ATTRITION = (REGISTER.kpi(k) for k in ("scr", "rt", "aht", "attrition"))


@pytest.mark.parametrize(
    ("kpi", "value", "expected"),
    [
        (SCR, 96.0, Status.met),  # ≥ 96 warning threshold
        (SCR, 95.5, Status.at_risk),  # between target 95 and warning 96
        (SCR, 95.0, Status.at_risk),  # exactly on target meets it
        (SCR, 94.99, Status.breach),
        (RT, 17.0, Status.met),  # lower is better: ≤ 17 warning
        (RT, 19.0, Status.at_risk),
        (RT, 20.01, Status.breach),
        (SCR, None, Status.not_evaluable),
    ],
)
def test_direction_and_warning_band(kpi, value, expected) -> None:  # type: ignore[no-untyped-def]
    assert evaluate(kpi, REGISTER.target_on(kpi.id, date(2026, 10, 1)), value) is expected


def test_no_target_in_force_is_not_evaluable() -> None:
    assert evaluate(SCR, None, 99.0) is Status.not_evaluable
    assert REGISTER.target_on("scr", date(2025, 12, 31)) is None  # before revision 1


def day_row(
    kpi_id: str, day: date, num: float, den: float, scale: float = 1.0, days: int = 1, period_type: str = "day"
) -> KpiValueRow:
    return KpiValueRow(kpi_id, period_type, day, "all", num, den, scale * num / den, "computed", None, None, days)


def test_value_is_judged_against_the_revision_in_force_on_its_day() -> None:
    # AHT 290 s: met under revision 1 (≤ 300, warning 285 → at risk), breach under revision 2 (≤ 280 from 16 Oct)
    before = evaluate_row(day_row("aht", date(2026, 10, 15), 290, 1), AHT, REGISTER)
    after = evaluate_row(day_row("aht", date(2026, 10, 16), 290, 1), AHT, REGISTER)
    assert (before.evaluation, before.target, before.register_rev) == ("at_risk", 300.0, 1)
    assert (after.evaluation, after.target, after.register_rev) == ("breach", 280.0, 2)


def test_month_under_way_below_target_is_at_risk_saying_whether_it_can_still_be_reached() -> None:
    # October has 31 days. SCR month-to-date after 10 days: 900 answered of 1000 offered = 90 %.
    # Best case: 21 more days at 100 days' volume each fully answered: (900 + 2100) / 3100 = 96.8 % ≥ 95.
    reachable = evaluate_row(
        day_row("scr", date(2026, 10, 1), 900, 1000, 100, days=10, period_type="month"), SCR, REGISTER
    )
    assert reachable.evaluation == "at_risk" and "masih dapat dicapai" in reachable.evaluation_note
    # After 30 days at 85 %: (2550 + 100) / 3100 = 85.5 % < 95 even with a perfect last day.
    lost = evaluate_row(day_row("scr", date(2026, 10, 1), 2550, 3000, 100, days=30, period_type="month"), SCR, REGISTER)
    assert lost.evaluation == "at_risk" and "tidak dapat lagi dicapai" in lost.evaluation_note
    # The complete month is a breach.
    done = evaluate_row(day_row("scr", date(2026, 10, 1), 2635, 3100, 100, days=31, period_type="month"), SCR, REGISTER)
    assert (done.evaluation, done.evaluation_note) == ("breach", None)


def test_month_stock_kpi_over_target_cannot_recover() -> None:
    # attrition (lower is better, target 3 %): 5 leavers on an average 100 agents after 20 days = 5 %
    row = day_row("attrition", date(2026, 10, 1), 5, 100, 100, days=20, period_type="month")
    judged = evaluate_row(row, ATTRITION, REGISTER, stock_denominator=True)
    assert judged.evaluation == "at_risk" and "tidak dapat lagi dicapai" in judged.evaluation_note


def test_target_dataclass_is_what_revisions_yield() -> None:
    assert REGISTER.target_on("aht", date(2026, 10, 16)) == Target(280.0, 265.0, 2)
