"""Steps of the daily DAG, per canonical source: ingest the day's file, compute its KPIs, store.

Both steps are idempotent for their day: a batch is keyed by (source, day, checksum), KPI values by
their natural key, and nothing is written when nothing changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text

from kawal.errors import KawalError, SourceFileError
from kawal.ingest.mapping import locate_and_read, reread
from kawal.ingest.sources import sha256_of, source_spec
from kawal.kpis.evaluation import evaluate_row
from kawal.periods import days_of_month, month_start
from kawal.register import Kpi, load_register
from kawal.settings import landing_dir
from kawal.store import IngestionBatch, engine_for, session_scope
from kawal.store.kpi_values import KpiValueRow, RollupRule, month_rollup, replace_period_values

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

OVERALL = "all"


@dataclass(frozen=True)
class IngestResult:
    batch_id: int
    source: str
    business_date: str
    rows: int
    new: bool


def ingest_source_day(
    source: str, day: date, *, landing: Path | None = None, store_url: str | None = None
) -> IngestResult:
    """Check the day's file of ``source`` and record its batch (once per distinct delivery)."""
    source_spec(source)  # an unknown source is a clear error before any file is touched
    landing = landing or landing_dir()
    engine = engine_for(store_url)
    try:
        found, rows = locate_and_read(source, day, landing)  # through the source's mapping, if any
    except SourceFileError as exc:
        # Bad or missing data is a data incident for data engineering (its own transaction, so it
        # is recorded although the task fails), never a KPI defect: no value is stored for the day.
        from kawal.defects.tickets import record_data_incident

        register = load_register()
        with session_scope(engine) as session:
            record_data_incident(session, register, source, day, str(exc), as_of=day + timedelta(days=1))
        raise
    with session_scope(engine) as session:
        batch = session.scalars(
            select(IngestionBatch).where(
                IngestionBatch.source == source,
                IngestionBatch.business_date == day,
                IngestionBatch.checksum_sha256 == found.checksum_sha256,
            )
        ).one_or_none()
        new = batch is None
        if batch is None:
            batch = IngestionBatch(
                source=source,
                business_date=day,
                file_name=found.path.relative_to(landing).as_posix(),
                checksum_sha256=found.checksum_sha256,
                row_count=len(rows),
                state="received",
                received_at=datetime.now(UTC),
            )
            session.add(batch)
            session.flush()
    log.info("%s: %d rows, batch %d (%s)", found.path, len(rows), batch.id, "new" if new else "already known")
    return IngestResult(batch.id, source, day.isoformat(), len(rows), new)


def kpi_day_rows(kpis: list[Kpi], rows: pd.DataFrame, day: date, batch_id: int | None) -> list[KpiValueRow]:
    """Every KPI of the source for one day: overall and per breakdown value (pure; no store)."""
    from kawal.kpis.formulas import apply_formula, rows_in_scope

    out: list[KpiValueRow] = []
    if rows.empty:  # an event source with no events that day: nothing to compute, nothing missing
        return out
    for kpi in kpis:
        kept = rows_in_scope(rows, kpi.params)
        scopes = [(OVERALL, kept)]
        for column in kpi.breakdowns:
            scopes += [(f"{column}={key}", part) for key, part in kept.groupby(column, sort=True)]
        for scope, part in scopes:
            comp = apply_formula(kpi.formula.kind, part, kpi.params)
            value = comp.value(kpi.unit.scale)
            out.append(
                KpiValueRow(
                    kpi_id=kpi.id,
                    period_type="day",
                    period_start=day,
                    scope=scope,
                    numerator=comp.numerator,
                    denominator=comp.denominator,
                    value=value,
                    status="computed" if value is not None else "not_evaluable",
                    reason=None if value is not None else "no rows for this KPI in the day's data",
                    batch_id=batch_id,
                    days_covered=1,
                )
            )
    return out


def rollup_rules(kpis: list[Kpi]) -> dict[str, RollupRule]:
    from kawal.kpis.formulas import FORMULA_KINDS

    return {k.id: RollupRule(k.unit.scale, FORMULA_KINDS[k.formula.kind].stock_denominator) for k in kpis}


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
        kpis = register.for_source(batch.source)
        if not kpis:
            raise KawalError(f"register: no KPI is computed from source {batch.source!r}")
        path = landing / batch.file_name
        if not path.is_file() or sha256_of(path) != batch.checksum_sha256:
            raise SourceFileError(path, f"changed or removed since batch {batch_id} was ingested; re-run the day")
        rows = reread(batch.source, batch.file_name, landing, batch.business_date)
        day = batch.business_date
        if session.bind.dialect.name == "postgresql":
            # Two days of one source and month computed at once would each total the month without
            # the other's uncommitted day (last commit wins): one roll-up at a time per source × month.
            session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                {"key": f"kawal-rollup:{batch.source}:{day:%Y-%m}"},
            )
        ids = [k.id for k in kpis]
        rules = rollup_rules(kpis)
        by_id = {k.id: k for k in kpis}

        def judged(values: list[KpiValueRow]) -> list[KpiValueRow]:
            return [evaluate_row(v, by_id[v.kpi_id], register, rules[v.kpi_id].stock_denominator) for v in values]

        changed = replace_period_values(session, ids, "day", day, judged(kpi_day_rows(kpis, rows, day, batch.id)))
        first = month_start(day)
        last = days_of_month(first)[-1]
        delivered = session.scalar(
            select(func.count(func.distinct(IngestionBatch.business_date))).where(
                IngestionBatch.source == batch.source,
                IngestionBatch.business_date >= first,
                IngestionBatch.business_date <= last,
                IngestionBatch.state != "superseded",
            )
        )
        month = month_rollup(session, rules, first, last, days_delivered=delivered)
        changed += replace_period_values(session, ids, "month", first, judged(month))
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
        "rows": len(rows),
        "values_changed": changed,
    }


def open_defects_for_day(day: date, *, store_url: str | None = None) -> dict:
    """Tickets for the day's breaches (and the month's, once complete), the repeat rule, effectiveness
    notices and escalations — as of the run date (the day after ``day``). Idempotent."""
    from sqlalchemy import select

    from kawal.defects.tickets import escalate, open_or_update_defects, review_repeats_and_effectiveness
    from kawal.store.kpi_values import _as_row
    from kawal.store.models import KpiValue

    register = load_register()
    engine = engine_for(store_url)
    as_of = day + timedelta(days=1)
    with session_scope(engine) as session:
        stored = session.scalars(
            select(KpiValue)
            .where(
                ((KpiValue.period_type == "day") & (KpiValue.period_start == day))
                | ((KpiValue.period_type == "month") & (KpiValue.period_start == month_start(day)))
            )
            .order_by(KpiValue.kpi_id, KpiValue.period_type, KpiValue.scope)
        ).all()
        touched = open_or_update_defects(session, register, [_as_row(v) for v in stored], as_of)
        review_repeats_and_effectiveness(session, register, day)
        escalate(session, register, as_of)
    return {"business_date": day.isoformat(), "tickets_touched": sorted(set(touched))}


def send_notifications(*, store_url: str | None = None) -> dict:
    """Deliver the outbox; raises (so Airflow retries) while anything stays undelivered."""
    from kawal.notify.outbox import deliver_pending

    report = deliver_pending(engine_for(store_url), load_register())
    if report.failed:
        raise RuntimeError(f"{report.failed} notification(s) not delivered, will retry: {report.errors[0]}")
    return {"sent": report.sent, "refused_for_good": report.refused}
