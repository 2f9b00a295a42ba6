"""Steps of the daily interactions DAG: ingest the day's file, compute the Performance KPIs, store.

Both steps are idempotent for their day: a batch is keyed by (source, day, checksum) and KPI values
by their natural key, and nothing is written when nothing changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from kawal.errors import KawalError, SourceFileError
from kawal.ingest import interactions as source
from kawal.periods import days_of_month, month_start
from kawal.register import Kpi, load_register
from kawal.settings import landing_dir
from kawal.store import IngestionBatch, engine_for, session_scope
from kawal.store.kpi_values import KpiValueRow, month_rollup, replace_period_values

log = logging.getLogger(__name__)

OVERALL = "all"


@dataclass(frozen=True)
class IngestResult:
    batch_id: int
    business_date: str
    rows: int
    new: bool


def ingest_interactions_day(
    day: date, *, landing: Path | None = None, store_url: str | None = None
) -> IngestResult:
    """Check the day's file and record its batch (once per distinct delivery)."""
    landing = landing or landing_dir()
    found = source.locate_day_file(landing, day)
    rows = source.read_interactions(found.path)  # raises SourceFileError on bad content
    engine = engine_for(store_url)
    with session_scope(engine) as session:
        batch = session.scalars(
            select(IngestionBatch).where(
                IngestionBatch.source == source.SOURCE,
                IngestionBatch.business_date == day,
                IngestionBatch.checksum_sha256 == found.checksum_sha256,
            )
        ).one_or_none()
        new = batch is None
        if batch is None:
            batch = IngestionBatch(
                source=source.SOURCE,
                business_date=day,
                file_name=str(found.path.relative_to(landing)),
                checksum_sha256=found.checksum_sha256,
                row_count=len(rows),
                state="received",
                received_at=datetime.now(UTC),
            )
            session.add(batch)
            session.flush()
    log.info("%s: %d rows, batch %d (%s)", found.path, len(rows), batch.id, "new" if new else "already known")
    return IngestResult(batch.id, day.isoformat(), len(rows), new)


def _day_rows(kpis: list[Kpi], rows, day: date, batch_id: int) -> list[KpiValueRow]:  # type: ignore[no-untyped-def]
    from kawal.kpis.formulas import apply_formula

    out = []
    for kpi in kpis:
        scopes = [(OVERALL, rows)]
        for column in kpi.breakdowns:
            scopes += [(f"{column}={key}", part) for key, part in rows.groupby(column, sort=True)]
        for scope, part in scopes:
            comp = apply_formula(kpi.formula.kind, part, kpi.formula.params)
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
                    reason=None if value is not None else "denominator is zero for this day and scope",
                    batch_id=batch_id,
                    days_covered=1,
                )
            )
    return out


def compute_performance_kpis(
    batch_id: int, *, landing: Path | None = None, store_url: str | None = None
) -> dict:
    """Compute the day's KPIs of the batch's source and upsert them with the month-to-date roll-up.

    Everything is one transaction: KPI values, the month roll-up and the batch states are written
    together or not at all.
    """
    landing = landing or landing_dir()
    engine = engine_for(store_url)
    kpis = load_register().for_source(source.SOURCE)
    if not kpis:
        raise KawalError(f"register: no KPI is computed from source {source.SOURCE!r}")
    with session_scope(engine) as session:
        batch = session.get(IngestionBatch, batch_id)
        if batch is None:
            raise KawalError(f"ingestion batch {batch_id} does not exist in the store")
        path = landing / batch.file_name
        if not path.is_file() or source.sha256_of(path) != batch.checksum_sha256:
            raise SourceFileError(
                path, f"changed or removed since batch {batch_id} was ingested; re-run the day"
            )
        rows = source.read_interactions(path)
        day = batch.business_date
        changed = replace_period_values(
            session, [k.id for k in kpis], "day", day, _day_rows(kpis, rows, day, batch.id)
        )
        first = month_start(day)
        month = month_rollup(session, {k.id: k.unit.scale for k in kpis}, first, days_of_month(first)[-1])
        changed += replace_period_values(session, [k.id for k in kpis], "month", first, month)
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
    log.info("%s: %d KPI values changed for %s", source.SOURCE, changed, day)
    return {
        "business_date": day.isoformat(),
        "batch_id": batch_id,
        "rows": len(rows),
        "values_changed": changed,
    }
