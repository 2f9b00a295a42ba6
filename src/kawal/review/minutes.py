"""The monthly review's minutes (Risalah Rapat, work instruction §4.7, §5.5).

At least monthly the Accountable and the PICs review everything and decide preventive/mitigating
and curative/corrective actions so a defect does not recur. This module:

- drafts the minutes of a month, pre-filled from the store: repeat breaches first, then the month's
  defects and data incidents with their state, actions past their due date, KPIs at risk;
- records attendees, the discussion and decision per item, and actions (kind, owner, due date,
  linked to a defect ticket or a KPI);
- finalizes them: frozen from then on (ISO 9001 7.5.3, control of documented information) with the
  SHA-256 of their content; a later change is a new addendum, never an edit;
- tracks each decided action's progress, which the next monthly report shows (§5.5 → §5.4).

Every function takes a session and changes nothing outside it; the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kawal.errors import KawalError
from kawal.kpis.summary import format_number
from kawal.periods import days_of_month
from kawal.register import Register
from kawal.store.models import (
    DefectOccurrence,
    DefectTicket,
    KpiValue,
    RecoveryAction,
    ReviewAction,
    ReviewAttendee,
    ReviewItem,
    ReviewMinutes,
)

#: §4.7 names two kinds of effort: "preventif/mitigasi" and "kuratif/solutif". The words people type.
ACTION_KINDS = {
    "preventive": "preventive",
    "mitigating": "preventive",
    "preventif": "preventive",
    "mitigasi": "preventive",
    "curative": "curative",
    "corrective": "curative",
    "kuratif": "curative",
    "korektif": "curative",
}
ACTION_KIND_LABEL = {"preventive": "preventif/mitigasi", "curative": "kuratif/korektif"}

ITEM_KIND_LABEL = {
    "repeat_defect": "Defect berulang",
    "defect": "Defect KPI",
    "data_incident": "Insiden data",
    "overdue_action": "Tindakan lewat tenggat",
    "kpi_at_risk": "KPI berisiko",
    "other": "Lain-lain",
}

STATUS_LABEL = {"done": "selesai", "open": "berjalan", "overdue": "lewat tenggat"}


class ReviewError(KawalError):
    """A review step refused: one line saying what is wrong and what to do instead."""


def document_number(first: date, sequence: int) -> str:
    return f"KWL/RR/{first:%Y/%m}" + (f"-A{sequence}" if sequence else "")


def _now() -> datetime:
    return datetime.now(UTC)


def _month_text(first: date) -> str:
    return first.strftime("%Y-%m")


def _person(register: Register, person_id: str, what: str = "--as") -> str:
    if register.people.person(person_id) is None:
        raise ReviewError(f"{what} {person_id!r} is not among the people in kpi_rules/people.yaml")
    return person_id


def _require_accountable(register: Register, person_id: str, step: str) -> None:
    _person(register, person_id)
    if person_id != register.people.accountable:
        chair = register.people.describe(register.people.accountable, "id")
        raise ReviewError(f"refused: only the Accountable ({chair}) may {step} the review minutes (§4.7)")


def documents(session: Session, first: date) -> list[ReviewMinutes]:
    """The minutes of a month and their addenda, in order."""
    return list(
        session.scalars(select(ReviewMinutes).where(ReviewMinutes.month == first).order_by(ReviewMinutes.sequence))
    )


def _latest_document(session: Session, first: date) -> ReviewMinutes:
    """The month's newest document (the minutes or their latest addendum), or a clear refusal."""
    docs = documents(session, first)
    if not docs:
        raise ReviewError(
            f"no review minutes for {_month_text(first)}: draft them with `kawal review new {first:%Y-%m}`"
        )
    return docs[-1]


def current_draft(session: Session, first: date) -> ReviewMinutes:
    """The document of the month that may still be edited, or a clear refusal."""
    latest = _latest_document(session, first)
    if latest.state != "draft":
        raise ReviewError(
            f"the review minutes {document_number(first, latest.sequence)} of {_month_text(first)} are final and "
            f"frozen (ISO 9001 7.5.3): record a change in an addendum — "
            f"`kawal review addendum {first:%Y-%m} --as <Accountable> --reason …`"
        )
    return latest


# --- the agenda drawn from the month --------------------------------------------------------------


@dataclass(frozen=True)
class AgendaItem:
    kind: str
    ref: str
    title: str
    facts: str
    ticket_id: int | None = None
    kpi_id: str | None = None


def _kpi_name(register: Register, kpi_id: str) -> str:
    return register.kpi(kpi_id).name_id if register.has_kpi(kpi_id) else kpi_id


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
            f"Tiket #{t.id} · {_kpi_name(register, t.subject)}" + (" — berulang" if t.repeat_flag else ""),
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
                _kpi_name(register, v.kpi_id),
                f"nilai bulan {first:%Y-%m} {format_number(v.value)} terhadap target {format_number(v.target)} "
                f"({word}; {v.days_covered} hari data; revisi register {v.register_rev})."
                if v.value is not None and v.target is not None
                else f"bulan {first:%Y-%m}: {word}.",
                kpi_id=v.kpi_id,
            )
        )
    return repeat + defects + incidents + overdue + at_risk


# --- writing the minutes ------------------------------------------------------------------------


def draft_minutes(
    session: Session,
    register: Register,
    first: date,
    person: str,
    meeting_date: date,
    place: str | None = None,
) -> tuple[ReviewMinutes, int]:
    """Draft the month's minutes, or top up the open draft with agenda items that appeared since.

    Returns the draft and how many items were added. Re-running adds nothing twice (``ref``), and
    pre-filled facts are judged on the stored meeting date, so the same call gives the same draft.
    """
    _person(register, person)
    docs = documents(session, first)
    if docs and docs[-1].state != "draft":
        current_draft(session, first)  # raises the "final: use an addendum" refusal
    if docs and docs[-1].sequence:
        raise ReviewError(
            f"an addendum of {_month_text(first)} is open: fill it with `kawal review item|action` and finalize it"
        )
    if docs:
        minutes = docs[0]
    else:
        if meeting_date < days_of_month(first)[-1]:
            raise ReviewError(
                f"--meeting-date {meeting_date}: the review of {_month_text(first)} is held after the month ends "
                f"({days_of_month(first)[-1]})"
            )
        minutes = ReviewMinutes(
            month=first,
            sequence=0,
            state="draft",
            meeting_date=meeting_date,
            place=place,
            chair=register.people.accountable,
            created_at=_now(),
            created_by=person,
        )
        session.add(minutes)
        session.flush()
    items = list(session.scalars(select(ReviewItem).where(ReviewItem.minutes_id == minutes.id)))
    known = {i.ref for i in items if i.ref}
    number = max((i.number for i in items), default=0)
    added = 0
    for a in month_agenda(session, register, first, minutes.meeting_date):
        if a.ref in known:
            continue
        number += 1
        added += 1
        session.add(
            ReviewItem(
                minutes_id=minutes.id,
                number=number,
                kind=a.kind,
                ref=a.ref,
                ticket_id=a.ticket_id,
                kpi_id=a.kpi_id,
                title=a.title,
                facts=a.facts,
            )
        )
    session.flush()
    return minutes, added


def set_attendees(session: Session, register: Register, first: date, person: str, attendees: list[str]) -> list[str]:
    """Add people to the attendance list of the open draft (adding someone twice changes nothing)."""
    _person(register, person)
    minutes = current_draft(session, first)
    for pid in attendees:
        _person(register, pid, "attendee")
    present = set(session.scalars(select(ReviewAttendee.person).where(ReviewAttendee.minutes_id == minutes.id)))
    for pid in attendees:
        if pid not in present:
            session.add(ReviewAttendee(minutes_id=minutes.id, person=pid))
            present.add(pid)
    session.flush()
    return sorted(present)


def _item(session: Session, minutes: ReviewMinutes, number: int) -> ReviewItem:
    found = session.scalars(
        select(ReviewItem).where(ReviewItem.minutes_id == minutes.id, ReviewItem.number == number)
    ).first()
    if found is None:
        raise ReviewError(
            f"item {number} is not on {document_number(minutes.month, minutes.sequence)} "
            f"(see `kawal review show {minutes.month:%Y-%m}`)"
        )
    return found


def _check_ticket(session: Session, ticket_id: int) -> None:
    if session.get(DefectTicket, ticket_id) is None:
        raise ReviewError(f"--ticket {ticket_id}: ticket #{ticket_id} does not exist (see `kawal defects list`)")


def _check_kpi(register: Register, kpi_id: str) -> None:
    if not register.has_kpi(kpi_id):
        raise ReviewError(f"--kpi {kpi_id!r} is not a KPI of the register (see `kawal rules list`)")


def record_item(
    session: Session,
    register: Register,
    first: date,
    person: str,
    *,
    numbers: list[int],
    title: str | None = None,
    discussion: str | None = None,
    decision: str | None = None,
    ticket_id: int | None = None,
    kpi_id: str | None = None,
) -> list[ReviewItem]:
    """Write the discussion/decision of items ``numbers``, or, with none given, add a new item titled ``title``."""
    _person(register, person)
    minutes = current_draft(session, first)
    texts = {"discussion": discussion, "decision": decision}
    for name, text in texts.items():
        if text is not None and not text.strip():
            raise ReviewError(f"--{name} is empty")
    if not numbers:
        if not title or not title.strip():
            raise ReviewError("a new item needs --title (or give --item N to fill an existing item)")
        if ticket_id is not None:
            _check_ticket(session, ticket_id)
        if kpi_id is not None:
            _check_kpi(register, kpi_id)
        same = session.scalars(
            select(ReviewItem).where(ReviewItem.minutes_id == minutes.id, ReviewItem.title == title.strip())
        ).first()
        if same is not None and (same.ticket_id, same.kpi_id) == (ticket_id, kpi_id):
            raise ReviewError(f"item {same.number} already has this title: fill it with `--item {same.number}` instead")
        number = 1 + max(
            session.scalars(select(ReviewItem.number).where(ReviewItem.minutes_id == minutes.id)).all(), default=0
        )
        item = ReviewItem(
            minutes_id=minutes.id,
            number=number,
            kind="other",
            ref=None,
            ticket_id=ticket_id,
            kpi_id=kpi_id,
            title=title.strip(),
            facts="",
            discussion=discussion.strip() if discussion else None,
            decision=decision.strip() if decision else None,
        )
        session.add(item)
        session.flush()
        return [item]
    if title or ticket_id is not None or kpi_id is not None:
        raise ReviewError(
            "--title/--ticket/--kpi describe a new item; to fill item(s) give only --discussion/--decision"
        )
    if discussion is None and decision is None:
        raise ReviewError("nothing to record: give --discussion and/or --decision")
    items = [_item(session, minutes, n) for n in numbers]
    for item in items:
        if discussion is not None:
            item.discussion = discussion.strip()
        if decision is not None:
            item.decision = decision.strip()
    session.flush()
    return items


def add_action(
    session: Session,
    register: Register,
    first: date,
    person: str,
    *,
    kind: str,
    description: str,
    owner: str,
    due: date,
    item_number: int | None = None,
    ticket_id: int | None = None,
    kpi_id: str | None = None,
) -> ReviewAction:
    """Record an action decided in the review, linked to its defect ticket or KPI (the item's by default)."""
    _person(register, person)
    minutes = current_draft(session, first)
    normalised = ACTION_KINDS.get(kind.strip().lower())
    if normalised is None:
        raise ReviewError(f"--kind {kind!r}: use preventive (mitigating) or curative (corrective)")
    if not description or not description.strip():
        raise ReviewError("--what is empty: say what will be done")
    _person(register, owner, "--owner")
    if due < minutes.meeting_date:
        raise ReviewError(f"--due {due} is before the meeting ({minutes.meeting_date})")
    if item_number is not None:
        item = _item(session, minutes, item_number)
        ticket_id = ticket_id if ticket_id is not None else item.ticket_id
        kpi_id = kpi_id if kpi_id is not None else item.kpi_id
    if ticket_id is not None:
        _check_ticket(session, ticket_id)
        if kpi_id is None:
            t = session.get(DefectTicket, ticket_id)
            kpi_id = t.subject if t is not None and t.kind == "kpi_defect" else None
    if kpi_id is not None:
        _check_kpi(register, kpi_id)
    if ticket_id is None and kpi_id is None:
        raise ReviewError(
            "an action is linked to its defect or KPI: give --ticket ID or --kpi ID (or an --item with one)"
        )
    same = session.scalars(
        select(ReviewAction).where(
            ReviewAction.minutes_id == minutes.id,
            ReviewAction.kind == normalised,
            ReviewAction.description == description.strip(),
            ReviewAction.owner == owner,
            ReviewAction.due_date == due,
        )
    ).first()
    if same is not None and (same.ticket_id, same.kpi_id, same.item_number) == (ticket_id, kpi_id, item_number):
        return same  # the same command typed twice records one action
    action = ReviewAction(
        minutes_id=minutes.id,
        item_number=item_number,
        kind=normalised,
        description=description.strip(),
        owner=owner,
        due_date=due,
        ticket_id=ticket_id,
        kpi_id=kpi_id,
    )
    session.add(action)
    session.flush()
    return action


def content(session: Session, minutes: ReviewMinutes) -> dict:
    """What the document says (header, attendees, items, decided actions) — no progress, no timestamps
    of later steps: the part that is frozen and hashed."""
    attendees = sorted(session.scalars(select(ReviewAttendee.person).where(ReviewAttendee.minutes_id == minutes.id)))
    items = session.scalars(
        select(ReviewItem).where(ReviewItem.minutes_id == minutes.id).order_by(ReviewItem.number)
    ).all()
    actions = session.scalars(
        select(ReviewAction).where(ReviewAction.minutes_id == minutes.id).order_by(ReviewAction.id)
    ).all()
    return {
        "document_number": document_number(minutes.month, minutes.sequence),
        "month": _month_text(minutes.month),
        "sequence": minutes.sequence,
        "meeting_date": minutes.meeting_date.isoformat(),
        "place": minutes.place,
        "chair": minutes.chair,
        "reason": minutes.reason,
        "attendees": attendees,
        "items": [
            {
                "number": i.number,
                "kind": i.kind,
                "ref": i.ref,
                "ticket_id": i.ticket_id,
                "kpi_id": i.kpi_id,
                "title": i.title,
                "facts": i.facts,
                "discussion": i.discussion,
                "decision": i.decision,
            }
            for i in items
        ],
        "actions": [
            {
                "id": a.id,
                "item": a.item_number,
                "kind": a.kind,
                "description": a.description,
                "owner": a.owner,
                "due_date": a.due_date.isoformat(),
                "ticket_id": a.ticket_id,
                "kpi_id": a.kpi_id,
            }
            for a in actions
        ],
    }


def content_sha256(doc: dict) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def finalize(session: Session, register: Register, first: date, person: str) -> ReviewMinutes:
    """Freeze the open draft (§4.7: the Accountable chairs and signs off)."""
    _require_accountable(register, person, "finalize")
    minutes = current_draft(session, first)
    doc = content(session, minutes)
    number = doc["document_number"]
    problems = []
    if minutes.chair not in doc["attendees"]:
        problems.append(f"the chair ({minutes.chair}) is not among the attendees (`kawal review attendees`)")
    if minutes.sequence == 0 and len(doc["attendees"]) < 2:
        problems.append("§4.7: the Accountable reviews together with the PICs: record the PICs who attended")
    if minutes.sequence and not doc["items"] and not doc["actions"]:
        problems.append("an addendum must record at least one item or action")
    undiscussed = [str(i["number"]) for i in doc["items"] if not i["discussion"]]
    if undiscussed:
        problems.append(
            f"item(s) {', '.join(undiscussed)} have no discussion (`kawal review item --item N --discussion …`)"
        )
    with_prevention = {a["item"] for a in doc["actions"] if a["kind"] == "preventive"}
    repeats = [
        str(i["number"]) for i in doc["items"] if i["kind"] == "repeat_defect" and i["number"] not in with_prevention
    ]
    if repeats:
        problems.append(
            f"repeat defect item(s) {', '.join(repeats)} need a preventive action so they do not recur (§4.7)"
        )
    if problems:
        raise ReviewError(f"{number} cannot be finalized yet: " + "; ".join(problems))
    minutes.state = "final"
    minutes.finalized_at = _now()
    minutes.finalized_by = person
    minutes.content_sha256 = content_sha256(doc)
    session.flush()
    return minutes


def addendum(
    session: Session, register: Register, first: date, person: str, reason: str, meeting_date: date
) -> ReviewMinutes:
    """Open an addendum to the finalized minutes of the month (the only way to change them)."""
    _require_accountable(register, person, "open an addendum to")
    if not reason or not reason.strip():
        raise ReviewError("--reason is empty: say why the minutes need an addendum")
    latest = _latest_document(session, first)
    if latest.state != "final":
        raise ReviewError(
            f"{document_number(first, latest.sequence)} is still a draft: edit it directly, then finalize it"
        )
    doc = ReviewMinutes(
        month=first,
        sequence=latest.sequence + 1,
        state="draft",
        meeting_date=max(meeting_date, latest.meeting_date),
        place=latest.place,
        chair=register.people.accountable,
        reason=reason.strip(),
        created_at=_now(),
        created_by=person,
    )
    session.add(doc)
    session.flush()
    return doc


def verify_frozen(session: Session, minutes: ReviewMinutes) -> bool:
    """Whether a finalized document still says exactly what was frozen."""
    return minutes.content_sha256 == content_sha256(content(session, minutes))


# --- actions' progress -------------------------------------------------------------------------


def action_status(action: ReviewAction, as_of: date) -> str:
    if action.done_on is not None:
        return "done"
    return "overdue" if action.due_date < as_of else "open"


def mark_done(
    session: Session, register: Register, action_id: int, person: str, done_on: date, note: str | None = None
) -> ReviewAction:
    """The owner (or the Accountable) reports an action done. Progress, not an edit of the minutes."""
    _person(register, person)
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
    if action.done_on is not None and action.done_on != done_on:
        raise ReviewError(f"action {action_id} was already reported done on {action.done_on}")
    action.done_on, action.done_by, action.done_note = done_on, person, (note or "").strip() or None
    session.flush()
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
            link = (link + " · " if link else "") + _kpi_name(register, a.kpi_id)
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
