"""A source's KPIs for one day: the overall value and one per breakdown (pure; no store)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from kawal.kpis.values import KpiValueRow

if TYPE_CHECKING:
    import pandas as pd

    from kawal.register import Kpi

#: the scope of a KPI's overall value; a breakdown's scope is ``column=value``
OVERALL = "all"


def kpi_day_rows(kpis: list[Kpi], rows: pd.DataFrame, day: date, batch_id: int | None) -> list[KpiValueRow]:
    """Every KPI of the source for one day: overall and per breakdown value (pure; no store)."""
    from kawal.formulas import apply_formula, rows_in_scope

    out: list[KpiValueRow] = []
    if rows.empty:  # an event source with no events that day: nothing to compute, nothing missing
        return out
    # Only the columns the formulas and breakdowns read: splitting a million rows by channel then
    # copies a few numeric columns, not every id and timestamp ("calls" weights interval aggregates).
    needed = {"calls"}.union(*(k.params.columns() | set(k.breakdowns) for k in kpis))
    rows = rows.loc[:, [c for c in rows.columns if c in needed]]
    for kpi in kpis:
        kept = rows_in_scope(rows, kpi.params)
        scopes = [(OVERALL, kept)]
        for column in kpi.breakdowns:
            scopes += [(f"{column}={key}", part) for key, part in kept.groupby(column, sort=True)]
        for scope, part in scopes:
            comp = apply_formula(kpi.formula.kind, part, kpi.params)
            value = comp.value(kpi.unit.scale)
            out.append(
                KpiValueRow(
                    kpi_id=kpi.id,
                    period_type="day",
                    period_start=day,
                    scope=scope,
                    numerator=comp.numerator,
                    denominator=comp.denominator,
                    value=value,
                    status="computed" if value is not None else "not_evaluable",
                    reason=None if value is not None else "no rows for this KPI in the day's data",
                    batch_id=batch_id,
                    days_covered=1,
                )
            )
    return out
