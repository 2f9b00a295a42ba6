"""Decided actions' progress (§5.5 → §5.4): done, open or past due; what the next report shows."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kawal.free_text import bounded
from kawal.periods import days_of_month
from kawal.register import Register
from kawal.review.terms import (
    ACTION_KIND_LABEL,
    STATUS_LABEL,
    ReviewError,
    document_number,
    kpi_name,
    person_name,
)
from kawal.store.models import (
    ReviewAction,
    ReviewMinutes,
)


def action_status(action: ReviewAction, as_of: date) -> str:
    if action.done_on is not None:
        return "done"
    return "overdue" if action.due_date < as_of else "open"


def mark_done(
    session: Session, register: Register, action_id: int, person: str, done_on: date, note: str | None = None
) -> ReviewAction:
    """The owner (or the Accountable) reports an action done. Progress, not an edit of the minutes."""
    person_name(register, person)
    action = session.get(ReviewAction, action_id)
    if action is None:
        raise ReviewError(f"review action {action_id} does not exist (see `kawal review show MONTH`)")
    minutes = session.get(ReviewMinutes, action.minutes_id)
    assert minutes is not None
    if minutes.state != "final":
        raise ReviewError(f"action {action_id} is on a draft: it is decided only when the minutes are finalized")
    if person not in (action.owner, register.people.accountable):
        raise ReviewError(
            f"refused: only the action's owner ({action.owner}) or the Accountable may report action {action_id} done"
        )
    if done_on < minutes.meeting_date:
        raise ReviewError(f"--on {done_on} is before the meeting that decided the action ({minutes.meeting_date})")
    bounded("--note", note)
    if action.done_on is not None and action.done_on != done_on:
        raise ReviewError(f"action {action_id} was already reported done on {action.done_on}")
    if action.done_on is None:
        # reported once: of two reports at the same moment the first stands (one conditional UPDATE)
        reported = session.execute(
            update(ReviewAction)
            .where(ReviewAction.id == action.id, ReviewAction.done_on.is_(None))
            .values(done_on=done_on, done_by=person, done_note=(note or "").strip() or None)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.refresh(action)
        if reported != 1 and action.done_on != done_on:
            raise ReviewError(f"action {action_id} was reported done on {action.done_on} a moment ago")
    return action


def actions_for_report(session: Session, register: Register, report_month: date, as_of: date) -> list[dict]:
    """The decided review actions the monthly report of ``report_month`` shows (§5.5 → §5.4): every action
    of the previous month's finalized minutes, and earlier ones still open or finished this month."""
    last = days_of_month(report_month)[-1]
    rows = session.execute(
        select(ReviewAction, ReviewMinutes)
        .join(ReviewMinutes, ReviewMinutes.id == ReviewAction.minutes_id)
        .where(ReviewMinutes.state == "final", ReviewMinutes.month < report_month)
        .order_by(ReviewMinutes.month, ReviewMinutes.sequence, ReviewAction.id)
    ).all()
    previous = (report_month.replace(day=1) - timedelta(days=1)).replace(day=1)
    out = []
    for a, m in rows:
        if not (m.month == previous or a.done_on is None or a.done_on >= report_month):
            continue
        status = action_status(a, as_of)
        shown = STATUS_LABEL[status] + (f" {a.done_on}" if a.done_on and a.done_on <= max(as_of, last) else "")
        link = f"tiket #{a.ticket_id}" if a.ticket_id is not None else ""
        if a.kpi_id:
            link = (link + " · " if link else "") + kpi_name(register, a.kpi_id)
        out.append(
            {
                "id": a.id,
                "minutes": document_number(m.month, m.sequence),
                "kind": ACTION_KIND_LABEL[a.kind],
                "description": a.description,
                "link": link,
                "owner": register.people.describe(a.owner, "role"),
                "due": a.due_date.isoformat(),
                "status": shown,
                "state": status,
            }
        )
    return out
