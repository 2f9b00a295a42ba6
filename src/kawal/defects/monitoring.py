"""The pipeline's side of defects (§5.3): run by the daily DAG, as of the day after the data.

- A breach of a KPI's overall *final* value (a day for daily KPIs; a final month for monthly ones)
  opens a ticket, or adds an occurrence to the KPI's active ticket: one active ticket per KPI ×
  scope, one occurrence per period, so a re-run adds nothing and tells nobody twice.
- A breach while the ticket is being monitored reopens it (the plan did not work: ISO 9001 10.2).
- Escalation: no analysis after ``analysis_due_working_days`` working days → the Accountable is told;
  a recovery action past its due date → its owner and the Accountable are told.
- Missing or invalid source data is a *data incident* for data engineering, never a KPI defect.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from kawal.defects import messages
from kawal.defects.calendar import add_working_days
from kawal.defects.lifecycle import State, record
from kawal.register import Kpi, Period, Register, Scope
from kawal.store.models import DefectOccurrence, DefectTicket, KpiValue, RecoveryAction

if TYPE_CHECKING:
    from kawal.kpis.values import KpiValueRow

from kawal.defects.tickets import (
    DEFECT_SCOPE,
    SEVERITIES,
    active_key,
    effectiveness,
    occurrence_count,
    severity_for,
    ticket,
)


def _raises_defect(kpi: Kpi, row: KpiValueRow) -> bool:
    if row.scope != DEFECT_SCOPE or row.evaluation != "breach":
        return False
    if kpi.period is Period.daily:
        return row.period_type == "day"
    return row.period_type == "month" and row.final  # the month-final verdict stored with the value


WITHDRAWN = "withdrawn: the restated value no longer misses the target"


def _kpi_occurrence(session: Session, row: KpiValueRow) -> DefectOccurrence | None:
    """The recorded breach of this KPI × scope × period, if any (one per period: the natural key)."""
    return session.scalars(
        select(DefectOccurrence).where(
            DefectOccurrence.kind == "kpi_defect",
            DefectOccurrence.subject == row.kpi_id,
            DefectOccurrence.scope == row.scope,
            DefectOccurrence.period_type == row.period_type,
            DefectOccurrence.period_start == row.period_start,
        )
    ).one_or_none()


def _withdraw_restated_occurrence(session: Session, row: KpiValueRow) -> int | None:
    """A corrected delivery (restatement) turned a recorded miss into a met value: the occurrence is
    kept (ISO 9001 7.5.3: records are not erased) with the restated value and a note, and the change
    is an event on its ticket. Returns the ticket id when something changed (a re-run changes nothing)."""
    if row.scope != DEFECT_SCOPE or row.evaluation not in ("met", "at_risk"):
        return None
    occurrence = _kpi_occurrence(session, row)
    if occurrence is None or (occurrence.value, occurrence.target, occurrence.note) == (
        row.value,
        row.target,
        WITHDRAWN,
    ):
        return None
    t = ticket(session, occurrence.ticket_id)
    record(
        session,
        t,
        "occurrence_withdrawn",
        "kawal",
        details={"period": row.period_start, "old": occurrence.value, "new": row.value, "evaluation": row.evaluation},
    )
    occurrence.value, occurrence.target, occurrence.note = row.value, row.target, WITHDRAWN
    return t.id


def open_or_update_defects(session: Session, register: Register, rows: list[KpiValueRow], as_of: date) -> list[int]:
    """Tickets for the breaches among ``rows`` (already evaluated); returns the ids of tickets touched."""
    touched: list[int] = []
    due_days = register.procedure.defects.analysis_due_working_days
    for row in rows:
        kpi = next((k for k in register.kpis if k.id == row.kpi_id), None)
        if kpi is None:
            continue
        if not _raises_defect(kpi, row):
            withdrawn = _withdraw_restated_occurrence(session, row)  # a corrected delivery met the target
            if withdrawn is not None:
                touched.append(withdrawn)
            continue
        occurrence = _kpi_occurrence(session, row)
        if occurrence is not None:  # this period is already on a ticket: a re-run, or a restatement
            if (occurrence.value, occurrence.target) != (row.value, row.target):
                t = ticket(session, occurrence.ticket_id)
                record(
                    session,
                    t,
                    "occurrence_restated",
                    "kawal",
                    details={"period": row.period_start, "old": occurrence.value, "new": row.value},
                )
                occurrence.value, occurrence.target = row.value, row.target
                if occurrence.note == WITHDRAWN:  # restated again, and a miss again
                    occurrence.note = None
                touched.append(t.id)
            continue
        key = active_key("kpi_defect", kpi.id, row.scope)
        t = session.scalars(select(DefectTicket).where(DefectTicket.active_key == key)).one_or_none()
        details = {
            "period": row.period_start,
            "period_type": row.period_type,
            "value": row.value,
            "target": row.target,
            "register_rev": row.register_rev,
        }
        if t is None:
            t = DefectTicket(
                kind="kpi_defect",
                subject=kpi.id,
                scope=row.scope,
                active_key=key,
                state=State.open.value,
                severity="minor",
                external=kpi.scope is Scope.external,
                responsible=kpi.pic,
                opened_on=row.period_start,
                notified_on=as_of,
                analysis_due=add_working_days(as_of, due_days),
                repeat_flag=False,
            )
            session.add(t)
            session.flush()
            record(session, t, "opened", "kawal", details=details)
            opened = True
        else:
            record(session, t, "occurrence_added", "kawal", details=details)
            opened = False
        session.add(
            DefectOccurrence(
                ticket_id=t.id,
                kind="kpi_defect",
                subject=kpi.id,
                scope=row.scope,
                period_type=row.period_type,
                period_start=row.period_start,
                value=row.value,
                target=row.target,
                register_rev=row.register_rev,
            )
        )
        session.flush()
        severity = severity_for(register, kpi, row.value, row.target, occurrence_count(session, t.id))
        if SEVERITIES.index(severity) > SEVERITIES.index(t.severity):
            raised_from = t.severity
            t.severity = severity
            if not opened:
                record(session, t, "severity_raised", "kawal", details={"from": raised_from, "to": severity})
                # #18: a ticket that gets worse tells its PIC (and the Accountable when critical), once per level
                messages.severity_raised(session, register, t, kpi, row, raised_from)
        if opened:
            messages.defect_opened(session, register, t, kpi, row)
        elif t.state == State.monitoring.value and t.monitoring_since and row.period_start >= t.monitoring_since:
            record(session, t, "reopened", "kawal", State.reopened, details=details)
            t.notified_on, t.analysis_due = as_of, add_working_days(as_of, due_days)
            messages.defect_reopened(session, register, t, kpi, row)
        touched.append(t.id)
    return touched


def record_data_incident(
    session: Session, register: Register, source: str, day: date, problem: str, as_of: date
) -> DefectTicket:
    """Bad or missing data of ``source`` for ``day``: a data incident for data engineering (not a KPI
    defect). Idempotent: the same source and day are recorded once."""
    existing = session.scalars(
        select(DefectOccurrence).where(
            DefectOccurrence.kind == "data_incident",
            DefectOccurrence.subject == source,
            DefectOccurrence.period_type == "day",
            DefectOccurrence.period_start == day,
        )
    ).one_or_none()
    if existing is not None:
        return ticket(session, existing.ticket_id)
    key = active_key("data_incident", source, DEFECT_SCOPE)
    t = session.scalars(select(DefectTicket).where(DefectTicket.active_key == key)).one_or_none()
    if t is None:
        t = DefectTicket(
            kind="data_incident",
            subject=source,
            scope=DEFECT_SCOPE,
            active_key=key,
            state=State.open.value,
            severity="major",
            external=False,
            responsible="data_engineering",
            opened_on=day,
            notified_on=as_of,
            analysis_due=add_working_days(as_of, register.procedure.defects.analysis_due_working_days),
            repeat_flag=False,
        )
        session.add(t)
        session.flush()
        record(session, t, "opened", "kawal", details={"day": day, "problem": problem})
    else:
        record(session, t, "occurrence_added", "kawal", details={"day": day, "problem": problem})
    session.add(
        DefectOccurrence(
            ticket_id=t.id,
            kind="data_incident",
            subject=source,
            scope=DEFECT_SCOPE,
            period_type="day",
            period_start=day,
            note=problem,
        )
    )
    session.flush()
    messages.data_incident(session, register, t, source, day, problem)
    return t


def review_repeats_and_effectiveness(session: Session, register: Register, day: date) -> None:
    """Repeat rule (flag for the monthly review) and effectiveness notices, as of ``day``'s data."""
    rule = register.procedure.defects.repeat_rule
    for t in session.scalars(
        select(DefectTicket).where(DefectTicket.active_key.is_not(None), DefectTicket.kind == "kpi_defect")
    ).all():
        if not register.has_kpi(t.subject):  # a retired KPI's ticket is closed by people, not judged
            continue
        kpi = register.kpi(t.subject)
        if not t.repeat_flag and kpi.period is Period.daily:
            recent = session.scalars(
                select(KpiValue.evaluation)
                .where(
                    KpiValue.kpi_id == kpi.id,
                    KpiValue.scope == t.scope,
                    KpiValue.period_type == "day",
                    KpiValue.period_start <= day,
                    KpiValue.period_start > day - timedelta(days=rule.periods),
                )
                .order_by(KpiValue.period_start.desc())
                .limit(rule.periods)
            ).all()
            if sum(e == "breach" for e in recent) >= rule.breaches:
                t.repeat_flag = True
                record(
                    session,
                    t,
                    "flagged_repeat",
                    "kawal",
                    details={"breaches": rule.breaches, "periods": rule.periods, "as_of": day},
                )
        if t.state == State.monitoring.value:
            streak, needed = effectiveness(session, register, t)
            if streak >= needed:
                messages.ready_to_close(session, register, t, streak)


def escalate(session: Session, register: Register, as_of: date) -> None:
    """Remind PICs of analyses past due and owners of overdue recovery actions, and give the
    Accountable the day's escalations in one digest (§5.3.1, #18)."""
    digest: list[messages.DigestItem] = []
    for t in session.scalars(
        select(DefectTicket).where(
            DefectTicket.kind == "kpi_defect",
            DefectTicket.state.in_([State.open.value, State.reopened.value]),
            DefectTicket.analysis_due < as_of,
        )
    ).all():
        if not register.has_kpi(t.subject):
            continue
        if messages.analysis_overdue(session, register, t, as_of):
            record(session, t, "escalated", "kawal", details={"reason": "analysis overdue", "due": t.analysis_due})
            digest.append((t, "analysis", None, t.analysis_due))  # worded in the reader's language
    for action in session.scalars(
        select(RecoveryAction)
        .join(DefectTicket, DefectTicket.id == RecoveryAction.ticket_id)
        .where(RecoveryAction.done_on.is_(None), RecoveryAction.due_date < as_of, DefectTicket.active_key.is_not(None))
    ).all():
        t = ticket(session, action.ticket_id)
        if messages.action_overdue(session, register, t, action, as_of):
            record(session, t, "action_overdue", "kawal", details={"action": action.id, "due": action.due_date})
            digest.append((t, "action", action.id, action.due_date))
    messages.escalation_digest(session, register, as_of, digest)


# --- what people do (CLI / UI) -------------------------------------------------------------------
