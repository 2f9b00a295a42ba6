"""A user's own export onto a canonical source, by configuration (``mappings/<name>.yaml``).

Vendor exports differ (column names, outcome codes, "195" vs "00:03:15" vs milliseconds, local
timestamps, test calls mixed in). A mapping says, per canonical column, where its value comes from:

- ``from: VendorColumn`` (optionally ``map: {vendor code: canonical value}``, ``default:`` for
  empty cells, ``duration: seconds|milliseconds|hms``, ``timestamp: "%d/%m/%Y %H:%M:%S"``),
- ``value: constant`` (e.g. the channel of a voice-only export),
- ``between: {start: Col, end: [Col, FallbackCol]}`` — seconds between two timestamps (e.g. the
  wait: answered − arrived, or ended − arrived for an abandoned call);

plus ``filters`` on vendor columns (drop internal test calls) and the file's ``pattern``,
``delimiter``, ``encoding`` (``utf-8-sig`` reads a BOM) and ``timezone`` (of timestamps without
an offset). Only the canonical columns leave this module: every other vendor column — phone
numbers, CIF, names — is dropped here and never reaches the store, logs, mails or reports.

A mapping file in ``mappings/`` (top level) is active for its source: the daily DAG reads that
source's landing files through it. ``mappings/examples/`` holds templates that are not active.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kawal.errors import KawalError, SourceFileError
from kawal.ingest.sources import SOURCES, check_rows, read_csv_strings, redacted, source_spec

if TYPE_CHECKING:
    import pandas as pd


class Between(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = Field(description="vendor column of the first timestamp")
    end: list[str] = Field(min_length=1, description="vendor columns of the second; the first non-empty wins")


class ColumnRule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str | None = Field(None, alias="from", description="vendor column to read")
    value: str | None = Field(None, description="a constant for every row")
    between: Between | None = Field(None, description="seconds between two vendor timestamps")
    map: dict[str, str] | None = Field(None, description="vendor value → canonical value; others are errors")
    default: str | None = Field(None, description="used for an empty cell")
    duration: Literal["seconds", "milliseconds", "hms"] | None = Field(None, description="how a duration is written")
    timestamp: str | None = Field(None, description="strptime format of a timestamp; ISO 8601 when absent")

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnRule:
        origins = [o for o in (self.from_, self.value, self.between) if o is not None]
        if len(origins) != 1:
            raise ValueError("give exactly one of from, value, between")
        return self

    def vendor_columns(self) -> set[str]:
        if self.between is not None:
            return {self.between.start, *self.between.end}
        return {self.from_} if self.from_ else set()


class Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    column: str = Field(description="vendor column")
    op: Literal["==", "!=", "in", "not_in"]
    value: str | list[str]


class FileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pattern: str = Field(description="file name in landing/<mapping>/, e.g. 'calls_{date:%Y%m%d}.csv'")
    format: Literal["csv"] = "csv"
    delimiter: str = Field(",", min_length=1, max_length=1)
    encoding: str = "utf-8-sig"


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field("", description="the file's stem (set on load)")
    source: str = Field(description="canonical source this export feeds")
    description: str = ""
    file: FileSpec
    timezone: str = Field("Asia/Jakarta", description="timezone of timestamps written without an offset")
    columns: dict[str, ColumnRule]
    filters: list[Filter] = Field(default_factory=list)

    def vendor_columns(self) -> set[str]:
        return {c for rule in self.columns.values() for c in rule.vendor_columns()} | {f.column for f in self.filters}

    def day_file(self, landing: Path, day: date) -> Path:
        return landing / self.name / self.file.pattern.format(date=day)


def mappings_dir() -> Path:
    return Path(os.environ.get("KAWAL_MAPPINGS_DIR", Path.cwd() / "mappings")).resolve()


def load_mapping(path: Path) -> Mapping:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KawalError(f"{path}: mapping not found") from None
    except yaml.YAMLError as exc:
        raise KawalError(f"{path}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    try:
        mapping = Mapping.model_validate({**(data or {}), "name": path.stem})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise KawalError(f"{path}: field {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    try:
        spec = source_spec(mapping.source)
    except KawalError as exc:
        raise KawalError(f"{path}: field source: {exc}") from None
    missing = [c for c in spec.column_names if c not in mapping.columns]
    unknown = [c for c in mapping.columns if c not in spec.column_names]
    if missing:
        raise KawalError(f"{path}: columns: canonical column(s) {', '.join(missing)} of {spec.name} are not mapped")
    if unknown:
        raise KawalError(f"{path}: columns: {', '.join(unknown)} are not columns of {spec.name}")
    try:
        ZoneInfo(mapping.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise KawalError(f"{path}: field timezone: unknown timezone {mapping.timezone!r}") from None
    return mapping


def active_mapping(source: str) -> Mapping | None:
    """The mapping in ``mappings/`` that feeds ``source``, if any (at most one may)."""
    directory = mappings_dir()
    if not directory.is_dir():
        return None
    found = [m for m in (load_mapping(p) for p in sorted(directory.glob("*.yaml"))) if m.source == source]
    if len(found) > 1:
        raise KawalError(f"{directory}: mappings {', '.join(m.name for m in found)} all feed {source}; keep one")
    return found[0] if found else None


# --- applying a mapping ---------------------------------------------------------------------------


def _seconds(raw: pd.Series, how: str, path: Path, column: str) -> pd.Series:
    import pandas as pd

    if how == "seconds":
        return raw
    if how == "milliseconds":
        number = pd.to_numeric(raw, errors="coerce")
        return (number / 1000).map(lambda v: "" if pd.isna(v) else f"{v:g}").where(number.notna(), raw)

    def hms(text: str) -> str:
        parts = text.strip().split(":")
        if not 1 <= len(parts) <= 3 or not all(p.strip().isdigit() for p in parts):
            return text  # left as written: the canonical check names the row and column
        total = 0
        for p in parts:
            total = total * 60 + int(p)
        return str(total)

    return raw.map(hms)


def _timestamps(raw: pd.Series, fmt: str | None, tz: ZoneInfo, path: Path, column: str) -> pd.Series:
    """Aware timestamps (object series; None for an empty cell); a malformed one names its row."""
    import pandas as pd

    parsed: list[datetime | None] = []
    for i, text in enumerate(raw):
        text = str(text).strip()
        if not text:
            parsed.append(None)
            continue
        try:
            moment = datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
        except ValueError:
            shown = f"format {fmt!r}" if fmt else "ISO 8601"
            raise SourceFileError(
                path, f"row {raw.index[i] + 2}, column {column}: {redacted(text)!r} is not a timestamp in {shown}"
            ) from None
        parsed.append(moment if moment.tzinfo else moment.replace(tzinfo=tz))
    return pd.Series(parsed, index=raw.index, dtype=object)


def apply_mapping(mapping: Mapping, raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The export's rows in the canonical layout (text cells, original row positions kept)."""
    import pandas as pd

    from kawal.settings import SITE_TZ

    missing = sorted(mapping.vendor_columns() - set(raw.columns))
    if missing:
        found = ", ".join(map(str, raw.columns)) or "none"
        raise SourceFileError(
            path, f"missing column(s) {', '.join(missing)} that mapping {mapping.name} reads (found: {found})"
        )
    for f in mapping.filters:
        values = f.value if isinstance(f.value, list) else [f.value]
        keep = raw[f.column].isin(values)
        raw = raw.loc[keep if f.op in ("==", "in") else ~keep]
    tz = ZoneInfo(mapping.timezone)
    out = pd.DataFrame(index=raw.index)
    for column, rule in mapping.columns.items():
        if rule.value is not None:
            values = pd.Series(rule.value, index=raw.index, dtype=object)
        elif rule.between is not None:
            start = _timestamps(raw[rule.between.start], rule.timestamp, tz, path, rule.between.start)
            end: list[datetime | None] = [None] * len(raw)
            for col in rule.between.end:  # the first non-empty of the end columns
                candidate = list(_timestamps(raw[col], rule.timestamp, tz, path, col))
                end = [e if e is not None else c for e, c in zip(end, candidate, strict=True)]
            seconds = [
                (e - s).total_seconds() if (s is not None and e is not None) else None
                for s, e in zip(list(start), end, strict=True)
            ]
            values = pd.Series([("" if v is None else f"{v:g}") for v in seconds], index=raw.index, dtype=object)
        else:
            values = raw[rule.from_].astype(object)
            if rule.default is not None:
                values = values.where(values.str.strip() != "", rule.default)
            if rule.map is not None:
                mapped = values.map(rule.map)
                unmapped = mapped.isna()
                if unmapped.any():
                    i = int(unmapped.to_numpy().nonzero()[0][0])
                    raise SourceFileError(
                        path,
                        f"row {raw.index[i] + 2}, column {rule.from_}: {redacted(values.iloc[i])!r} has no entry "
                        f"in the map of {column} (mapping {mapping.name}: {', '.join(sorted(rule.map))})",
                    )
                values = mapped
            if rule.timestamp is not None or column.endswith("_at"):
                stamps = _timestamps(values, rule.timestamp, tz, path, rule.from_)
                values = stamps.map(lambda v: "" if v is None else v.astimezone(SITE_TZ).isoformat())
            if rule.duration is not None:
                values = _seconds(values, rule.duration, path, rule.from_)
        out[column] = values.astype(str)
    return out


def read_mapped(mapping: Mapping, path: Path, day: date | None = None) -> pd.DataFrame:
    """Read an export through its mapping and check it like a canonical file."""
    raw = read_csv_strings(path, delimiter=mapping.file.delimiter, encoding=mapping.file.encoding)
    spec = SOURCES[mapping.source]
    try:
        return check_rows(spec, apply_mapping(mapping, raw, path), path, day)
    except SourceFileError as exc:
        # name the vendor column behind a canonical one, so the user knows what to fix in the export
        for column, rule in mapping.columns.items():
            if f"column {column}:" in exc.problem and rule.from_:
                raise SourceFileError(
                    path, f"{exc.problem} [{column} ← {rule.from_}, mapping {mapping.name}]"
                ) from None
        raise


def locate_and_read(source: str, day: date, landing: Path):  # type: ignore[no-untyped-def]
    """The day's delivery of ``source`` — through its active mapping if there is one — and its rows."""
    from kawal.ingest.sources import DayFile, locate_day_file, read_source, sha256_of

    mapping = active_mapping(source)
    if mapping is None:
        found = locate_day_file(landing, source, day)
        return found, read_source(SOURCES[source], found.path, day)
    path = mapping.day_file(landing, day)
    if not path.is_file():
        raise SourceFileError(path, f"no {source} export delivered for {day.isoformat()} (mapping {mapping.name})")
    if path.stat().st_size == 0:
        raise SourceFileError(path, "file is empty (0 bytes)")
    return DayFile(path, sha256_of(path)), read_mapped(mapping, path, day)


def reread(source: str, file_name: str, landing: Path, day: date | None = None):  # type: ignore[no-untyped-def]
    """Rows of a recorded batch: ``file_name`` is relative to the landing folder, its first part
    the source (canonical layout) or the mapping that read it."""
    from kawal.ingest.sources import read_source

    folder = Path(file_name).parts[0]
    if folder == source:
        return read_source(SOURCES[source], landing / file_name, day)
    return read_mapped(load_mapping(mappings_dir() / f"{folder}.yaml"), landing / file_name, day)
