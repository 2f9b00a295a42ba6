"""When a month's value is final: the one rule, decided here and stored with the value.

A month is *under way* until every one of its days has been processed for the source. A day is
processed when its delivery is in (an event source's quiet day — a header-only file — included), or
when it was quarantined or recorded as missing (§5.3: a day without valid data raises a data
incident, it does not hold the month open for ever).

Once every day is processed the month is **final**:

- with at least :data:`MIN_VALID_SHARE` of its days carrying valid data it is judged — met, at risk
  or breach — on those days, and a breach opens its defect ticket like any other; the note names the
  days without valid data (the report's completeness statement lists them too);
- with fewer, it is final but *not evaluable*: too little of the month is known to call it met or
  missed, so no defect is opened and the data incidents carry the problem.

The rule is the same for the daily pipeline, the defect tickets and the effectiveness streak of a
monitored ticket (ISO 9001 §10.2: a month that proves nothing is not counted either way).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: the share of a month's days that must carry valid data for a final month to be judged
MIN_VALID_SHARE = 0.5


@dataclass(frozen=True)
class MonthCoverage:
    days_in_month: int
    #: days whose delivery is in (an event source's quiet day included)
    days_with_data: int
    #: days with data, plus the days quarantined or recorded as missing
    days_processed: int


@dataclass(frozen=True)
class MonthVerdict:
    final: bool
    #: a final month with enough valid days is judged; a final month without is not evaluable
    judged: bool
    note: str | None


def days_in_month(first: date) -> int:
    return calendar.monthrange(first.year, first.month)[1]


def month_verdict(coverage: MonthCoverage) -> MonthVerdict:
    n, valid = coverage.days_in_month, coverage.days_with_data
    if valid >= n:
        return MonthVerdict(final=True, judged=True, note=None)
    if coverage.days_processed < n:
        return MonthVerdict(final=False, judged=True, note=None)  # under way: evaluation says how it stands
    if valid < MIN_VALID_SHARE * n:
        return MonthVerdict(
            final=True,
            judged=False,
            note=f"hanya {valid}/{n} hari dengan data valid: bulan tidak dapat dinilai",
        )
    return MonthVerdict(final=True, judged=True, note=f"{n - valid} hari tanpa data valid (dikarantina/tidak terkirim)")


def month_coverage(
    session: Session, source: str, kpi_ids: list[str], first: date, *, whole_month_delivery: bool = False
) -> MonthCoverage:
    """What the store knows of ``source``'s days in the month starting ``first``. With
    ``whole_month_delivery`` (a monthly table, delivered once on the month's last day) a loaded
    delivery covers every day of the month."""
    from sqlalchemy import func, select

    from kawal.store.models import IngestionBatch, KpiValue

    n = days_in_month(first)
    last = first.replace(day=n)
    in_month = (IngestionBatch.source == source) & IngestionBatch.business_date.between(first, last)
    with_data = session.scalar(
        select(func.count(func.distinct(IngestionBatch.business_date))).where(
            in_month, IngestionBatch.state.in_(("received", "loaded"))
        )
    )
    processed = set(
        session.scalars(select(IngestionBatch.business_date).where(in_month, IngestionBatch.state != "superseded"))
    ) | set(
        session.scalars(
            select(KpiValue.period_start).where(
                KpiValue.kpi_id.in_(kpi_ids),
                KpiValue.period_type == "day",
                KpiValue.period_start.between(first, last),
                KpiValue.days_covered == 0,  # stored not-evaluable: the day was quarantined or missing
            )
        )
    )
    if whole_month_delivery and with_data:
        return MonthCoverage(days_in_month=n, days_with_data=n, days_processed=n)
    return MonthCoverage(days_in_month=n, days_with_data=int(with_data or 0), days_processed=len(processed))
