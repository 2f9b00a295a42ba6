"""Sign-off before disposal (issue #19; work instruction §6; ISO 9001:2015 7.5.3.2 "disposition").

The retention DAG no longer destroys what it finds expired on its own authority:

1. :func:`propose_disposal` — the records :func:`~kawal.records.disposal.plan_disposal` would dispose
   of on the run's day, each with the SHA-256 of its evidence *now*, are stored as the month's one
   :class:`DisposalSignoff` with the digest of that list (state ``proposed``), and the people who may
   dispose of records (``retention.yaml`` ``disposal_by``, default the Accountable) are mailed. A
   re-run of the month keeps that proposal: the list is never recomputed behind the approver's back.
2. :func:`decide` — one of them approves (or rejects, with a reason) that digest:
   ``kawal records approve-disposal 2026-02 --as om [--digest 3f2a…]``. Who, when and the digest are
   stored here, in Kawal's store, because the approval is a record (§7.5.3) itself.
3. :func:`dispose_signed_off` — only records of the approved list are disposed of, and only those
   still expired, not under a legal hold, not in use by a task, and whose evidence is still what was
   approved. Each disposal-log entry carries the sign-off (id, digest, who, when) inside its hash
   chain. A record that expired after the proposal is not in it: it waits for the next month's.
4. Unanswered by ``due_at`` (``retention.yaml`` ``signoff_days``, 14 by default): ``timed_out``;
   rejected: ``rejected``. Either way nothing is disposed of, and the row says so.

Why Kawal's own approval rather than Airflow's HITL ``ApprovalOperator``: docs/records-and-review.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kawal.errors import ExportAwaited, KawalError
from kawal.store.models import DisposalSignoff

if TYPE_CHECKING:
    from kawal.records.retention import RetentionTable
    from kawal.register import Register

log = logging.getLogger(__name__)

#: proposed → approved → disposed; proposed → rejected | timed_out (nothing disposed of)
STATES = ("proposed", "approved", "rejected", "timed_out", "disposed")


class SignoffAwaited(ExportAwaited):
    """The month's list awaits its sign-off: not a failure, the task is re-checked at ``recheck_at``
    (Airflow's reschedule, as a late export is; kawal.pipeline.airflow_glue)."""

    def __init__(self, month: date, recheck_at: datetime, due_at: datetime) -> None:
        Exception.__init__(
            self,
            f"disposal list {month:%Y-%m} awaits its sign-off (kawal records approve-disposal {month:%Y-%m} "
            f"--as PERSON) until {due_at:%Y-%m-%d %H:%M %Z}; next check {recheck_at:%H:%M:%S %Z}",
        )
        self.source, self.day, self.recheck_at, self.cutoff = "disposal-signoff", month, recheck_at, due_at


def recheck_interval() -> timedelta:
    """How often the retention run looks for the decision (``KAWAL_SIGNOFF_RECHECK_S``, default 1 hour)."""
    return timedelta(seconds=float(os.environ.get("KAWAL_SIGNOFF_RECHECK_S", 3600)))


def list_digest(month: date, as_of: date, records: list[dict]) -> str:
    doc = {"month": month.isoformat(), "as_of": as_of.isoformat(), "records": records}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _utc(moment: datetime) -> datetime:  # SQLite hands back naive UTC
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def summary(s: DisposalSignoff | None, month: date) -> dict:
    if s is None:
        return {"month": month.strftime("%Y-%m"), "state": "nothing", "records": []}
    return {
        "id": s.id,
        "month": s.month.strftime("%Y-%m"),
        "as_of": s.as_of.isoformat(),
        "state": s.state,
        "digest": s.digest,
        "record_count": s.record_count,
        "records": json.loads(s.records),
        "proposed_at": _utc(s.proposed_at).isoformat(),
        "due_at": _utc(s.due_at).isoformat(),
        "decided_by": s.decided_by,
        "decided_at": _utc(s.decided_at).isoformat() if s.decided_at else None,
        "note": s.note,
        "disposed_count": s.disposed_count,
    }


def _find(session: Session, month: date) -> DisposalSignoff | None:
    return session.scalars(select(DisposalSignoff).where(DisposalSignoff.month == month)).first()


def propose_disposal(engine: Engine, register: Register, as_of: date, table: RetentionTable | None = None) -> dict:
    """The month's proposed list (created once; a re-run returns the stored one unchanged)."""
    from kawal.records.disposal import checksum, evidence, plan_disposal
    from kawal.records.retention import load_retention
    from kawal.settings import kawal_home, landing_dir, now_site
    from kawal.store import session_scope

    table = table or load_retention(register=register)
    month = as_of.replace(day=1)
    with session_scope(engine) as s:
        found = _find(s, month)
        if found is not None:
            return summary(found, month)
        home, landing = kawal_home(), landing_dir()
        items = [
            {
                "type": d.record.record_type,
                "ref": d.record.ref,
                "retain_until": d.retain_until.isoformat(),
                "evidence_sha256": checksum(evidence(s, d.record, home, landing)),
            }
            for d in plan_disposal(s, register, as_of, table)
            if d.action == "dispose"
        ]
        if not items:  # nothing to sign off: no row, the next run proposes afresh
            return summary(None, month)
        now = now_site().astimezone(UTC)
        signoff = DisposalSignoff(
            month=month,
            as_of=as_of,
            proposed_at=now,
            due_at=now + timedelta(days=table.signoff_days),
            records=json.dumps(items, ensure_ascii=False, sort_keys=True),
            digest=list_digest(month, as_of, items),
            record_count=len(items),
            state="proposed",
        )
        s.add(signoff)
        s.flush()
        _ask(s, register, table, signoff)
        return summary(signoff, month)


def _ask(session: Session, register: Register, table: RetentionTable, signoff: DisposalSignoff) -> None:
    """Queue the request to the disposers (the daily run's outbox step delivers it)."""
    from kawal.notify.outbox import Mail, enqueue
    from kawal.settings import in_site_time

    month = f"{signoff.month:%Y-%m}"
    counts: dict[str, int] = {}
    for item in json.loads(signoff.records):
        counts[item["type"]] = counts.get(item["type"], 0) + 1
    enqueue(
        session,
        register,
        key=f"disposal-signoff:{month}",
        kind="disposal_signoff",
        ticket_id=None,
        to=table.disposers(register),
        cc=[],
        mail=Mail(
            subject=f"[Kawal] Persetujuan pemusnahan rekaman {month}: {signoff.record_count} rekaman",
            headline=f"{signoff.record_count} rekaman kedaluwarsa menunggu persetujuan pemusnahan",
            greeting="Yth. Bapak/Ibu,",
            intro=(
                "Rekaman berikut telah melewati masa simpannya (kpi_rules/retention.yaml, IK §6). Tidak ada "
                "yang dimusnahkan sebelum daftar ini disetujui."
            ),
            facts=[
                ("Bulan", month),
                ("Dinilai per", signoff.as_of.isoformat()),
                ("Digest daftar", signoff.digest),
                ("Batas persetujuan", f"{in_site_time(signoff.due_at):%Y-%m-%d %H:%M %Z}"),
                *[(t, str(n)) for t, n in sorted(counts.items())],
            ],
            expected=(
                "Periksa daftar, lalu setujui atau tolak sebelum batas waktu; tanpa jawaban tidak ada yang dimusnahkan."
            ),
            how_to_act=[
                f"kawal records signoff {month}",
                f"kawal records approve-disposal {month} --as PERSON --digest {signoff.digest[:12]}",
                f"kawal records reject-disposal {month} --as PERSON --reason …",
            ],
        ),
    )


def decide(
    engine: Engine,
    register: Register,
    month: date,
    person: str | None,
    *,
    approve: bool,
    digest: str | None = None,
    reason: str | None = None,
    table: RetentionTable | None = None,
) -> dict:
    """Record ``person``'s approval or rejection of the month's proposed list; one line if they may not."""
    from kawal.records.retention import load_retention, may_dispose
    from kawal.settings import now_site
    from kawal.store import session_scope

    table = table or load_retention(register=register)
    may_dispose(table, register, person, "approve or reject a disposal")  # §7.5.3.2: the disposers only
    if not approve and not (reason and reason.strip()):
        raise KawalError("--reason is empty: a rejection says why (the list is wrong, a hold is missing …)")
    shown = f"{month:%Y-%m}"
    with session_scope(engine) as s:
        signoff = _find(s, month)
        if signoff is None:
            raise KawalError(f"no disposal list proposed for {shown} (the retention DAG proposes one on day 1)")
        if signoff.state != "proposed":
            who = f" by {signoff.decided_by}" if signoff.decided_by else ""
            raise KawalError(f"the disposal list of {shown} is already {signoff.state}{who}: nothing changed")
        now = now_site().astimezone(UTC)
        if now >= _utc(signoff.due_at):  # the retention run records the time-out itself (await_signoff)
            raise KawalError(
                f"the disposal list of {shown} timed out on {_utc(signoff.due_at):%Y-%m-%d}: nothing is disposed "
                "of; the next month's run proposes again"
            )
        if digest is not None:
            wanted = digest.strip().lower()
            if len(wanted) < 8 or not signoff.digest.startswith(wanted):
                raise KawalError(
                    f"--digest {digest}: the list of {shown} has digest {signoff.digest[:12]}… (at least 8 "
                    "characters of it; `kawal records signoff` shows it)"
                )
        signoff.state = "approved" if approve else "rejected"
        signoff.decided_by, signoff.decided_at, signoff.decided_digest = person, now, signoff.digest
        signoff.note = None if approve else reason.strip()  # type: ignore[union-attr]
        s.flush()
        return summary(signoff, month)


def await_signoff(engine: Engine, month: date) -> dict:
    """The month's decision; :class:`SignoffAwaited` while it may still come; ``timed_out`` after ``due_at``."""
    from kawal.settings import now_site
    from kawal.store import session_scope

    with session_scope(engine) as s:
        signoff = _find(s, month)
        if signoff is None or signoff.state != "proposed":
            return summary(signoff, month)
        due = _utc(signoff.due_at)
        if now_site() < due:
            raise SignoffAwaited(month, min(datetime.now(UTC) + recheck_interval(), due), due)
        signoff.state, signoff.note = "timed_out", f"no decision by {due.isoformat()}"
        log.warning("disposal list %s: no decision by %s, timed out: nothing is disposed of", month, due)
        return summary(signoff, month)


def dispose_signed_off(engine: Engine, register: Register, month: date, table: RetentionTable | None = None) -> dict:
    """Dispose of the approved list's records that may still go; nothing unless the list was approved."""
    from kawal.records.disposal import dispose_expired
    from kawal.records.retention import load_retention
    from kawal.settings import now_site
    from kawal.store import session_scope

    table = table or load_retention(register=register)
    with session_scope(engine) as s:
        signoff = _find(s, month)
        if signoff is None or signoff.state != "approved":
            state = signoff.state if signoff else "nothing"
            if state in ("rejected", "timed_out"):
                log.warning("disposal list %s %s: nothing is disposed of (%s)", month, state, signoff.note)  # type: ignore[union-attr]
            return {"signoff": summary(signoff, month), "disposed": []}
        approved = {(r["type"], r["ref"]): r["evidence_sha256"] for r in json.loads(signoff.records)}
        as_of, actor = signoff.as_of, signoff.decided_by or "?"
        evidence_of_approval = {
            "id": signoff.id,
            "month": signoff.month.strftime("%Y-%m"),
            "digest": signoff.digest,
            "approved_by": signoff.decided_by,
            "approved_at": _utc(signoff.decided_at).isoformat() if signoff.decided_at else None,
        }
    result = dispose_expired(
        engine,
        register,
        as_of,
        dry_run=False,
        actor=actor,
        table=table,
        approved=approved,
        signoff=evidence_of_approval,
    )
    left = [d for d in result.decisions if (d.record.record_type, d.record.ref) in approved and d.action != "dispose"]
    with session_scope(engine) as s:
        signoff = _find(s, month)
        assert signoff is not None
        signoff.state, signoff.disposed_at = "disposed", now_site().astimezone(UTC)
        signoff.disposed_count = len(result.disposed)
        if left:
            signoff.note = "kept: " + ", ".join(f"{d.record.record_type}:{d.record.ref} ({d.action})" for d in left)
        out = summary(signoff, month)
    return {"signoff": out, **result.summary(), "disposed_records": result.disposed}
