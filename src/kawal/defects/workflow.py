"""People's side of defects (§4.5, §5.3.1–5.3.2): the PIC analyses, the Accountable decides the
recovery plan, the PIC records it done, the Accountable closes after the effectiveness check.

Each transition checks the role and the state (kawal.defects.lifecycle) and records an event.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from kawal.defects import messages
from kawal.defects.lifecycle import PlannedAction, Refused, check_allowed, record
from kawal.register import Register
from kawal.store.models import DefectTicket, RecoveryAction

if TYPE_CHECKING:
    pass

from kawal.defects.tickets import effectiveness, ticket


def analyse(
    session: Session,
    register: Register,
    ticket_id: int,
    person: str,
    *,
    root_cause: str,
    coordinated_with: str,
    recommendation: str,
) -> DefectTicket:
    """§5.3.1: the PIC reports the analysis and recommendation (after coordinating with staff)."""
    t = ticket(session, ticket_id)
    to_state = check_allowed(register, t, "analyse", person)
    for name, text in (("root cause", root_cause), ("recommendation", recommendation)):
        if not text or not text.strip():
            raise Refused(f"refused: an analysis needs a {name}")
    t.root_cause, t.coordinated_with, t.recommendation = (
        root_cause.strip(),
        coordinated_with.strip(),
        recommendation.strip(),
    )
    record(
        session,
        t,
        "analysed",
        person,
        to_state,
        details={
            "root_cause": t.root_cause,
            "coordinated_with": t.coordinated_with,
            "recommendation": t.recommendation,
        },
    )
    if t.kind == "kpi_defect":
        messages.analysis_submitted(session, register, t)
    return t


def decide(
    session: Session, register: Register, ticket_id: int, person: str, actions: list[PlannedAction], today: date
) -> DefectTicket:
    """§5.3.2: the Accountable decides the recovery plan (curative actions, owners, due dates)."""
    t = ticket(session, ticket_id)
    to_state = check_allowed(register, t, "decide", person)
    if not any(a.kind == "curative" for a in actions):
        raise Refused("refused: a recovery plan needs at least one curative action (--action)")
    for a in actions:
        if register.people.person(a.owner) is None:
            raise Refused(f"refused: action owner {a.owner!r} is not among the people in kpi_rules/people.yaml")
        if a.due_date < today:
            raise Refused(f"refused: action {a.description!r} is due {a.due_date}, before today ({today})")
    for a in actions:
        session.add(
            RecoveryAction(ticket_id=t.id, kind=a.kind, description=a.description, owner=a.owner, due_date=a.due_date)
        )
    record(session, t, "plan_decided", person, to_state, details={"actions": [a.__dict__ for a in actions]})
    messages.plan_decided(session, register, t)
    return t


def verify(
    session: Session, register: Register, ticket_id: int, person: str, today: date, note: str = ""
) -> DefectTicket:
    """The curative actions are carried out: monitoring (the effectiveness check) begins today."""
    t = ticket(session, ticket_id)
    to_state = check_allowed(register, t, "verify", person)
    if today < t.opened_on:
        raise Refused(f"refused: actions cannot be done on {today}, before the defect began ({t.opened_on})")
    for action in session.scalars(
        select(RecoveryAction).where(RecoveryAction.ticket_id == t.id, RecoveryAction.kind == "curative")
    ):
        if action.done_on is None:
            action.done_on = today
    t.monitoring_since = today
    record(session, t, "verified", person, to_state, details={"monitoring_since": today, "note": note or None})
    return t


def close(session: Session, register: Register, ticket_id: int, person: str, note: str = "") -> DefectTicket:
    """Close after the effectiveness check (KPI defect) or once the data is fixed (data incident)."""
    t = ticket(session, ticket_id)
    to_state = check_allowed(register, t, "close", person)
    details: dict = {"note": note or None}
    if t.kind == "kpi_defect":
        streak, needed = effectiveness(session, register, t)
        if streak < needed:
            raise Refused(
                f"refused: ticket #{t.id} cannot be closed yet: KPI {t.subject} has been on target for {streak} of "
                f"the {needed} consecutive period(s) required since monitoring began on {t.monitoring_since} "
                "(effectiveness check, ISO 9001 10.2)"
            )
        details["periods_on_target"] = streak
    record(session, t, "closed", person, to_state, details=details)
    messages.closed(session, register, t)
    return t
