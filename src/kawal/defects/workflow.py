"""People's side of defects (§4.5, §5.3.1–5.3.2): the PIC analyses, the Accountable decides the
recovery plan, the PIC records it done, the Accountable closes after the effectiveness check.

Each transition checks the role and the state (kawal.defects.lifecycle), claims the move in one
conditional UPDATE (two people at once: one wins, the other is refused and writes nothing) and
records an event. People's free text is bounded (kawal.free_text).

Dates are business dates on the site clock (``today``, injected; default kawal.settings.now_site):
a plan is decided ``on`` a day (default today) neither before the defect began nor after today, and
the curative actions are done on a day neither before the plan was decided nor after today — so an
effectiveness check cannot be back-dated (ISO 9001 §10.2: monitoring starts when the fix is in).
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kawal.defects import messages
from kawal.defects.lifecycle import PlannedAction, Refused, check_allowed, record
from kawal.defects.tickets import effectiveness, ticket
from kawal.free_text import bounded
from kawal.register import Register
from kawal.store.models import DefectEvent, DefectTicket, RecoveryAction


def _site_today() -> date:
    from kawal.settings import now_site

    return now_site().date()


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
    texts = {
        "root_cause": bounded("the root cause", root_cause.strip()),
        "coordinated_with": bounded("who was coordinated with", coordinated_with.strip()),
        "recommendation": bounded("the recommendation", recommendation.strip()),
    }
    record(session, t, "analysed", person, to_state, details=texts)
    t.root_cause, t.coordinated_with, t.recommendation = (
        texts["root_cause"],
        texts["coordinated_with"],
        texts["recommendation"],
    )
    if t.kind == "kpi_defect":
        messages.analysis_submitted(session, register, t)
    return t


def decide(
    session: Session,
    register: Register,
    ticket_id: int,
    person: str,
    actions: list[PlannedAction],
    today: date,
    *,
    on: date | None = None,
) -> DefectTicket:
    """§5.3.2: the Accountable decides the recovery plan (curative actions, owners, due dates) ``on`` a
    day (default ``today``; a past day replays history honestly, the event keeps when it was recorded)."""
    t = ticket(session, ticket_id)
    to_state = check_allowed(register, t, "decide", person)
    decided_on = on or today
    if decided_on > today:
        raise Refused(f"refused: --on {decided_on} is in the future (today is {today}, site time)")
    if decided_on < t.opened_on:
        raise Refused(f"refused: --on {decided_on} is before the defect began ({t.opened_on})")
    if not any(a.kind == "curative" for a in actions):
        raise Refused("refused: a recovery plan needs at least one curative action (--action)")
    for n, a in enumerate(actions, 1):
        bounded(f"the description of action {n}", a.description)
        if register.people.person(a.owner) is None:
            raise Refused(f"refused: action owner {a.owner!r} is not among the people in kpi_rules/people.yaml")
        if a.due_date < decided_on:
            raise Refused(f"refused: action {n} is due {a.due_date}, before the plan is decided ({decided_on})")
    record(
        session,
        t,
        "plan_decided",
        person,
        to_state,
        details={"actions": [a.__dict__ for a in actions], "decided_on": decided_on},
    )
    for a in actions:
        session.add(
            RecoveryAction(ticket_id=t.id, kind=a.kind, description=a.description, owner=a.owner, due_date=a.due_date)
        )
    session.flush()
    messages.plan_decided(session, register, t)
    return t


def plan_decided_on(session: Session, t: DefectTicket) -> date | None:
    """The business day the ticket's current recovery plan was decided (its latest ``plan_decided``
    event; an event recorded before decided dates were kept counts from the day it was recorded)."""
    from kawal.settings import in_site_time

    event = session.scalars(
        select(DefectEvent)
        .where(DefectEvent.ticket_id == t.id, DefectEvent.action == "plan_decided")
        .order_by(DefectEvent.id.desc())
    ).first()
    if event is None:
        return None
    decided = json.loads(event.details or "{}").get("decided_on")
    return date.fromisoformat(decided) if decided else in_site_time(event.at).date()


def verify(
    session: Session,
    register: Register,
    ticket_id: int,
    person: str,
    done_on: date | None = None,
    note: str = "",
    *,
    today: date | None = None,
) -> DefectTicket:
    """The curative actions were carried out on ``done_on`` (default today): the effectiveness
    monitoring begins that day. Not before the plan was decided, not after today (site clock)."""
    today = today or _site_today()
    done_on = done_on or today
    t = ticket(session, ticket_id)
    to_state = check_allowed(register, t, "verify", person)
    bounded("the note", note)
    if done_on > today:
        raise Refused(f"refused: --done-on {done_on} is in the future (today is {today}): record the actions once done")
    if done_on < t.opened_on:
        raise Refused(f"refused: actions cannot be done on {done_on}, before the defect began ({t.opened_on})")
    decided = plan_decided_on(session, t)
    if decided is not None and done_on < decided:
        raise Refused(
            f"refused: --done-on {done_on} is before the recovery plan was decided ({decided}): the effectiveness "
            "check starts once the decided actions are done (ISO 9001 10.2)"
        )
    record(session, t, "verified", person, to_state, details={"monitoring_since": done_on, "note": note or None})
    for action in session.scalars(
        select(RecoveryAction).where(RecoveryAction.ticket_id == t.id, RecoveryAction.kind == "curative")
    ):
        if action.done_on is None:
            action.done_on = done_on
    t.monitoring_since = done_on
    return t


def close(session: Session, register: Register, ticket_id: int, person: str, note: str = "") -> DefectTicket:
    """Close after the effectiveness check (KPI defect) or once the data is fixed (data incident)."""
    t = ticket(session, ticket_id)
    to_state = check_allowed(register, t, "close", person)
    details: dict = {"note": bounded("the note", note) or None}
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
