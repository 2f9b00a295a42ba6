"""Steps of the daily DAG, per canonical source: ingest the day's file, compute its KPIs, store.

Both steps are idempotent for their day: a batch is keyed by (source, day, checksum), KPI values by
their natural key, and nothing is written when nothing changed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from kawal.errors import KawalError, SourceFileError
from kawal.ingest.delivery import (
    MAX_UNMATCHED_NAMED,
    DayFile,
    is_delivered,
    landing_file,
    locate_and_read,
    reread,
    sha256_of,
    unmatched_files,
    unmatched_line,
)
from kawal.ingest.staged import StagedFile, verified_staged, write_staged
from kawal.kpis.day import OVERALL, kpi_day_rows
from kawal.kpis.evaluation import evaluate_row
from kawal.kpis.month import month_coverage, month_verdict
from kawal.kpis.rollup import month_rollup, rollup_rules
from kawal.kpis.values import KpiValueRow
from kawal.periods import days_of_month, month_end, month_start
from kawal.records.day_locks import uses_records_of_batch, uses_records_of_day
from kawal.register import Kpi, Register, load_register
from kawal.settings import landing_dir
from kawal.sources import source_spec
from kawal.store import IngestionBatch, engine_for, session_scope
from kawal.store.kpi_values import replace_period_values
from kawal.store.models import KpiValue

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def _one_at_a_time(name_of):  # type: ignore[no-untyped-def]
    """Run the decorated step under the store-wide lock ``name_of(engine, *args, **kwargs)``
    (kawal.store.locks): two DagRuns of one business day at once (a manual run during the scheduler's,
    two backfills) raced on the store's unique keys (issue #17) — now the second waits and then finds
    what the first stored, as any re-run does. Different days and sources still run side by side."""
    import functools

    from kawal.store.locks import named_lock

    def wrap(step):  # type: ignore[no-untyped-def]
        @functools.wraps(step)
        def run(*args, **kwargs):  # type: ignore[no-untyped-def]
            engine = engine_for(kwargs.get("store_url"))
            with named_lock(engine, name_of(engine, *args, **kwargs)):
                return step(*args, **kwargs)

        return run

    return wrap


def _batch_day(engine, batch_id: int, **_kw) -> str:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        batch = session.get(IngestionBatch, batch_id)
        return f"day:{batch.source}:{batch.business_date}" if batch else f"batch:{batch_id}"


@dataclass(frozen=True)
class IngestResult:
    batch_id: int | None  # None: no delivery due that day (a monthly table)
    source: str
    business_date: str
    rows: int
    new: bool


@_one_at_a_time(lambda _engine, source, day, **_kw: f"day:{source}:{day}")
@uses_records_of_day  # a disposal never removes the day's files while this reads them (§7.5.3)
def ingest_source_day(
    source: str, day: date, *, landing: Path | None = None, store_url: str | None = None
) -> IngestResult:
    """Read the day's delivery of ``source`` through its mapping, validate it (its GX suite and the
    cross-delivery checks) and record its batch — once per distinct delivery.

    A delivery that cannot be read or fails validation is **quarantined** (kept, with its validation
    result), the source's KPIs are stored ``not_evaluable`` for the day with the reason, and data
    engineering gets a data incident — never a KPI defect (work instruction §5.1: KPIs come from the
    sources' data; bad data is not a bad KPI). The task then fails so the run shows it; the other
    sources of the day go on. A day whose earlier delivery was loaded keeps those values in force.
    """
    source_spec(source)  # an unknown source is a clear error before any file is touched
    refuse_future_day(source, day)
    landing = landing or landing_dir()
    from kawal.ingest.mapping import monthly_delivery

    if monthly_delivery(source) and day != month_end(day):
        log.info("%s: a monthly table, delivered on the month's last day: nothing due on %s", source, day)
        return IngestResult(None, source, day.isoformat(), 0, False)
    engine = engine_for(store_url)
    register = load_register()
    streamed = None
    try:
        streamed = _streamed(source, day, landing)  # a large canonical day: one pass, memory flat in its size
        if streamed is None:
            found, rows = locate_and_read(source, day, landing)  # through the source's mapping, if any
        else:
            found, rows = DayFile(streamed.path, streamed.checksum_sha256), streamed.rows
    except SourceFileError as exc:
        path = Path(exc.path)
        delivered = is_delivered(path, landing)  # never a link's target, a FIFO, a file elsewhere
        with session_scope(engine) as session:  # its own transaction: kept although the task fails
            batch = None
            if delivered:
                batch = _record_batch(
                    session,
                    source,
                    day,
                    landing,
                    path,
                    sha256_of(path),
                    0,
                    {"stage": "read", "problem": exc.problem},
                )
            _quarantine(session, register, source, day, batch, exc.problem)
        raise
    try:
        return _validate_and_record(source, day, landing, engine, register, found, rows, streamed)
    finally:
        if streamed is not None:
            streamed.discard()  # its staged rows, unless kept


def refuse_future_day(source: str, day: date) -> None:
    """Issue #17, finding 9: a business day after today (the site clock, ``settings.now_site``, in
    the site's time zone) is refused with one line: its delivery cannot be whole, and a value
    computed for it would stand as a record of a day that has not happened."""
    from kawal.settings import now_site

    now = now_site()
    if day > now.date():
        raise KawalError(
            f"{source} {day.isoformat()}: a business day in the future (today is {now.date().isoformat()} "
            f"{now:%Z}, the site's time zone); refused"
        )


def _streamed(source: str, day: date, landing: Path):  # type: ignore[no-untyped-def]
    from kawal.ingest.delivery import day_file
    from kawal.ingest.mapping import active_mapping
    from kawal.ingest.stream import stream_delivery

    if active_mapping(source) is not None:
        return None
    path = landing_file(day_file(landing, source, day), landing)
    if not path.is_file():
        return None
    from kawal.checks.suites import validate_delivery

    streamed = stream_delivery(source_spec(source), path, day, lambda rows, sha: validate_delivery(source, rows, sha))
    if streamed is not None:
        try:
            landing_file(path, landing)  # still the file it was, not a link swapped in while it streamed
        except SourceFileError:
            streamed.discard()
            raise
    return streamed


def _validate_and_record(  # type: ignore[no-untyped-def]
    source: str, day: date, landing: Path, engine, register: Register, found, rows, streamed
) -> IngestResult:
    from kawal.checks.delivery import run_delivery_checks
    from kawal.checks.suites import merged, validate_delivery

    spec = source_spec(source)
    if streamed is None:
        suite = validate_delivery(source, rows, found.checksum_sha256)
    else:  # validated chunk by chunk as it was read
        suite = merged(streamed.suites)
    with session_scope(engine) as session:
        findings = run_delivery_checks(
            session,
            spec,
            day,
            found.checksum_sha256,
            rows,
            landing,
            register.procedure.data_checks,
            streamed,
        )
        validation: dict = {"stage": "validate", "suite": suite.summary(), "checks": [f.as_dict() for f in findings]}
        astray = unmatched_files(found.path, landing)
        if astray:  # recorded with the day's validation (§7.5: what was received and not read)
            named = astray[:MAX_UNMATCHED_NAMED]
            validation["unmatched_files"] = [p.name for p in named] + (
                [f"… {len(astray) - len(named)} more"] if len(astray) > len(named) else []
            )
            for p in named:
                log.warning("%s", unmatched_line(p, found.path))
            if len(astray) > len(named):
                more = len(astray) - len(named)
                log.warning("%s: %d more file(s) match no delivery pattern", found.path.parent, more)
        failed = [f for f in findings if not f.ok]
        problem = (
            suite.problem() if not suite.success else (f"{failed[0].check}: {failed[0].detail}" if failed else None)
        )
        if problem is None:  # the typed rows, staged once for the compute task (kawal.ingest.staged)
            staged = write_staged(source, found.checksum_sha256, rows) if streamed is None else streamed.keep()
            validation["staged"] = _staged_record(staged, found.path)
        batch = _record_batch(session, source, day, landing, found.path, found.checksum_sha256, len(rows), validation)
        if problem is not None:
            _quarantine(session, register, source, day, batch, problem)
        elif batch.state == "quarantined":  # the same delivery now passes (e.g. a threshold was changed)
            batch.state, batch.reason = "received", None
        new = batch.state == "received"
        batch_id = batch.id
    if problem is not None:
        raise SourceFileError(found.path, problem)
    log.info("%s: %d rows, batch %d (%s)", found.path, len(rows), batch_id, "new" if new else "already known")
    return IngestResult(batch_id, source, day.isoformat(), len(rows), new)


def _staged_record(staged: StagedFile, landing_file: Path) -> dict:
    """What the batch keeps of its staged rows: the staged file's SHA-256 and row count, and the
    landing file's size and modification time (compute re-hashes the landing file only if they moved)."""
    stat = landing_file.stat()
    return {**staged.as_dict(), "landing_bytes": stat.st_size, "landing_mtime_ns": stat.st_mtime_ns}


def _landing_unchanged(path: Path, staged: dict | None) -> bool:
    """The landing file has the size and modification time it had when ingested (not a proof: the
    values come from the staged file, whose own hash is checked; this only spares a re-hash)."""
    if not staged:
        return False
    stat = path.stat()
    return stat.st_size == staged.get("landing_bytes") and stat.st_mtime_ns == staged.get("landing_mtime_ns")


def _record_batch(
    session: Session, source: str, day: date, landing: Path, path: Path, checksum: str, rows: int, validation: dict
) -> IngestionBatch:
    """The batch of this delivery (source × day × checksum), created once; its validation refreshed."""
    batch = session.scalars(
        select(IngestionBatch).where(
            IngestionBatch.source == source,
            IngestionBatch.business_date == day,
            IngestionBatch.checksum_sha256 == checksum,
        )
    ).one_or_none()
    text_of = json.dumps(validation, sort_keys=True, default=str)
    if batch is None:
        batch = IngestionBatch(
            source=source,
            business_date=day,
            file_name=path.relative_to(landing).as_posix(),
            checksum_sha256=checksum,
            row_count=rows,
            state="received",
            received_at=datetime.now(UTC),
        )
        session.add(batch)
    if batch.validation != text_of:
        batch.validation = text_of
    session.flush()
    return batch


def _quarantine(
    session: Session, register: Register, source: str, day: date, batch: IngestionBatch | None, problem: str
) -> None:
    """Keep the bad delivery out of the KPIs: quarantine it and store the day's KPIs of the source as
    not_evaluable with the reason (unless an earlier loaded delivery of the day stays in force), the
    month rolled up again. Idempotent. The data incident is the defects step's job
    (:func:`open_defects_for_day` finds the day's problems in what is recorded here)."""
    if batch is not None and (batch.state != "quarantined" or batch.reason != problem):
        batch.state, batch.reason = "quarantined", problem
    in_force = session.scalars(
        select(IngestionBatch).where(
            IngestionBatch.source == source, IngestionBatch.business_date == day, IngestionBatch.state == "loaded"
        )
    ).first()
    if in_force is None:
        kpis = register.for_source(source)
        reason = quarantine_reason(source, day, problem)
        rows = [
            KpiValueRow(
                kpi_id=k.id,
                period_type="day",
                period_start=day,
                scope=OVERALL,
                numerator=0.0,
                denominator=0.0,
                value=None,
                status="not_evaluable",
                reason=reason,
                batch_id=batch.id if batch else None,
                days_covered=0,
            )
            for k in kpis
        ]
        _store_day_and_month(session, register, source, kpis, day, rows)


def quarantine_reason(source: str, day: date, problem: str) -> str:
    """The reason stored on a day's not-evaluable values: which delivery, and what was wrong."""
    return f"{_reason_prefix(source, day)}{problem}"[:2000]


def _reason_prefix(source: str, day: date) -> str:
    return f"data {source} {day.isoformat()} dikarantina: "


def delivery_problems(session: Session, register: Register, day: date) -> list[tuple[str, str]]:
    """``(source, problem)`` for each source of the register whose delivery of ``day`` was recorded
    as bad (a quarantined batch still in the day) or missing (its values stored not evaluable with
    no batch): what the ingest step recorded, for the defects step to open data incidents from."""
    out = []
    for source in sorted({k.source for k in register.kpis}):
        batches = session.scalars(
            select(IngestionBatch)
            .where(
                IngestionBatch.source == source,
                IngestionBatch.business_date == day,
                IngestionBatch.state != "superseded",
            )
            .order_by(IngestionBatch.id)
        ).all()
        quarantined = [b for b in batches if b.state == "quarantined"]
        loaded = [b for b in batches if b.state == "loaded"]
        if quarantined:
            problem = quarantined[-1].reason or "quarantined"
            if loaded:
                problem = f"{problem} (the values of batch {loaded[0].id}, delivered earlier, stay in force)"
            out.append((source, problem))
        elif not batches:
            reason = session.scalars(
                select(KpiValue.reason).where(
                    KpiValue.kpi_id.in_([k.id for k in register.for_source(source)]),
                    KpiValue.period_type == "day",
                    KpiValue.period_start == day,
                    KpiValue.days_covered == 0,
                    KpiValue.batch_id.is_(None),
                )
            ).first()
            if reason:
                out.append((source, reason.removeprefix(_reason_prefix(source, day))))
    return out


@_one_at_a_time(_batch_day)
@uses_records_of_batch  # as ingest: the batch's landing file stays while this reads it
def compute_source_kpis(batch_id: int, *, landing: Path | None = None, store_url: str | None = None) -> dict:
    """Compute the KPIs of the batch's source for its day and upsert them with the month-to-date
    roll-up, the batch states included, in one transaction: all of it or nothing."""
    landing = landing or landing_dir()
    engine = engine_for(store_url)
    register = load_register()
    with session_scope(engine) as session:
        batch = session.get(IngestionBatch, batch_id)
        if batch is None:
            raise KawalError(f"ingestion batch {batch_id} does not exist in the store")
        if batch.state == "quarantined":
            raise KawalError(f"ingestion batch {batch_id} is quarantined: {batch.reason}")
        kpis = register.for_source(batch.source)
        if not kpis:
            raise KawalError(f"register: no KPI is computed from source {batch.source!r}")
        path = landing_file(Path(batch.file_name), landing)
        validation = json.loads(batch.validation or "{}")
        info = validation.get("staged")
        hashed = path.is_file() and not _landing_unchanged(path, info)  # it moved: the evidence hashed now
        if not path.is_file() or (hashed and sha256_of(path) != batch.checksum_sha256):
            raise SourceFileError(path, f"changed or removed since batch {batch_id} was ingested; re-run the day")
        staged = verified_staged(batch.source, batch.checksum_sha256, info)
        if staged is None:  # removed, altered, or staged by an older Kawal: rebuilt from the evidence
            if not hashed and sha256_of(path) != batch.checksum_sha256:
                raise SourceFileError(path, f"changed since batch {batch_id} was ingested; re-run the day")
            rows = reread(batch.source, batch.file_name, landing, batch.business_date)
            rebuilt = write_staged(batch.source, batch.checksum_sha256, rows)
            info = {**(info or {}), **_staged_record(rebuilt, path)}
            batch.validation = json.dumps({**validation, "staged": info}, sort_keys=True, default=str)
            staged = rebuilt.path
        day = batch.business_date
        changed = _store_day_and_month(
            session, register, batch.source, kpis, day, kpi_day_rows(kpis, staged, day, batch.id)
        )
        # A restated day supersedes the earlier deliveries; they stay in the store for audit.
        for other in session.scalars(
            select(IngestionBatch).where(
                IngestionBatch.source == batch.source,
                IngestionBatch.business_date == day,
                IngestionBatch.id != batch.id,
                IngestionBatch.state != "superseded",
            )
        ):
            other.state = "superseded"
        if batch.state != "loaded":
            batch.state = "loaded"
        source = batch.source
    log.info("%s: %d KPI values changed for %s", source, changed, day)
    return {
        "source": source,
        "business_date": day.isoformat(),
        "batch_id": batch_id,
        "rows": info["rows"],
        "values_changed": changed,
    }


def _store_day_and_month(
    session: Session, register: Register, source: str, kpis: list[Kpi], day: date, day_rows: list[KpiValueRow]
) -> int:
    """Store the day's values and the month-to-date roll-up, each judged; the month with its verdict
    (kawal.kpis.month: final or under way, and why). Returns rows changed."""
    from dataclasses import replace

    from kawal.ingest.mapping import monthly_delivery

    ids = [k.id for k in kpis]
    rules = rollup_rules(kpis)
    by_id = {k.id: k for k in kpis}
    judged_days = [evaluate_row(v, by_id[v.kpi_id], register) for v in day_rows]
    monthly = monthly_delivery(source)
    if monthly:  # the day row holds the month's totals: judged as the month, never as a day
        note = "tabel bulanan: dinilai per bulan"
        judged_days = [replace(v, evaluation="not_evaluable", evaluation_note=note) for v in judged_days]
    changed = replace_period_values(session, ids, "day", day, judged_days)
    first = month_start(day)
    coverage = month_coverage(session, source, ids, first, whole_month_delivery=monthly)
    verdict = month_verdict(coverage)
    month = month_rollup(session, rules, first, days_of_month(first)[-1], days_delivered=coverage.days_with_data)
    judged = [
        evaluate_row(v, by_id[v.kpi_id], register, rules[v.kpi_id].stock_denominator, verdict=verdict) for v in month
    ]
    return changed + replace_period_values(session, ids, "month", first, judged)


@_one_at_a_time(lambda _engine, day, **_kw: "defects")  # tickets span days: one defects step at a time
def open_defects_for_day(day: date, *, store_url: str | None = None, hold_mail: bool = False) -> dict:
    """Data incidents for the day's bad or missing deliveries, tickets for the day's breaches (and
    the month's, once final), the repeat rule, effectiveness notices and escalations — as of the run
    date (the day after ``day``). Idempotent.

    ``hold_mail`` (a backfilled past day): the mails this queues are recorded as ``held`` — kept in
    the outbox as what would have been sent, never delivered — in the same transaction."""
    from sqlalchemy import func, select, update

    from kawal.defects.monitoring import (
        escalate,
        open_or_update_defects,
        record_data_incident,
        review_repeats_and_effectiveness,
    )
    from kawal.store.models import Notification

    register = load_register()
    engine = engine_for(store_url)
    as_of = day + timedelta(days=1)
    with session_scope(engine) as session:
        queued_before = session.scalar(select(func.coalesce(func.max(Notification.id), 0)))
        stored = session.scalars(
            select(KpiValue)
            .where(
                ((KpiValue.period_type == "day") & (KpiValue.period_start == day))
                | ((KpiValue.period_type == "month") & (KpiValue.period_start == month_start(day)))
            )
            .order_by(KpiValue.kpi_id, KpiValue.period_type, KpiValue.scope)
        ).all()
        # bad or missing deliveries first (as ingest recorded them): a data incident for data
        # engineering, never a KPI defect (§5.3); then the day's and the month's breaches
        touched = [
            record_data_incident(session, register, source, day, problem, as_of=as_of).id
            for source, problem in delivery_problems(session, register, day)
        ]
        touched += open_or_update_defects(session, register, [KpiValueRow.from_record(v) for v in stored], as_of)
        review_repeats_and_effectiveness(session, register, day)
        escalate(session, register, as_of)
        held = 0
        if hold_mail:
            held = session.execute(
                update(Notification)
                .where(Notification.id > queued_before, Notification.state == "pending")
                .values(state="held")
            ).rowcount
    return {"business_date": day.isoformat(), "tickets_touched": sorted(set(touched)), "mails_held": held}


def send_notifications(*, store_url: str | None = None) -> dict:
    """Deliver the outbox; raises (so Airflow retries) while anything stays undelivered."""
    from kawal.notify.outbox import deliver_pending

    report = deliver_pending(engine_for(store_url), load_register())
    if report.failed:
        raise RuntimeError(f"{report.failed} notification(s) not delivered, will retry: {report.errors[0]}")
    return {"sent": report.sent, "refused_for_good": report.refused}
