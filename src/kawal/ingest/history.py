"""``kawal import MAPPING FILE...``: an export covering many days (a month, a quarter, a year) split
by business day into the landing folder, as the daily deliveries the DAG would have received.

Why split instead of reading the big file each day: each day's delivery is then what the procedure
knows — one file per source and day, checksummed in its ingestion batch and kept as objective
evidence (§6) — and the daily DAG, ``kawal backfill`` and ``airflow backfill create`` all read the
same files as a live site's daily drops.

What it does, and chooses:
- the day of a row is its timestamp column in the site's time zone (``arrived_at``,
  ``interval_start``), or the mapping's ``day:`` rule for a source without one (a date column);
- a row the mapping's filters drop anyway (an internal test call) may lack a day; any other row
  without one is an error naming it, and nothing is written;
- each day file is written in the export's own format (a CSV with the mapping's delimiter and
  encoding, an xlsx sheet, a Parquet file) at ``landing/<folder>/<file.pattern>``: every vendor
  column is kept, as delivered;
- for an event source that may have an empty day (surveys, evaluations), a day between the
  export's first and last day with no row gets a header-only file (a quiet day, not a missing one);
  a log source (calls) gets no file for such a day: its absence is a data incident, as it would be;
- a day file that already exists with the same content is left alone (re-importing is
  idempotent); with other content it is refused — a record is never overwritten — unless
  ``replace``: then the earlier file is kept beside it as ``<name>.superseded-<sha256[:12]>``.
- everything is checked first; the files are written last, each through a temporary name, so a
  failure writes nothing half-done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from kawal.errors import KawalError, SourceFileError
from kawal.ingest.mapping import Mapping, map_rows, mapping_zone, origin_values, parse_timestamps, read_export
from kawal.ingest.readers import refuse_ragged
from kawal.sources import SOURCES

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class DayWritten:
    day: date
    path: Path
    rows: int
    sha256: str
    outcome: str  # written, unchanged, replaced
    #: what the daily DAG will refuse in this delivery (checked at import, the same checks): it is
    #: still written — it is what the site delivered — and quarantined with a data incident when run
    problem: str | None = None


def business_days(mapping: Mapping, raw: pd.DataFrame, path: Path) -> pd.Series:
    """The business day (a ``date``, or None) of each raw row of ``path``."""
    import pandas as pd

    from kawal.settings import site_tz

    spec = SOURCES[mapping.source]
    column = "interval_start" if mapping.shape in ("intervals", "aggregates") else spec.timestamp
    rule = mapping.day or (mapping.columns.get(column) if column else None)
    if rule is None:
        raise KawalError(
            f"mapping {mapping.name}: {mapping.source} has no timestamp column, so `kawal import` cannot tell a "
            'row\'s day: add `day: {from: <date column>, timestamp: "%d/%m/%Y"}` to the mapping'
        )
    zone, tz = mapping_zone(mapping), site_tz()
    # the rule's text (joined, mapped) without its timestamp conversion, then parsed once
    text = origin_values(mapping, "day", rule.model_copy(update={"timestamp": None}), raw, zone, path)
    stamps = parse_timestamps(text, rule.timestamp, zone, path, "+".join(rule.from_columns) or column or "day")
    days = [None if s is None else s.astimezone(tz).date() for s in stamps]
    if mapping.period == "month":  # a monthly table: each month is delivered on its last day
        from kawal.periods import month_end

        days = [None if d is None else month_end(d) for d in days]
    return pd.Series(days, index=raw.index, dtype=object)


def _write_like_the_export(mapping: Mapping, rows: pd.DataFrame, target: Path) -> None:
    """``rows`` (text cells, the export's columns) as a file of the export's format, via a temp name."""
    import csv

    tmp = target.with_name(target.name + ".part")
    spec = mapping.file
    if spec.format == "csv":
        # utf-8-sig *reads* a BOM when there is one; it need not write one
        encoding = "utf-8" if spec.encoding.lower().replace("_", "-") == "utf-8-sig" else spec.encoding
        with tmp.open("w", encoding=encoding, newline="") as fh:
            writer = csv.writer(fh, delimiter=spec.delimiter, lineterminator="\n")
            writer.writerow(list(rows.columns))
            writer.writerows(rows.itertuples(index=False, name=None))
    elif spec.format == "xlsx":
        rows.to_excel(tmp, sheet_name=spec.sheet or "Sheet1", index=False, engine="openpyxl")
    else:
        rows.to_parquet(tmp, index=False)
    tmp.replace(target)


def _problem(mapping: Mapping, part: pd.DataFrame, target: Path, day: date) -> str | None:
    """What the daily DAG's reading of the day file ``target`` (holding ``part``) refuses (e.g. a
    published rate off its counts), in the words the data incident will use; None when it reads clean.
    Checked on the rows in memory, numbered as in the file (header = line 1), not by reading it back."""
    try:
        map_rows(mapping, part.reset_index(drop=True), target, day)
    except SourceFileError as exc:
        return exc.problem
    return None


def import_export(mapping: Mapping, exports: list[Path], landing: Path, *, replace: bool = False) -> list[DayWritten]:
    """Split ``exports`` (all of one mapping) by business day into ``landing``; see the module doc."""
    import pandas as pd

    from kawal.ingest.delivery import sha256_of

    if mapping.sql is not None:
        raise KawalError(f"mapping {mapping.name} extracts from a database: there is no export file to import")
    frames = []
    for path in exports:
        if not path.is_file():
            raise KawalError(f"{path}: no such file")
        raw = read_export(mapping, path)
        refuse_ragged(raw, path)  # a row cut short is not split into a day (issue #17)
        missing = sorted(mapping.vendor_columns() - set(raw.columns))
        if missing:
            raise SourceFileError(path, f"missing column(s) {', '.join(missing)} that mapping {mapping.name} reads")
        days = business_days(mapping, raw, path)
        kept = pd.Series(True, index=raw.index)
        for f in mapping.filters:
            kept &= f.mask(raw)
        undated = days.isna() & kept
        if undated.any():
            i = int(undated.to_numpy().nonzero()[0][0])
            raise SourceFileError(path, f"row {raw.index[i] + 2}: no business day (its timestamp is blank)")
        frames.append((path, raw.loc[days.notna()], days[days.notna()]))
    if not frames or all(f[1].empty for f in frames):
        raise KawalError(f"mapping {mapping.name}: the export(s) hold no dated row")
    columns = list(frames[0][1].columns)
    for path, raw, _ in frames[1:]:
        if list(raw.columns) != columns:
            raise SourceFileError(path, f"its columns differ from {frames[0][0].name}'s: import one layout at a time")
    rows = pd.concat([f[1] for f in frames], ignore_index=True)
    days = pd.concat([f[2] for f in frames], ignore_index=True)
    first, last = min(days), max(days)
    spec = SOURCES[mapping.source]
    folder = landing / mapping.landing_folder
    plan: list[tuple[date, pd.DataFrame, Path]] = []
    day = first
    by_day = {d: part for d, part in rows.groupby(days, sort=True)}
    while day <= last:
        part = by_day.get(day)
        if part is not None or (spec.empty_day_ok and mapping.period == "day"):
            part = part if part is not None else rows.iloc[0:0]
            plan.append((day, part, mapping.day_file(landing, day)))
        day += timedelta(days=1)
    folder.mkdir(parents=True, exist_ok=True)
    if folder.is_symlink() or not folder.resolve().is_relative_to(landing.resolve()):
        raise KawalError(f"{folder}: not inside the landing folder {landing} (a symlink?)")
    out: list[DayWritten] = []
    pending: list[tuple[date, pd.DataFrame, Path, str]] = []
    from kawal.ingest.delivery import landing_file

    for day, part, target in plan:
        target = landing_file(target, landing)  # never written through a link, nor over a FIFO
        if target.resolve().parent != folder.resolve():
            raise KawalError(f"mapping {mapping.name}: file.pattern puts {target.name} outside {folder}")
        outcome = "written"
        if target.exists():
            # the same rows, not the same bytes: an xlsx writer stamps its creation time in the file
            try:
                earlier = read_export(mapping, target)
                same = earlier.columns.tolist() == part.columns.tolist() and earlier.reset_index(drop=True).equals(
                    part.reset_index(drop=True).astype(str)
                )
            except SourceFileError:
                same = False
            if same:
                out.append(DayWritten(day, target, len(part), sha256_of(target), "unchanged"))
                continue
            if not replace:
                raise KawalError(
                    f"{target}: already delivered with other content; a delivery is a record and is not "
                    "overwritten (use --replace to supersede it: the earlier file is kept beside it)"
                )
            outcome = "replaced"
        pending.append((day, part, target, outcome))
    for day, part, target, outcome in pending:
        if outcome == "replaced":
            target.rename(target.with_name(f"{target.name}.superseded-{sha256_of(target)[:12]}"))
        _write_like_the_export(mapping, part, target)
        out.append(DayWritten(day, target, len(part), sha256_of(target), outcome, _problem(mapping, part, target, day)))
    return sorted(out, key=lambda w: w.day)
