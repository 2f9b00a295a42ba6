"""The monthly review's minutes (Risalah Rapat, work instruction §4.7, §5.5).

At least monthly the Accountable and the PICs review everything and decide preventive/mitigating
and curative/corrective actions so a defect does not recur. This module:

- drafts the minutes of a month, pre-filled from the agenda (:mod:`kawal.review.agenda`);
- records attendees, the discussion and decision per item, and actions (kind, owner, due date,
  linked to a defect ticket or a KPI);
- finalizes them: frozen from then on (ISO 9001 7.5.3, control of documented information) with the
  SHA-256 of their content; a later change is a new addendum, never an edit;
- each decided action's progress, which the next monthly report shows, is :mod:`kawal.review.actions`.

Every function takes a session and changes nothing outside it; the caller owns the transaction.

Concurrency (issue #17: ``review finalize`` racing ``review item`` left final minutes whose frozen
hash no longer matched): every edit of a draft first bumps the document's version in one statement
``UPDATE review_minutes SET version=version+1 WHERE id=:id AND state='draft'`` (edits of one draft
queue behind each other; an edit after the freeze matches no row and is refused), and finalizing is
``… SET state='final' … WHERE state='draft' AND version=:read`` — so the hash is of exactly the content
it read, or the finalize is refused because the draft changed meanwhile. The loser writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kawal.free_text import bounded
from kawal.periods import days_of_month
from kawal.register import Register
from kawal.review.agenda import month_agenda
from kawal.review.terms import (
    ACTION_KINDS,
    ReviewError,
    document_number,
    month_text,
    now_utc,
    person_name,
    require_accountable,
)
from kawal.store.models import (
    DefectTicket,
    ReviewAction,
    ReviewAttendee,
    ReviewItem,
    ReviewMinutes,
)


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
            f"no review minutes for {month_text(first)}: draft them with `kawal review new {first:%Y-%m}`"
        )
    return docs[-1]


def current_draft(session: Session, first: date) -> ReviewMinutes:
    """The document of the month that may still be edited, or a clear refusal."""
    latest = _latest_document(session, first)
    if latest.state != "draft":
        raise ReviewError(
            f"the review minutes {document_number(first, latest.sequence)} of {month_text(first)} are final and "
            f"frozen (ISO 9001 7.5.3): record a change in an addendum — "
            f"`kawal review addendum {first:%Y-%m} --as <Accountable> --reason …`"
        )
    return latest


def _refused_changed(session: Session, minutes: ReviewMinutes, what: str) -> ReviewError:
    state = session.execute(select(ReviewMinutes.state).where(ReviewMinutes.id == minutes.id)).scalar_one()
    number = document_number(minutes.month, minutes.sequence)
    if state != "draft":
        return ReviewError(
            f"{number} was finalized a moment ago: {what} was not saved — record it in an addendum "
            f"(`kawal review addendum {minutes.month:%Y-%m} --as <Accountable> --reason …`)"
        )
    return ReviewError(
        f"{number} changed a moment ago (someone else edited it): {what} was not saved — look at it again "
        f"(`kawal review show {minutes.month:%Y-%m}`) and repeat the command"
    )


def _claim_edit(session: Session, minutes: ReviewMinutes) -> None:
    """An edit of the open draft, claimed before anything of it is read or written (see the module doc)."""
    moved = session.execute(
        update(ReviewMinutes)
        .where(ReviewMinutes.id == minutes.id, ReviewMinutes.state == "draft")
        .values(version=ReviewMinutes.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise _refused_changed(session, minutes, "the change")
    session.expire(minutes, ["version"])  # read again when next needed (a finalize in the same session)


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
    person_name(register, person)
    bounded("--place", place)
    docs = documents(session, first)
    if docs and docs[-1].state != "draft":
        current_draft(session, first)  # raises the "final: use an addendum" refusal
    if docs and docs[-1].sequence:
        raise ReviewError(
            f"an addendum of {month_text(first)} is open: fill it with `kawal review item|action` and finalize it"
        )
    if docs:
        minutes = docs[0]
        _claim_edit(session, minutes)
    else:
        if meeting_date < days_of_month(first)[-1]:
            raise ReviewError(
                f"--meeting-date {meeting_date}: the review of {month_text(first)} is held after the month ends "
                f"({days_of_month(first)[-1]})"
            )
        minutes = ReviewMinutes(
            month=first,
            sequence=0,
            state="draft",
            meeting_date=meeting_date,
            place=place,
            chair=register.people.accountable,
            created_at=now_utc(),
            created_by=person,
        )
        session.add(minutes)
        try:
            session.flush()
        except IntegrityError:  # drafted at the same moment by someone else: their draft stands
            raise ReviewError(
                f"the minutes of {month_text(first)} were drafted a moment ago by someone else: nothing of yours "
                f"was saved — run `kawal review new {first:%Y-%m}` again to top them up"
            ) from None
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
    person_name(register, person)
    minutes = current_draft(session, first)
    for pid in attendees:
        person_name(register, pid, "attendee")
    _claim_edit(session, minutes)
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
    person_name(register, person)
    minutes = current_draft(session, first)
    texts = {"title": title, "discussion": discussion, "decision": decision}
    for name, text in texts.items():
        bounded(f"--{name}", text)
        if name != "title" and text is not None and not text.strip():
            raise ReviewError(f"--{name} is empty")
    _claim_edit(session, minutes)
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
    person_name(register, person)
    minutes = current_draft(session, first)
    normalised = ACTION_KINDS.get(kind.strip().lower())
    if normalised is None:
        raise ReviewError(f"--kind {kind!r}: use preventive (mitigating) or curative (corrective)")
    if not description or not description.strip():
        raise ReviewError("--what is empty: say what will be done")
    bounded("--what", description)
    person_name(register, owner, "--owner")
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
    _claim_edit(session, minutes)
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
        "month": month_text(minutes.month),
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
    require_accountable(register, person, "finalize")
    minutes = current_draft(session, first)
    read_version = minutes.version  # the hash below is of the content of this version, or nothing is frozen
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
    frozen = session.execute(
        update(ReviewMinutes)
        .where(ReviewMinutes.id == minutes.id, ReviewMinutes.state == "draft", ReviewMinutes.version == read_version)
        .values(
            state="final",
            version=read_version + 1,
            finalized_at=now_utc(),
            finalized_by=person,
            content_sha256=content_sha256(doc),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if frozen != 1:
        raise _refused_changed(session, minutes, "the finalize")
    session.refresh(minutes)
    return minutes


def addendum(
    session: Session, register: Register, first: date, person: str, reason: str, meeting_date: date
) -> ReviewMinutes:
    """Open an addendum to the finalized minutes of the month (the only way to change them)."""
    require_accountable(register, person, "open an addendum to")
    if not reason or not reason.strip():
        raise ReviewError("--reason is empty: say why the minutes need an addendum")
    bounded("--reason", reason)
    latest = _latest_document(session, first)
    if latest.state != "final":
        raise ReviewError(
            f"{document_number(first, latest.sequence)} is still a draft: edit it directly, then finalize it"
        )
    # one addendum at a time: the document it follows is claimed (its version only; its content stays frozen)
    claimed = session.execute(
        update(ReviewMinutes)
        .where(ReviewMinutes.id == latest.id, ReviewMinutes.version == latest.version)
        .values(version=latest.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.expire(latest, ["version"])
    if claimed != 1:
        raise ReviewError(
            f"an addendum to {document_number(first, latest.sequence)} was opened a moment ago by someone else: "
            f"nothing of yours was saved (see `kawal review show {first:%Y-%m}`)"
        )
    doc = ReviewMinutes(
        month=first,
        sequence=latest.sequence + 1,
        state="draft",
        meeting_date=max(meeting_date, latest.meeting_date),
        place=latest.place,
        chair=register.people.accountable,
        reason=reason.strip(),
        created_at=now_utc(),
        created_by=person,
    )
    session.add(doc)
    session.flush()
    return doc


def verify_frozen(session: Session, minutes: ReviewMinutes) -> bool:
    """Whether a finalized document still says exactly what was frozen."""
    return minutes.content_sha256 == content_sha256(content(session, minutes))
