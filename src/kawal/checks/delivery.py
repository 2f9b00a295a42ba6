"""Checks of a delivery against the deliveries before it — what a suite of one file cannot say.

- **same file again**: an event source's non-empty delivery with the checksum of an earlier day's
  kept delivery (an export job that re-sent yesterday's file; snapshots and header-only days may
  repeat by nature);
- **ids already delivered**: event ids (interactions, evaluations, tests, visits, responses) that
  the previous day's delivery already had — the export window overlaps, so a KPI would count them
  twice (judged against the previous day as loaded when this day runs: two days run at the same
  time each pass this check; the daily DAG's max_active_runs and catch-up order keep that rare);
- **volume**: rows above or at ``volume_factor`` × or at or below 1/``volume_factor`` × the median of the
  trailing ``volume_window_days`` delivered days (a 10× spike is a duplicated export, a collapse a
  partial one) — once ``volume_min_history_days`` of history exist;
- **freshness**: the day's last event at or after ``covers_until`` (site time) — an export cut off
  at 14:00 is an incomplete day, not a quiet one; judged on days of ``covers_until_min_rows`` or more
  (the last of 80 calls may well come at 19:00).

Thresholds are in ``kpi_rules/procedure.yaml`` (``data_checks``). Each check returns a finding
whose text names the source, the day and the figures; no cell value is quoted (personal data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING

from sqlalchemy import select

from kawal.register.procedure import DataCheckSettings
from kawal.sources import SourceSpec
from kawal.store import IngestionBatch

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from sqlalchemy.orm import Session

    from kawal.ingest.stream import StreamedDelivery


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {"check": self.check, "ok": self.ok, "detail": self.detail}


def _kept(session: Session, source: str):  # type: ignore[no-untyped-def]
    """Batches of ``source`` whose KPIs are (or were) in force: not superseded, not quarantined."""
    return select(IngestionBatch).where(
        IngestionBatch.source == source, IngestionBatch.state.in_(("received", "loaded"))
    )


def same_file_as_other_day(session: Session, spec: SourceSpec, day: date, checksum: str, n_rows: int) -> Finding:
    if not spec.ids_unique_across_days or n_rows == 0:
        # a snapshot (systems all up, the same seats) or a header-only day may well repeat byte for byte
        return Finding("same_file_again", True, "a snapshot or an empty day may repeat")
    # only an earlier day's kept delivery is the original: a later day's copy (itself quarantined)
    # must not make a re-run of the first day fail
    other = session.scalars(
        select(IngestionBatch.business_date)
        .where(
            IngestionBatch.source == spec.name,
            IngestionBatch.checksum_sha256 == checksum,
            IngestionBatch.business_date < day,
            IngestionBatch.state.in_(("received", "loaded")),
        )
        .order_by(IngestionBatch.business_date)
    ).first()
    if other is None:
        return Finding("same_file_again", True, "no other day has this file")
    return Finding("same_file_again", False, f"the same file (SHA-256) was delivered for {other.isoformat()}")


def ids_already_delivered(
    session: Session, spec: SourceSpec, day: date, rows: pd.DataFrame, previous_ids: pd.Series | pa.Array | None
) -> Finding:
    if not (spec.unique and spec.ids_unique_across_days):
        return Finding("ids_already_delivered", True, "ids of this source repeat by nature (a snapshot)")
    if previous_ids is None:
        return Finding("ids_already_delivered", True, "no delivery for the previous day to compare with")
    import pyarrow as pa
    import pyarrow.compute as pc

    # pyarrow's hash lookup: a Python set of a million ids costs seconds to build and probe
    known = previous_ids if isinstance(previous_ids, pa.Array) else pa.array(previous_ids)
    repeated = pc.is_in(pa.array(rows[spec.unique]), value_set=known).to_numpy(zero_copy_only=False)
    n = int(repeated.sum())
    first = int(rows.index[int(repeated.nonzero()[0][0])]) + 2 if n else None
    return _repeats_finding(spec, day, n, first)


def _repeats_finding(spec: SourceSpec, day: date, n: int, first: int | None) -> Finding:
    """The ids check's finding: ``n`` ids of the previous day again, the first on file line ``first``."""
    if n == 0:
        return Finding("ids_already_delivered", True, f"no {spec.unique} of {day - timedelta(days=1)} again")
    return Finding(
        "ids_already_delivered",
        False,
        f"{n} {spec.unique}(s) were already delivered for {(day - timedelta(days=1)).isoformat()} "
        f"(first on row {first}): overlapping export windows would count them twice",
    )


def volume_against_history(
    session: Session, spec: SourceSpec, day: date, n_rows: int, settings: DataCheckSettings
) -> Finding:
    if spec.empty_day_ok:
        return Finding("volume", True, "an event source: a quiet day is normal")
    since = day - timedelta(days=settings.volume_window_days)
    counts = [
        b.row_count
        for b in session.scalars(
            _kept(session, spec.name).where(IngestionBatch.business_date >= since, IngestionBatch.business_date < day)
        )
    ]
    if len(counts) < settings.volume_min_history_days:
        return Finding(
            "volume", True, f"{len(counts)} day(s) of history; the check starts at {settings.volume_min_history_days}"
        )
    base = median(counts)
    f = settings.volume_factor
    if base > 0 and not (base / f < n_rows < base * f):
        return Finding(
            "volume",
            False,
            f"{n_rows} rows against a median of {base:g} over the last {len(counts)} delivered days "
            f"(a delivery of {f:g}× or 1/{f:g}× the usual is a duplicated or partial export)",
        )
    return Finding("volume", True, f"{n_rows} rows; median {base:g} over {len(counts)} days")


def covers_the_day(
    spec: SourceSpec, day: date, rows: pd.DataFrame, settings: DataCheckSettings, latest: datetime | None = None
) -> Finding:
    """``latest``: the day's last event when the caller knows it (a streamed delivery keeps it as it
    reads; its ``rows`` hold the ids only)."""
    if not spec.timestamp or settings.covers_until is None or rows.empty:
        return Finding("freshness", True, "not a timestamped source")
    if len(rows) < settings.covers_until_min_rows:
        return Finding("freshness", True, f"{len(rows)} rows: too few to judge where the day ends")
    from kawal.ingest.readers import latest_moment
    from kawal.settings import site_tz

    latest = latest if latest is not None else latest_moment(rows[spec.timestamp], day)
    hours, minutes = map(int, settings.covers_until.split(":"))
    expected = datetime.combine(day, time(hours, minutes), site_tz())
    if latest < expected:
        return Finding(
            "freshness",
            False,
            f"the last {spec.timestamp} is {latest:%H:%M %Z}; a complete day reaches {settings.covers_until}: "
            "the export looks cut off",
        )
    return Finding("freshness", True, f"last event {latest:%H:%M %Z}")


def previous_delivery(
    session: Session, spec: SourceSpec, day: date, landing: Path
) -> tuple[IngestionBatch, Path | None] | None:
    """The previous day's kept delivery of an event source whose ids must not repeat across days,
    and its staged rows when they check out (kawal.ingest.staged); None when there is none."""
    if not (spec.unique and spec.ids_unique_across_days):
        return None
    batch = session.scalars(
        _kept(session, spec.name)
        .where(IngestionBatch.business_date == day - timedelta(days=1))
        .order_by(IngestionBatch.id.desc())
    ).first()
    from kawal.ingest.delivery import is_delivered

    if batch is None or not is_delivered(Path(batch.file_name), landing):
        return None
    import json

    from kawal.ingest.staged import verified_staged

    info = json.loads(batch.validation or "{}").get("staged")
    return batch, verified_staged(spec.name, batch.checksum_sha256, info)


def previous_day_ids(session: Session, spec: SourceSpec, day: date, landing: Path) -> pd.Series | pa.Array | None:
    """Ids of the previous day's kept delivery (None when there is none): from its staged rows when
    they check out, else read from its landing file."""
    found = previous_delivery(session, spec, day, landing)
    return None if found is None else _ids_of(spec, found, landing)


def _ids_of(spec: SourceSpec, found: tuple[IngestionBatch, Path | None], landing: Path) -> pd.Series | pa.Array:
    batch, staged = found
    assert spec.unique is not None
    if staged is not None:  # the one column of yesterday's staged rows: its export is not parsed again
        from kawal.ingest.staged import read_staged_column

        return read_staged_column(staged, spec.unique)
    from kawal.ingest.delivery import read_ids

    return read_ids(spec.name, batch.file_name, landing)


def run_delivery_checks(
    session: Session,
    spec: SourceSpec,
    day: date,
    checksum: str,
    rows: pd.DataFrame,
    landing: Path,
    settings: DataCheckSettings,
    streamed: StreamedDelivery | None = None,
) -> list[Finding]:
    """``streamed``: a delivery read by the stream (kawal.ingest.stream); ``rows`` then holds no
    column, and its ids and latest event come from the stream (ids compared in DuckDB)."""
    if streamed is None:
        repeats = ids_already_delivered(session, spec, day, rows, previous_day_ids(session, spec, day, landing))
    else:
        repeats = streamed_ids_already_delivered(session, spec, day, streamed, landing)
    return [
        same_file_as_other_day(session, spec, day, checksum, len(rows)),
        repeats,
        volume_against_history(session, spec, day, len(rows), settings),
        covers_the_day(spec, day, rows, settings, streamed.latest if streamed is not None else None),
    ]


def streamed_ids_already_delivered(
    session: Session, spec: SourceSpec, day: date, streamed: StreamedDelivery, landing: Path
) -> Finding:
    if not (spec.unique and spec.ids_unique_across_days):
        return Finding("ids_already_delivered", True, "ids of this source repeat by nature (a snapshot)")
    found = previous_delivery(session, spec, day, landing)
    if found is None:
        return Finding("ids_already_delivered", True, "no delivery for the previous day to compare with")
    previous: Path | pa.Array | None = found[1]  # its staged file: DuckDB reads the ids itself
    if previous is None:
        import pyarrow as pa

        ids = _ids_of(spec, found, landing)
        previous = ids if isinstance(ids, pa.Array) else pa.array(ids, type=pa.string())
    n, first = streamed.repeated_ids(spec.unique, previous)
    return _repeats_finding(spec, day, n, None if first is None else first + 2)
