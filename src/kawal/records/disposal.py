"""Disposal of expired records (work instruction §6; ISO 9001:2015 7.5.3.2), never silently.

- :func:`inventory` lists every record Kawal holds, one :class:`Record` per record type × ref, with
  the date its retention counts from.
- :func:`plan_disposal` keeps the expired ones and says for each whether it will be disposed of, is
  under a legal hold, or is left for a person (``dispose: false`` in the retention table).
- :func:`dispose_expired` (dry-run or real) disposes of each record in its own transaction and writes
  one :class:`~kawal.store.models.DisposalLog` entry with what, when, why and the SHA-256 of what was
  destroyed. A record gone is no longer in the inventory, so a re-run disposes of nothing twice.

Who and when (issue #17): a real disposal is done by the people ``retention.yaml: disposal_by`` names
(default the Accountable) or by the retention DAG under that table; it judges expiry on today at the
latest (site clock); a record a pipeline task still needs is left for the next run (action
``in_use``): a batch still ``received`` (its KPIs not computed yet) or a day a running task holds a
lock on (:mod:`kawal.records.day_locks`). Every log entry extends the hash chain of
:mod:`kawal.records.log_chain`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from kawal.errors import KawalError
from kawal.periods import days_of_month
from kawal.records.day_locks import day_in_use, disposal_of_day
from kawal.records.log_chain import GENESIS, entry_sha256
from kawal.records.retention import RECORD_TYPES, RetentionTable, load_retention
from kawal.register import Register
from kawal.settings import in_site_time, kawal_home, landing_dir, now_site
from kawal.store.db import session_scope
from kawal.store.models import (
    Base,
    DefectEvent,
    DefectOccurrence,
    DefectTicket,
    DisposalLog,
    IngestionBatch,
    KpiValue,
    LegalHold,
    Notification,
    RecoveryAction,
    ReportDelivery,
    ReviewAction,
    ReviewAttendee,
    ReviewItem,
    ReviewMinutes,
)

_DATED_FILE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_MONTH_DIR = re.compile(r"^\d{4}-\d{2}$")


@dataclass(frozen=True)
class Record:
    """One retained record: its type, a ref people can read, and what it consists of."""

    record_type: str
    ref: str
    record_date: date
    description: str
    files: tuple[Path, ...] = ()
    #: rows removed on disposal, children first: (table name, id)
    rows: tuple[tuple[str, int], ...] = ()
    #: validation results are a column of a batch that stays: (table, id, column) set to NULL
    cleared: tuple[tuple[str, int, str], ...] = ()


@dataclass(frozen=True)
class Decision:
    record: Record
    retain_until: date
    #: 'dispose', 'held', 'manual', 'in_use' (a pipeline task still needs it); under a sign-off also
    #: 'unapproved' (expired since the list was approved: waits for the next one) and 'changed'
    #: (its content is no longer what was approved: kept, proposed again next time)
    action: str
    holds: tuple[int, ...] = ()
    reason: str = ""
    in_use: str = ""  # action 'in_use': by what


@dataclass
class DisposalResult:
    as_of: date
    dry_run: bool
    decisions: list[Decision] = field(default_factory=list)
    disposed: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        actions = ("dispose", "held", "manual", "in_use", "unapproved", "changed")
        count = {a: sum(d.action == a for d in self.decisions) for a in actions}
        return {
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "expired": len(self.decisions),
            "to_dispose": count["dispose"],
            "held": count["held"],
            "manual": count["manual"],
            "in_use": count["in_use"],
            "unapproved": count["unapproved"],
            "changed": count["changed"],
            "disposed": len(self.disposed),
            "records": [
                {
                    "type": d.record.record_type,
                    "ref": d.record.ref,
                    "retain_until": d.retain_until.isoformat(),
                    "action": d.action,
                    **({"why": d.in_use} if d.in_use else {}),
                }
                for d in self.decisions
            ],
        }


def _dated_name(name: str) -> date | None:
    found = _DATED_FILE.search(name)
    if not found:
        return None
    try:
        return date.fromisoformat(found.group(1))
    except ValueError:
        return None


def _month_end(first: date) -> date:
    return days_of_month(first)[-1]


def _files_under(folder: Path) -> tuple[Path, ...]:
    return tuple(sorted(p for p in folder.rglob("*") if p.is_file())) if folder.is_dir() else ()


def _ids(session: Session, column, *where) -> list[int]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(column).where(*where).order_by(column)))


def inventory(
    session: Session, register: Register, home: Path | None = None, landing: Path | None = None
) -> list[Record]:
    """Every record Kawal holds, by record type (order of the retention table)."""
    home = home or kawal_home()
    landing = landing or landing_dir()
    out: list[Record] = []

    # register revisions: a revision is a record from the day it stops being in force (§7)
    for rev, nxt in zip(register.revisions, register.revisions[1:], strict=False):
        out.append(
            Record(
                "register_revision",
                f"rev-{rev.rev}",
                nxt.effective_from - timedelta(days=1),
                f"revisi {rev.rev} (berlaku {rev.effective_from}, digantikan {nxt.effective_from}): {rev.description}",
            )
        )

    # monthly reports with their delivery proofs
    months = set(session.scalars(select(ReportDelivery.month)))
    reports = home / "reports"
    if reports.is_dir():
        months |= {
            date.fromisoformat(p.name + "-01") for p in reports.iterdir() if p.is_dir() and _MONTH_DIR.match(p.name)
        }
    for first in sorted(months):
        deliveries = list(session.scalars(select(ReportDelivery).where(ReportDelivery.month == first)))
        rows = [("report_delivery", d.id) for d in deliveries] + [
            ("notification", d.notification_id) for d in deliveries
        ]
        out.append(
            Record(
                "monthly_report",
                first.strftime("%Y-%m"),
                _month_end(first),
                f"laporan {first:%Y-%m}: {len(deliveries)} edisi terkirim",
                _files_under(reports / first.strftime("%Y-%m")),
                tuple(rows),
            )
        )

    # review minutes (all documents of a month together: addenda belong to their minutes)
    months = set(session.scalars(select(ReviewMinutes.month)))
    reviews = home / "reviews"
    if reviews.is_dir():
        months |= {
            date.fromisoformat(p.name + "-01") for p in reviews.iterdir() if p.is_dir() and _MONTH_DIR.match(p.name)
        }
    for first in sorted(months):
        docs = _ids(session, ReviewMinutes.id, ReviewMinutes.month == first)
        rows = (
            [("review_action", i) for i in _ids(session, ReviewAction.id, ReviewAction.minutes_id.in_(docs))]
            + [("review_item", i) for i in _ids(session, ReviewItem.id, ReviewItem.minutes_id.in_(docs))]
            + [("review_attendee", i) for i in _ids(session, ReviewAttendee.id, ReviewAttendee.minutes_id.in_(docs))]
            + [("review_minutes", i) for i in docs]
        )
        out.append(
            Record(
                "review_minutes",
                first.strftime("%Y-%m"),
                _month_end(first),
                f"risalah rapat {first:%Y-%m}: {len(docs)} dokumen",
                _files_under(reviews / first.strftime("%Y-%m")),
                tuple(rows),
            )
        )

    # closed defect tickets with their whole history; an active ticket is never a candidate
    for t in session.scalars(
        select(DefectTicket).where(DefectTicket.closed_at.is_not(None), DefectTicket.active_key.is_(None))
    ):
        rows = (
            [("notification", i) for i in _ids(session, Notification.id, Notification.ticket_id == t.id)]
            + [("recovery_action", i) for i in _ids(session, RecoveryAction.id, RecoveryAction.ticket_id == t.id)]
            + [("defect_event", i) for i in _ids(session, DefectEvent.id, DefectEvent.ticket_id == t.id)]
            + [("defect_occurrence", i) for i in _ids(session, DefectOccurrence.id, DefectOccurrence.ticket_id == t.id)]
            + [("defect_ticket", t.id)]
        )
        out.append(
            Record(
                "defect_ticket",
                f"ticket-{t.id}",
                in_site_time(t.closed_at).date(),  # type: ignore[arg-type]
                f"tiket #{t.id} {t.kind} {t.subject} ({t.scope}), dibuka {t.opened_on}, ditutup",
                rows=tuple(rows),
            )
        )

    # objective evidence: the source files as delivered (their name carries the business day), the
    # exports of an active mapping by its own file.pattern (e.g. calls_20261001.csv) as well
    if landing.is_dir():
        from kawal.records.retention import mapped_file_days

        mapped = mapped_file_days(landing)
        for path in sorted(p for p in landing.rglob("*") if p.is_file() and not p.is_symlink()):
            ref = path.relative_to(landing).as_posix()
            day = mapped.get(ref) or _dated_name(path.name)
            if day is not None:
                out.append(Record("source_file", ref, day, "berkas sumber", (path,)))

    for b in session.scalars(select(IngestionBatch).order_by(IngestionBatch.id)):
        if b.state == "quarantined":
            out.append(
                Record(
                    "quarantined_batch",
                    f"batch-{b.id}",
                    b.business_date,
                    f"batch karantina {b.source} {b.business_date} ({b.file_name}): {b.reason or '—'}",
                    rows=(("ingestion_batch", b.id),),
                )
            )
        elif b.validation is not None:
            out.append(
                Record(
                    "validation_result",
                    f"batch-{b.id}",
                    b.business_date,
                    f"hasil validasi {b.source} {b.business_date}",
                    cleared=(("ingestion_batch", b.id, "validation"),),
                )
            )
    order = {t: i for i, t in enumerate(RECORD_TYPES)}
    return sorted(out, key=lambda r: (order[r.record_type], r.record_date, r.ref))


def active_holds(session: Session) -> list[LegalHold]:
    return list(session.scalars(select(LegalHold).where(LegalHold.released_at.is_(None)).order_by(LegalHold.id)))


def holds_on(record: Record, holds: list[LegalHold]) -> tuple[int, ...]:
    return tuple(
        h.id
        for h in holds
        if h.record_type in ("*", record.record_type) and fnmatch.fnmatchcase(record.ref, h.ref_pattern)
    )


def _reason(table: RetentionTable, record: Record, until: date) -> str:
    rule = table.record_types[record.record_type]
    basis = (
        f"akhir tahun {record.record_date.year}" if table.count_from.value == "end_of_year" else str(record.record_date)
    )
    return (
        f"masa simpan {rule.years} tahun untuk {record.record_type} (kpi_rules/retention.yaml, IK §6) berakhir "
        f"{until}, dihitung dari {basis}"
    )


def plan_disposal(
    session: Session, register: Register, as_of: date, table: RetentionTable | None = None
) -> list[Decision]:
    """The expired records on ``as_of`` and what happens to each (dispose, held, manual)."""
    table = table or load_retention()
    holds = active_holds(session)
    pending = _pending_batches(session)
    leased: dict[date, bool] = {}  # business day → read by a running task (probed once per day)
    out = []
    for record in inventory(session, register):
        until = table.retain_until(record.record_type, record.record_date)
        if until > as_of:
            continue
        held = holds_on(record, holds)
        in_use = ""
        if held:
            action = "held"
        elif not table.record_types[record.record_type].dispose:
            action = "manual"
        elif in_use := _needed_by_pipeline(session.get_bind(), record, pending, leased):
            action = "in_use"
        else:
            action = "dispose"
        out.append(Decision(record, until, action, held, _reason(table, record, until), in_use))
    return out


#: the record types a daily pipeline task reads (its landing file, its batch's validation and staging)
_PIPELINE_TYPES = ("source_file", "validation_result", "quarantined_batch")


def _pending_batches(session: Session) -> dict[str, IngestionBatch]:
    """Batches ingested whose KPIs are not computed yet: their compute task will read the file."""
    found = list(session.scalars(select(IngestionBatch).where(IngestionBatch.state == "received")))
    return {b.file_name: b for b in found} | {f"batch-{b.id}": b for b in found}


def _needed_by_pipeline(
    engine: Engine | None, record: Record, pending: dict[str, IngestionBatch], leased: dict[date, bool]
) -> str:
    if record.record_type not in _PIPELINE_TYPES:
        return ""
    batch = pending.get(record.ref)
    if batch is not None:
        return f"batch {batch.id} is still 'received': its KPIs are not computed yet"
    if engine is not None:
        if record.record_date not in leased:
            leased[record.record_date] = day_in_use(engine, record.record_date)
        if leased[record.record_date]:
            return f"a running task reads the records of {record.record_date}"
    return ""


def _row(session: Session, table: str, row_id: int) -> dict | None:
    t = Base.metadata.tables[table]
    found = session.execute(select(t).where(t.c.id == row_id)).mappings().first()
    return (
        None
        if found is None
        else {k: (v if isinstance(v, int | float | bool) or v is None else str(v)) for k, v in found.items()}
    )


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def evidence(session: Session, record: Record, home: Path, landing: Path) -> dict:
    """What a record consists of right now: files with SHA-256 and size, rows as stored."""

    def shown(path: Path) -> str:
        for base in (landing, home):
            if path.is_relative_to(base):
                return path.relative_to(base).as_posix()
        return str(path)

    files = []
    for p in record.files:
        try:
            files.append({"path": shown(p), "sha256": _sha256_file(p), "bytes": p.stat().st_size})
        except FileNotFoundError:  # gone meanwhile: another disposal's run got there first
            continue
    rows: dict[str, list] = {}
    for table, row_id in record.rows:
        row = _row(session, table, row_id)
        if row is not None:
            rows.setdefault(table, []).append(row)
    for table, row_id, column in record.cleared:
        row = _row(session, table, row_id)
        if row is not None:
            rows.setdefault(f"{table}.{column}", []).append({"id": row_id, column: row[column]})
    return {"files": files, "rows": rows}


def checksum(evidence_doc: dict) -> str:
    return hashlib.sha256(json.dumps(evidence_doc, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _destroy(session: Session, record: Record) -> None:
    tables = Base.metadata.tables
    for table, row_id, column in record.cleared:
        t = tables[table]
        session.execute(update(t).where(t.c.id == row_id).values({column: None}))
    for table, row_id in record.rows:
        if table == "ingestion_batch":
            # KPI values keep their figures; only the link to the disposed batch goes
            session.execute(update(KpiValue).where(KpiValue.batch_id == row_id).values(batch_id=None))
        t = tables[table]
        session.execute(delete(t).where(t.c.id == row_id))
    session.flush()
    for path in record.files:
        path.unlink(missing_ok=True)


def _prune_empty_dirs(folders: set[Path]) -> None:
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()  # only when empty
        except OSError:
            pass


def dispose_expired(
    engine: Engine,
    register: Register,
    as_of: date,
    *,
    dry_run: bool,
    actor: str = "kawal",
    table: RetentionTable | None = None,
    approved: dict[tuple[str, str], str] | None = None,
    signoff: dict | None = None,
) -> DisposalResult:
    """List (dry run) or dispose of the expired records, one transaction and one log entry per record.

    A real run judges expiry on today (site clock) at the latest: a later ``as_of`` would destroy
    records before their time (§7.5.3.2). A dry run may look ahead.

    ``approved`` (the retention DAG's signed-off list, :mod:`kawal.records.signoff`): (type, ref) →
    the SHA-256 of its evidence as approved. Only those are disposed of, and only while their
    evidence is still that; ``signoff`` (id, digest, who, when) goes into each log entry, inside the
    hash chain: the approval is part of the record of what was destroyed (ISO 9001 §7.5.3.2).
    """
    table = table or load_retention()
    today = now_site().date()
    if not dry_run and as_of > today:
        raise KawalError(
            f"--as-of {as_of} is after today ({today}, site time): a real disposal judges expiry on today at the "
            "latest; look ahead with --dry-run"
        )
    home, landing = kawal_home(), landing_dir()
    with Session(engine) as s:
        decisions = plan_disposal(s, register, as_of, table)
    if approved is not None:  # expired since the sign-off, or not yet proposed: the next sign-off's
        decisions = [
            d if d.action != "dispose" or (d.record.record_type, d.record.ref) in approved else _as(d, "unapproved")
            for d in decisions
        ]
    result = DisposalResult(as_of, dry_run, decisions)
    if dry_run:
        return result
    for i, d in enumerate(decisions):
        if d.action != "dispose":
            continue
        expected = None if approved is None else approved[(d.record.record_type, d.record.ref)]
        if d.record.record_type in _PIPELINE_TYPES:
            # the day's exclusive lock, not waited for: a task reading the day keeps it (kawal.records.day_locks)
            with disposal_of_day(engine, d.record.record_date) as free:
                doc = _dispose_one(engine, d, home, landing, actor, expected, signoff) if free else None
            if not free:
                decisions[i] = Decision(
                    d.record,
                    d.retain_until,
                    "in_use",
                    d.holds,
                    d.reason,
                    f"a running task reads {d.record.record_date}",
                )
        else:
            doc = _dispose_one(engine, d, home, landing, actor, expected, signoff)
        if doc is _CHANGED:
            decisions[i] = _as(d, "changed")
            continue
        if doc is None:
            continue
        if d.record.record_type == "source_file":  # its staged rows are a cache of it, never a record
            from kawal.ingest.staged import discard_staged

            for f in doc["files"]:
                discard_staged(f["sha256"])
        # an emptied month folder of reports/ or reviews/ goes too; landing folders stay for the next delivery
        _prune_empty_dirs({p.parent for p in d.record.files if not p.is_relative_to(landing) and p.parent != home})
        result.disposed.append(f"{d.record.record_type}:{d.record.ref}")
    return result


#: :func:`_dispose_one`'s answer when a signed-off record's evidence is no longer what was approved
_CHANGED: dict = {}


def _as(d: Decision, action: str) -> Decision:
    return Decision(d.record, d.retain_until, action, d.holds, d.reason, d.in_use)


def _dispose_one(
    engine: Engine,
    d: Decision,
    home: Path,
    landing: Path,
    actor: str,
    expected: str | None = None,
    signoff: dict | None = None,
) -> dict | None:
    """One record destroyed with its log entry, in one transaction; None: not disposed of (a hold won,
    or a batch turned 'received' since planning); :data:`_CHANGED`: its evidence is not the approved one."""
    for _attempt in range(20):  # another disposal appended to the chain first: extend the new head
        try:
            with session_scope(engine) as s:
                # re-check inside the transaction: a hold placed since planning wins, a new delivery too
                if holds_on(d.record, active_holds(s)) or _needed_by_pipeline(None, d.record, _pending_batches(s), {}):
                    return None
                doc = evidence(s, d.record, home, landing)
                if not doc["files"] and not any(doc["rows"].values()):
                    return None  # gone meanwhile (another disposal's run): nothing to log twice
                if expected is not None and checksum(doc) != expected:
                    return _CHANGED  # approved was what it held then, not what it holds now (§7.5.3.2)
                row = {
                    "record_type": d.record.record_type,
                    "ref": d.record.ref,
                    "record_date": d.record.record_date,
                    "retain_until": d.retain_until,
                    # to the microsecond as both stores keep it, so the chain hashes what is read back
                    "disposed_at": datetime.now(UTC),
                    "reason": d.reason,
                    "checksum_sha256": checksum(doc),
                    "details": json.dumps(
                        {"description": d.record.description, **doc, **({"signoff": signoff} if signoff else {})},
                        ensure_ascii=False,
                        sort_keys=True,
                    ),
                    "actor": actor,
                }
                head = s.scalars(select(DisposalLog.entry_sha256).order_by(DisposalLog.id.desc()).limit(1)).first()
                prev = head or GENESIS
                s.add(DisposalLog(**row, prev_sha256=prev, entry_sha256=entry_sha256(row, prev)))
                s.flush()  # a forked chain fails here, before anything is destroyed
                _destroy(s, d.record)
            return doc
        except IntegrityError:
            continue
        except OperationalError as exc:  # SQLite: two writers deadlocked, one is told at once; try again
            if "locked" not in str(exc):
                raise
    raise KawalError(f"{d.record.record_type} {d.record.ref}: the disposal log kept moving; run the disposal again")


# --- legal holds -------------------------------------------------------------------------------


def place_hold(
    session: Session, register: Register, person: str, record_type: str, ref_pattern: str, reason: str
) -> LegalHold:
    if register.people.person(person) is None:
        raise KawalError(f"--as {person!r} is not among the people in kpi_rules/people.yaml")
    if record_type != "*" and record_type not in RECORD_TYPES:
        raise KawalError(f"--type {record_type!r}: use one of {', '.join(RECORD_TYPES)} or '*'")
    if not ref_pattern.strip():
        raise KawalError("--ref is empty: give a ref or a pattern such as '2023-*' or '*'")
    if not reason or not reason.strip():
        raise KawalError("--reason is empty: a legal hold says why (audit, dispute, inquiry …)")
    hold = LegalHold(
        record_type=record_type,
        ref_pattern=ref_pattern.strip(),
        reason=reason.strip(),
        placed_by=person,
        placed_at=datetime.now(UTC),
    )
    session.add(hold)
    session.flush()
    return hold


def release_hold(
    session: Session, register: Register, hold_id: int, person: str, table: RetentionTable | None = None
) -> LegalHold:
    """Lift a hold: the same people as a real disposal may (lifting it lets the next run destroy)."""
    from kawal.records.retention import may_dispose

    may_dispose(table or load_retention(register=register), register, person, "release a legal hold")
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise KawalError(f"legal hold {hold_id} does not exist (see `kawal records holds`)")
    if hold.released_at is None:
        hold.released_at, hold.released_by = datetime.now(UTC), person
        session.flush()
    return hold


# --- the DAG's step -----------------------------------------------------------------------------


def expired_for_run(logical_date: datetime) -> dict:
    """Dry-run listing of ``kawal_retention``: the day the run is about is its logical date in WIB.
    A real disposal goes through the sign-off (:mod:`kawal.records.signoff`), never from here."""
    from kawal.register import load_register
    from kawal.store import engine_for

    return dispose_expired(engine_for(), load_register(), run_day(logical_date), dry_run=True).summary()


def run_day(logical_date: datetime) -> date:
    from kawal.settings import site_tz

    return logical_date.astimezone(site_tz()).date()
