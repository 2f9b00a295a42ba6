"""Judging KPI values against their targets as in force (register revision) for their period.

- ``met``: on the good side of the warning threshold (or of the target when there is none);
- ``at_risk``: between the target and the warning threshold; or, for a month still under way,
  month-to-date below target (the note says whether the rest of the month can still reach it);
- ``breach``: on the wrong side of the target — the KPI *defect* of §5.3.1 (for a month, only once
  every day of it is in);
- ``not_evaluable``: no value (nothing to divide by) or no target in force for the period.

Direction and the revision in force come from the register; scope (internal/external) does not
change the judgement, only who is told (the Accountable is copied on external defects).
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from kawal.kpis.month import MonthCoverage, MonthVerdict, days_in_month, month_verdict
from kawal.kpis.values import KpiValueRow
from kawal.register import Direction, Kpi, Register, Target


class Status(StrEnum):
    met = "met"
    at_risk = "at_risk"
    breach = "breach"
    not_evaluable = "not_evaluable"

    @property
    def label_id(self) -> str:
        return {
            "met": "tercapai",
            "at_risk": "waspada",
            "breach": "tidak tercapai",
            "not_evaluable": "tidak dapat dinilai",
        }[self.value]


def _better_or_equal(kpi: Kpi, a: float, b: float) -> bool:
    return a >= b if kpi.direction is Direction.higher_is_better else a <= b


def evaluate(kpi: Kpi, target: Target | None, value: float | None) -> Status:
    if value is None or target is None:
        return Status.not_evaluable
    if not _better_or_equal(kpi, value, target.value):
        return Status.breach
    if target.warning is not None and not _better_or_equal(kpi, value, target.warning):
        return Status.at_risk
    return Status.met


def best_reachable(kpi: Kpi, row: KpiValueRow, days_in_month: int, stock_denominator: bool) -> float | None:
    """The best month value still possible if every remaining day were perfect at today's volume.

    Perfect is the unit's best bound: 100 % / 100 points when higher is better, 0 when lower is
    better. None when unbounded (e.g. contacts per agent: any month can still be reached).
    """
    remaining = days_in_month - row.days_covered
    scale = kpi.unit.scale
    if remaining <= 0 or row.denominator == 0:
        return row.value
    if stock_denominator:  # the denominator does not grow; the best is adding nothing more
        return row.value if kpi.direction is Direction.lower_is_better else None
    extra_den = remaining * row.denominator / row.days_covered
    if kpi.direction is Direction.lower_is_better:
        best_ratio = 0.0
    else:
        high = kpi.unit.bounds[1]
        if high is None:
            return None
        best_ratio = high / scale
    return scale * (row.numerator + best_ratio * extra_den) / (row.denominator + extra_den)


def evaluate_row(
    row: KpiValueRow,
    kpi: Kpi,
    register: Register,
    stock_denominator: bool = False,
    *,
    verdict: MonthVerdict | None = None,
) -> KpiValueRow:
    """``row`` with its evaluation, the target in force and the revision it came from.

    A month row is judged by its ``verdict`` (:func:`kawal.kpis.month.month_verdict`; without one,
    a month is final once every day is covered): a month under way is never a breach, a final month
    with too few valid days is not evaluable, and the verdict is stored with the value (``final``).
    """
    target = register.target_on(kpi.id, row.period_start)
    status = evaluate(kpi, target, row.value)
    note = None
    final = True
    if row.period_type == "month":
        days = days_in_month(row.period_start)
        if verdict is None:
            verdict = month_verdict(MonthCoverage(days, row.days_covered, row.days_covered))
        final = verdict.final
        if target is not None:
            note = verdict.note
            if verdict.final and not verdict.judged:
                status = Status.not_evaluable
            elif not verdict.final and status is Status.breach:
                best = best_reachable(kpi, row, days, stock_denominator)
                status = Status.at_risk
                if best is not None and not _better_or_equal(kpi, best, target.value):
                    note = f"bulan berjalan ({row.days_covered}/{days} hari): target bulan ini tidak dapat lagi dicapai"
                else:
                    note = f"bulan berjalan ({row.days_covered}/{days} hari): di bawah target, masih dapat dicapai"
            elif not verdict.final:
                note = f"bulan berjalan ({row.days_covered}/{days} hari)"
    if target is None:
        note = "KPI belum berlaku pada revisi register saat itu"
    return replace(
        row,
        evaluation=status.value,
        target=None if target is None else target.value,
        warning=None if target is None else target.warning,
        register_rev=None if target is None else target.rev,
        evaluation_note=note,
        final=final,
    )
