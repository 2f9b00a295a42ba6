"""The defect lifecycle (§4.5, §5.3.1–5.3.2; ISO 9001 8.7 and 10.2) as a state machine with roles.

KPI defect::

    open ──analyse (PIC)──▶ analysed ──decide (Accountable)──▶ plan_decided
      ▲                                                            │ verify (PIC or Accountable:
      │ breach during monitoring (pipeline)                        ▼  curative actions carried out)
    reopened ◀──────────────────────────────────────────────── monitoring ──close (Accountable,
      │ analyse (PIC) ─▶ analysed …                                         effectiveness check)──▶ closed

Data incident (bad or missing source data, routed to data engineering)::

    open ──analyse (data engineering)──▶ analysed ──close (data engineering: data re-delivered)──▶ closed

Every change appends a :class:`~kawal.store.models.DefectEvent`; nothing is ever edited in place.

A transition is *claimed* in one statement — ``UPDATE defect_ticket SET state=:to, version=version+1
WHERE id=:id AND state=:read AND version=:read`` — and its row count checked (issue #17: two people
analysing one ticket at once both succeeded, the mail carrying the analysis that was not kept). Of two
racers exactly one matches the row; the other is refused with one line and its transaction, with
everything else it wrote, is rolled back (ISO 9001 §7.5.3: a record says what was decided, once).
The conditional UPDATE holds on SQLite (one writer at a time; ``SELECT … FOR UPDATE`` is a no-op
there) and on PostgreSQL (the second UPDATE waits for the first to commit, then matches no row).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from kawal.errors import KawalError
from kawal.register import Register
from kawal.store.models import DefectEvent, DefectTicket


class State(StrEnum):
    open = "open"
    analysed = "analysed"
    plan_decided = "plan_decided"
    monitoring = "monitoring"
    closed = "closed"
    reopened = "reopened"

    @property
    def label_id(self) -> str:
        return {
            "open": "terbuka",
            "analysed": "sudah dianalisis",
            "plan_decided": "recovery plan diputuskan",
            "monitoring": "pemantauan",
            "closed": "ditutup",
            "reopened": "dibuka kembali",
        }[self.value]


#: Severity as the site says it (Indonesian), for mails and the report.
SEVERITY_LABEL_ID = {"minor": "minor", "major": "mayor", "critical": "kritis"}


class Role(StrEnum):
    pic = "pic"  # the KPI's PIC (Responsible)
    accountable = "accountable"  # the Operations Manager
    data_engineering = "data_engineering"


#: (kind, action, from state) → (to state, roles allowed)
TRANSITIONS: dict[tuple[str, str, State], tuple[State, frozenset[Role]]] = {
    ("kpi_defect", "analyse", State.open): (State.analysed, frozenset({Role.pic})),
    ("kpi_defect", "analyse", State.reopened): (State.analysed, frozenset({Role.pic})),
    ("kpi_defect", "decide", State.analysed): (State.plan_decided, frozenset({Role.accountable})),
    ("kpi_defect", "verify", State.plan_decided): (State.monitoring, frozenset({Role.pic, Role.accountable})),
    ("kpi_defect", "close", State.monitoring): (State.closed, frozenset({Role.accountable})),
    ("data_incident", "analyse", State.open): (State.analysed, frozenset({Role.data_engineering})),
    ("data_incident", "close", State.analysed): (State.closed, frozenset({Role.data_engineering})),
}


class Refused(KawalError):
    """An action not allowed in the ticket's state or for the person's role: one clear line."""


def roles_of(register: Register, ticket: DefectTicket, person_id: str) -> set[Role]:
    roles = set()
    if person_id == register.people.accountable:
        roles.add(Role.accountable)
    if ticket.kind == "kpi_defect" and person_id == ticket.responsible:
        roles.add(Role.pic)
    if person_id in register.people.data_engineering:
        roles.add(Role.data_engineering)
    return roles


def check_allowed(register: Register, ticket: DefectTicket, action: str, person_id: str) -> State:
    """The state ``action`` leads to, or :class:`Refused` naming what is wrong."""
    if register.people.person(person_id) is None:
        raise Refused(f"refused: {person_id!r} is not among the people in kpi_rules/people.yaml")
    state = State(ticket.state)
    transition = TRANSITIONS.get((ticket.kind, action, state))
    if transition is None:
        possible = sorted(a for (k, a, s) in TRANSITIONS if k == ticket.kind and s is state)
        hint = f"; possible now: {', '.join(possible)}" if possible else ""
        raise Refused(f"refused: ticket #{ticket.id} is {state.value}: cannot {action} it{hint}")
    to_state, allowed = transition
    if not roles_of(register, ticket, person_id) & allowed:
        names = []
        for role in sorted(allowed):
            if role is Role.pic:
                names.append(f"its PIC {register.people.describe(ticket.responsible, 'id')}")
            elif role is Role.accountable:
                names.append(f"the Accountable {register.people.describe(register.people.accountable, 'id')}")
            else:
                names.append("data engineering")
        raise Refused(
            f"refused: {register.people.describe(person_id, 'id')} may not {action} ticket #{ticket.id} "
            f"({ticket.subject}); only {' or '.join(names)} may"
        )
    return to_state


def record(
    session: Session,
    ticket: DefectTicket,
    action: str,
    actor: str,
    to_state: State | None = None,
    details: dict | None = None,
    at: datetime | None = None,
) -> DefectEvent:
    """Append an event (and move the ticket) — the only way a ticket changes. A move is claimed
    first (:func:`claim`): a racer that lost is refused before anything of its own is written."""
    from_state = ticket.state
    if to_state is not None:
        claim(session, ticket, to_state)
    event = DefectEvent(
        ticket_id=ticket.id,
        at=at or datetime.now(UTC),
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=(to_state or State(ticket.state)).value,
        details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str) if details else None,
    )
    session.add(event)
    if to_state is not None:
        if to_state is State.closed:
            ticket.active_key = None
            ticket.closed_at = event.at
    session.flush()
    return event


def claim(session: Session, ticket: DefectTicket, to_state: State) -> None:
    """Move ``ticket`` to ``to_state`` if it is still in the state and version it was read in — in one
    conditional UPDATE — or refuse with one line saying what it is now."""
    read_state, read_version = ticket.state, ticket.version
    moved = session.execute(
        update(DefectTicket)
        .where(DefectTicket.id == ticket.id, DefectTicket.state == read_state, DefectTicket.version == read_version)
        .values(state=to_state.value, version=read_version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        now = session.execute(select(DefectTicket.state).where(DefectTicket.id == ticket.id)).scalar_one()
        raise Refused(
            f"refused: ticket #{ticket.id} is already {now}: someone else acted on it a moment ago and nothing of "
            f"yours was saved (see `kawal defects show {ticket.id}`)"
        )
    # the row says so already: the session's copy follows without a second UPDATE
    set_committed_value(ticket, "state", to_state.value)
    set_committed_value(ticket, "version", read_version + 1)


@dataclass(frozen=True)
class PlannedAction:
    """One action of a recovery plan as the Accountable decides it."""

    kind: str  # curative | preventive
    description: str
    owner: str
    due_date: date
