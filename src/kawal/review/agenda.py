"""The review's agenda, drawn from the month (§5.5): repeat breaches first, then the month's defects
and data incidents with their state, actions past their due date, KPIs at risk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kawal.kpis.summary import format_number
from kawal.periods import days_of_month
from kawal.register import Register
from kawal.review.terms import (
    ACTION_KIND_LABEL,
    document_number,
    kpi_name,
)
from kawal.store.models import (
    DefectOccurrence,
    DefectTicket,
    KpiValue,
    RecoveryAction,
    ReviewAction,
    ReviewMinutes,
)


@dataclass(frozen=True)
class AgendaItem:
    kind: str
    ref: str
    title: str
    facts: str
    ticket_id: int | None = None
    kpi_id: str | None = None


def month_agenda(session: Session, register: Register, first: date, as_of: date) -> list[AgendaItem]:
    """What the review must look at for ``first``'s month, judged on ``as_of`` (the meeting day)."""
    from kawal.defects.lifecycle import SEVERITY_LABEL_ID, State

    last = days_of_month(first)[-1]
    people = register.people
    counts = dict(
        session.execute(
            select(DefectOccurrence.ticket_id, func.count())
            .where(DefectOccurrence.period_start >= first, DefectOccurrence.period_start <= last)
            .group_by(DefectOccurrence.ticket_id)
        ).all()
    )
    tickets = list(
        session.scalars(select(DefectTicket).where(DefectTicket.id.in_(list(counts))).order_by(DefectTicket.id))
    )
    plans: dict[int, list[RecoveryAction]] = {}
    for a in session.scalars(select(RecoveryAction).where(RecoveryAction.ticket_id.in_(list(counts)))):
        plans.setdefault(a.ticket_id, []).append(a)

    repeat, defects, incidents = [], [], []
    for t in tickets:
        state = State(t.state).label_id
        plan = plans.get(t.id, [])
        plan_text = (
            "; ".join(f"[{a.kind}] {a.description} ({people.describe(a.owner)}, tenggat {a.due_date})" for a in plan)
            or "belum diputuskan"
        )
        if t.kind == "data_incident":
            incidents.append(
                AgendaItem(
                    "data_incident",
                    f"ticket:{t.id}",
                    f"Tiket #{t.id} · insiden data sumber {t.subject}",
                    f"{counts[t.id]} kejadian pada {first:%Y-%m}; status {state}; ditangani data engineering.",
                    ticket_id=t.id,
                )
            )
            continue
        facts = (
            f"{counts[t.id]} kejadian pada {first:%Y-%m}; status {state}; severity "
            f"{SEVERITY_LABEL_ID.get(t.severity, t.severity)}; PIC {people.describe(t.responsible, 'role')}; "
            f"analisis: {t.root_cause or 'belum ada'}; recovery plan: {plan_text}."
        )
        item = AgendaItem(
            "repeat_defect" if t.repeat_flag else "defect",
            f"ticket:{t.id}",
            f"Tiket #{t.id} · {kpi_name(register, t.subject)}" + (" — berulang" if t.repeat_flag else ""),
            facts,
            ticket_id=t.id,
            kpi_id=t.subject,
        )
        (repeat if t.repeat_flag else defects).append(item)

    overdue = []
    for a in session.scalars(
        select(RecoveryAction)
        .join(DefectTicket, DefectTicket.id == RecoveryAction.ticket_id)
        .where(RecoveryAction.done_on.is_(None), RecoveryAction.due_date < as_of, DefectTicket.active_key.is_not(None))
        .order_by(RecoveryAction.id)
    ):
        overdue.append(
            AgendaItem(
                "overdue_action",
                f"recovery:{a.id}",
                f"Tindakan tiket #{a.ticket_id} lewat tenggat: {a.description}",
                f"[{a.kind}] penanggung jawab {people.describe(a.owner, 'role')}, tenggat {a.due_date}, belum selesai "
                f"per {as_of}.",
                ticket_id=a.ticket_id,
            )
        )
    for a, m in session.execute(
        select(ReviewAction, ReviewMinutes)
        .join(ReviewMinutes, ReviewMinutes.id == ReviewAction.minutes_id)
        .where(
            ReviewAction.done_on.is_(None),
            ReviewAction.due_date < as_of,
            ReviewMinutes.state == "final",
            ReviewMinutes.month < first,
        )
        .order_by(ReviewAction.id)
    ).all():
        overdue.append(
            AgendaItem(
                "overdue_action",
                f"review:{a.id}",
                f"Tindakan review {m.month:%Y-%m} lewat tenggat: {a.description}",
                f"[{ACTION_KIND_LABEL[a.kind]}] penanggung jawab {people.describe(a.owner, 'role')}, tenggat "
                f"{a.due_date}, belum selesai per {as_of} ({document_number(m.month, m.sequence)}).",
                ticket_id=a.ticket_id,
                kpi_id=a.kpi_id,
            )
        )

    # KPIs at risk: the month's value inside the warning band, or a miss that opened no ticket this
    # month (a monthly KPI whose month is not complete yet) — ISO 9001 6.1 risks, 9.1 evaluation.
    with_ticket = {t.subject for t in tickets}
    at_risk = []
    for v in session.scalars(
        select(KpiValue)
        .where(
            KpiValue.period_type == "month",
            KpiValue.period_start == first,
            KpiValue.scope == "all",
            KpiValue.evaluation.in_(["at_risk", "breach"]),
        )
        .order_by(KpiValue.kpi_id)
    ):
        if v.kpi_id in with_ticket:
            continue
        word = "dalam batas waspada" if v.evaluation == "at_risk" else "tidak tercapai"
        at_risk.append(
            AgendaItem(
                "kpi_at_risk",
                f"kpi:{v.kpi_id}",
                kpi_name(register, v.kpi_id),
                f"nilai bulan {first:%Y-%m} {format_number(v.value)} terhadap target {format_number(v.target)} "
                f"({word}; {v.days_covered} hari data; revisi register {v.register_rev})."
                if v.value is not None and v.target is not None
                else f"bulan {first:%Y-%m}: {word}.",
                kpi_id=v.kpi_id,
            )
        )
    return repeat + defects + incidents + overdue + at_risk
