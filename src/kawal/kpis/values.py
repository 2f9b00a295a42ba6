"""The KPI value: one KPI for one period (a day or a month) and one scope, as Kawal judges it.

A ratio KPI is kept as its numerator and denominator (docs/PRODUCT.md: a month's value is
Σnumerator/Σdenominator, never the mean of daily ratios). ``final`` is the month-final verdict of
:mod:`kawal.kpis.month`, decided once when the value is computed and stored with it: defects, the
report, the board and the review read it instead of deciding again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any


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
    #: the value is final: a day always; a month once :func:`kawal.kpis.month.month_verdict` says so
    final: bool = True

    @property
    def key(self) -> tuple[str, str, date, str]:
        return (self.kpi_id, self.period_type, self.period_start, self.scope)

    @classmethod
    def from_record(cls, record: Any) -> KpiValueRow:
        """The row of a stored :class:`kawal.store.models.KpiValue` (or anything with its attributes)."""
        return cls(**{f.name: getattr(record, f.name) for f in fields(cls)})

    def as_record(self) -> dict[str, Any]:
        return asdict(self)
