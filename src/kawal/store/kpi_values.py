"""Writing KPI values: diff-based upserts keyed by KPI × period type × period start × scope.

Only rows whose content changed are written, so re-running a day with the same data issues no
write at all and the store stays byte-for-byte identical (idempotent by construction).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from kawal.store.models import KpiValue


@dataclass(frozen=True)
class KpiValueRow:
    kpi_id: str
    period_type: str
    period_start: date
    scope: str
    numerator: float
    denominator: float
    value: float | None
    status: str
    reason: str | None
    batch_id: int | None
    days_covered: int
    evaluation: str = "not_evaluable"
    target: float | None = None
    warning: float | None = None
    register_rev: int | None = None
    evaluation_note: str | None = None

    @property
    def key(self) -> tuple[str, str, date, str]:
        return (self.kpi_id, self.period_type, self.period_start, self.scope)


def _as_row(v: KpiValue) -> KpiValueRow:
    return KpiValueRow(**{f.name: getattr(v, f.name) for f in fields(KpiValueRow)})


def replace_period_values(
    session: Session, kpi_ids: list[str], period_type: str, period_start: date, rows: list[KpiValueRow]
) -> int:
    """Make the stored values of these KPIs for one period exactly ``rows``; returns rows changed.

    Scopes present in the store but absent from ``rows`` (a restated file without a channel) are
    deleted, so the period never mixes two deliveries.
    """
    existing = {
        (v.kpi_id, v.period_type, v.period_start, v.scope): v
        for v in session.scalars(
            select(KpiValue).where(
                and_(
                    KpiValue.kpi_id.in_(kpi_ids),
                    KpiValue.period_type == period_type,
                    KpiValue.period_start == period_start,
                )
            )
        )
    }
    changed = 0
    for row in rows:
        current = existing.pop(row.key, None)
        if current is None:
            session.add(KpiValue(**asdict(row)))
            changed += 1
        elif _as_row(current) != row:
            for field, val in asdict(row).items():
                setattr(current, field, val)
            changed += 1
    for stale in existing.values():
        session.delete(stale)
        changed += 1
    session.flush()
    return changed


@dataclass(frozen=True)
class RollupRule:
    scale: float  # numerator/denominator → the KPI's unit
    #: The denominator is a stock (e.g. headcount): a period's denominator is its average over the
    #: days covered. Otherwise it is a flow, summed like the numerator.
    stock_denominator: bool = False


def month_rollup(
    session: Session,
    rules: dict[str, RollupRule],
    month_start: date,
    month_end: date,
    days_delivered: int | None = None,
) -> list[KpiValueRow]:
    """Month-to-date rows from the stored day rows: Σnumerator / Σdenominator per KPI × scope
    (Σdenominator / days with a value for a stock denominator).

    ``days_covered`` of a month row is ``days_delivered`` when given — the days whose source delivery
    is in, including event sources' quiet days (a header-only file: no value, nothing missing) — so
    a month of weekday-only mystery-shopper visits is complete once its last day is delivered.
    """
    day_rows = session.scalars(
        select(KpiValue)
        .where(
            KpiValue.kpi_id.in_(list(rules)),
            KpiValue.period_type == "day",
            KpiValue.period_start >= month_start,
            KpiValue.period_start <= month_end,
        )
        .order_by(KpiValue.kpi_id, KpiValue.scope, KpiValue.period_start)
    ).all()
    grouped: dict[tuple[str, str], list[KpiValue]] = defaultdict(list)
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
