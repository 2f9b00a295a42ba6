"""Rolling day values up to the month: Σnumerator / Σdenominator per KPI × scope.

A stock denominator (headcount, seats) is averaged over the days with a value instead of summed: a
month of 30 people is not 900 people (attrition, §5.1.1).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from kawal.kpis.values import KpiValueRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from kawal.register import Kpi


@dataclass(frozen=True)
class RollupRule:
    scale: float  # numerator/denominator → the KPI's unit
    #: The denominator is a stock (e.g. headcount): a period's denominator is its average over the
    #: days covered. Otherwise it is a flow, summed like the numerator.
    stock_denominator: bool = False


def rollup_rules(kpis: list[Kpi]) -> dict[str, RollupRule]:
    from kawal.formulas import FORMULA_KINDS

    return {k.id: RollupRule(k.unit.scale, FORMULA_KINDS[k.formula.kind].stock_denominator) for k in kpis}


def roll_up(
    day_rows: list[KpiValueRow], rules: dict[str, RollupRule], month_start: date, days_delivered: int | None = None
) -> list[KpiValueRow]:
    """Month-to-date rows from day rows (pure).

    ``days_covered`` of a month row is ``days_delivered`` when given — the days whose source delivery
    is in, including event sources' quiet days (a header-only file: no value, nothing missing) — so
    a month of weekday-only mystery-shopper visits is complete once its last day is delivered.
    """
    grouped: dict[tuple[str, str], list[KpiValueRow]] = defaultdict(list)
    for v in day_rows:
        grouped[(v.kpi_id, v.scope)].append(v)
    out = []
    for (kpi_id, scope), stored in sorted(grouped.items()):
        # a day whose delivery was quarantined (stored with days_covered 0) adds nothing, and is no day
        # of a stock's average
        values = [v for v in stored if v.days_covered > 0]
        num = math.fsum(v.numerator for v in values)  # fsum: the same total whatever the order
        den = math.fsum(v.denominator for v in values)
        if rules[kpi_id].stock_denominator and values:
            den /= len(values)
        out.append(
            KpiValueRow(
                kpi_id=kpi_id,
                period_type="month",
                period_start=month_start,
                scope=scope,
                numerator=num,
                denominator=den,
                value=None if den == 0 else rules[kpi_id].scale * num / den,
                status="computed" if den else "not_evaluable",
                reason=None if den else "no denominator in the month's data",
                batch_id=None,
                days_covered=len(values) if days_delivered is None else days_delivered,
            )
        )
    return out


def month_rollup(
    session: Session,
    rules: dict[str, RollupRule],
    month_start: date,
    month_end: date,
    days_delivered: int | None = None,
) -> list[KpiValueRow]:
    """:func:`roll_up` over the day values stored for the month."""
    from kawal.store.kpi_values import day_values

    stored = day_values(session, list(rules), month_start, month_end)
    return roll_up([KpiValueRow.from_record(v) for v in stored], rules, month_start, days_delivered)
