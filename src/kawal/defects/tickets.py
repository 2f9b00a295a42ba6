"""Defect tickets: what the pipeline's monitoring and people's workflow share.

One active ticket per KPI × scope (``active_key``), severity only ever raised, and the
effectiveness check: the KPI back on target for ``effectiveness_periods`` consecutive *final*
periods since monitoring began (ISO 9001 §10.2; a month is final by kawal.kpis.month's rule).

- :mod:`kawal.defects.monitoring` — what the daily pipeline does: open or add occurrences, reopen,
  data incidents, the repeat rule, escalations;
- :mod:`kawal.defects.workflow` — what people do: analyse, decide, verify, close.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from kawal.errors import KawalError
from kawal.kpis.day import OVERALL
from kawal.register import Kpi, Period, Register
from kawal.store.models import DefectOccurrence, DefectTicket, KpiValue

if TYPE_CHECKING:
    pass

SEVERITIES = ("minor", "major", "critical")
DEFECT_SCOPE = OVERALL  # defects are raised on the overall value; breakdowns show in the message


def active_key(kind: str, subject: str, scope: str) -> str:
    return f"{kind}:{subject}:{scope}"


def severity_for(register: Register, kpi: Kpi, value: float | None, target: float | None, occurrences: int) -> str:
    rule = register.procedure.defects.severity
    gap = 0.0
    if value is not None and target is not None:
        gap = abs(value - target) / abs(target) if target else abs(value - target)
    if gap >= rule.critical_gap or occurrences >= rule.critical_occurrences:
        return "critical"
    if gap >= rule.major_gap or occurrences >= rule.major_occurrences:
        return "major"
    return "minor"


def ticket(session: Session, ticket_id: int) -> DefectTicket:
    found = session.get(DefectTicket, ticket_id)
    if found is None:
        raise KawalError(f"ticket #{ticket_id} does not exist (see `kawal defects list`)")
    return found


def occurrence_count(session: Session, ticket_id: int) -> int:
    return len(session.scalars(select(DefectOccurrence.id).where(DefectOccurrence.ticket_id == ticket_id)).all())


def effectiveness(session: Session, register: Register, t: DefectTicket) -> tuple[int, int]:
    """(consecutive periods back on target since monitoring began, periods required)."""
    needed = register.procedure.defects.effectiveness_periods
    if t.monitoring_since is None:
        return 0, needed
    kpi = register.kpi(t.subject)
    period_type = "day" if kpi.period is Period.daily else "month"
    values = session.scalars(
        select(KpiValue)
        .where(
            KpiValue.kpi_id == t.subject,
            KpiValue.scope == t.scope,
            KpiValue.period_type == period_type,
            KpiValue.period_start >= t.monitoring_since,
        )
        .order_by(KpiValue.period_start)
    ).all()
    streak = 0
    for v in values:
        if not v.final:
            continue  # a month still under way proves nothing yet (kawal.kpis.month)
        if v.evaluation == "breach":
            streak = 0
        elif v.evaluation in ("met", "at_risk"):
            streak += 1
        # not_evaluable (no data): neither proves nor disproves; the streak carries on
    return streak, needed
