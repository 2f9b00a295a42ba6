"""Writing KPI values: diff-based upserts keyed by KPI × period type × period start × scope.

Only rows whose content changed are written, so re-running a day with the same data issues no
write at all and the store stays byte-for-byte identical (idempotent by construction). The domain
value (:class:`kawal.kpis.values.KpiValueRow`) and its maths live in :mod:`kawal.kpis`; this module
takes any dataclass or mapping with the columns of :class:`KpiValue`, so the store depends on no
package above it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from kawal.store.models import KpiValue


def _record(row: Any) -> dict[str, Any]:
    return dict(row) if isinstance(row, Mapping) else asdict(row) if is_dataclass(row) else row.as_record()


def replace_period_values(session: Session, kpi_ids: list[str], period_type: str, period_start: date, rows) -> int:  # type: ignore[no-untyped-def]
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
        record = _record(row)
        current = existing.pop((record["kpi_id"], record["period_type"], record["period_start"], record["scope"]), None)
        if current is None:
            session.add(KpiValue(**record))
            changed += 1
        elif any(getattr(current, field) != val for field, val in record.items()):
            for field, val in record.items():
                setattr(current, field, val)
            changed += 1
    for stale in existing.values():
        session.delete(stale)
        changed += 1
    session.flush()
    return changed


def day_values(session: Session, kpi_ids: list[str], first: date, last: date) -> list[KpiValue]:
    """The stored day values of these KPIs from ``first`` to ``last``, by KPI, scope and day."""
    return list(
        session.scalars(
            select(KpiValue)
            .where(
                KpiValue.kpi_id.in_(kpi_ids),
                KpiValue.period_type == "day",
                KpiValue.period_start >= first,
                KpiValue.period_start <= last,
            )
            .order_by(KpiValue.kpi_id, KpiValue.scope, KpiValue.period_start)
        ).all()
    )
