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

import re
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kawal.errors import KawalError, SourceFileError
from kawal.ingest.readers import check_rows, read_csv_strings, refuse_ragged
from kawal.paths import climbs, plain_name
from kawal.redaction import cell, header_cell, header_line
from kawal.settings import mappings_dir
from kawal.sources import SOURCES, source_spec

if TYPE_CHECKING:
    import pandas as pd


class Between(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = Field(description="vendor column of the first timestamp")
    end: list[str] = Field(min_length=1, description="vendor columns of the second; the first non-empty wins")


class RowCondition(BaseModel):
    """A condition on a vendor row: a leaf ``{column, op, value}`` or ``{all: [...]}``,
    ``{any: [...]}``, ``{not: {...}}`` — e.g. "hung up in the IVR" = result HANGUP *and* no queue
    entry time. Cells are compared as the export writes them; ``blank`` / ``not_blank`` test for an
    empty cell (spaces only count as empty)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    column: str | None = Field(None, description="vendor column (a leaf)")
    op: Literal["==", "!=", "in", "not_in", "blank", "not_blank"] | None = None
    value: str | list[str] | None = None
    all: list[RowCondition] | None = Field(None, description="every condition holds")
    any: list[RowCondition] | None = Field(None, description="at least one holds")
    not_: RowCondition | None = Field(None, alias="not", description="the condition does not hold")

    @model_validator(mode="after")
    def _one_form(self) -> RowCondition:
        forms = [f for f in (self.column, self.all, self.any, self.not_) if f is not None]
        if len(forms) != 1:
            raise ValueError("give exactly one of column (with op and value), all, any, not")
        if self.column is not None:
            if self.op is None:
                raise ValueError(f"condition on {self.column!r}: give op")
            listed, unary = self.op in ("in", "not_in"), self.op in ("blank", "not_blank")
            if unary and self.value is not None:
                raise ValueError(f"op {self.op!r} takes no value")
            if not unary and (self.value is None or listed != isinstance(self.value, list)):
                raise ValueError(f"op {self.op!r} needs {'a list of values' if listed else 'a single value'}")
        elif self.op is not None or self.value is not None:
            raise ValueError("op and value belong to a condition on a column")
        if (self.all is not None and not self.all) or (self.any is not None and not self.any):
            raise ValueError("all / any need at least one condition")
        return self

    def columns(self) -> set[str]:
        if self.column is not None:
            return {self.column}
        parts = self.all or self.any or ([self.not_] if self.not_ is not None else [])
        return set().union(*(c.columns() for c in parts))

    def mask(self, raw: pd.DataFrame) -> pd.Series:
        import pandas as pd

        if self.all is not None:
            out = pd.Series(True, index=raw.index)
            for c in self.all:
                out &= c.mask(raw)
            return out
        if self.any is not None:
            out = pd.Series(False, index=raw.index)
            for c in self.any:
                out |= c.mask(raw)
            return out
        if self.not_ is not None:
            return ~self.not_.mask(raw)
        cells = raw[self.column].astype(str)
        if self.op in ("blank", "not_blank"):
            empty = cells.str.strip().eq("")
            return empty if self.op == "blank" else ~empty
        values = self.value if isinstance(self.value, list) else [self.value]
        hit = cells.isin(values)
        return hit if self.op in ("==", "in") else ~hit


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    when: RowCondition = Field(description="rows meeting this condition")
    value: str = Field(description="get this canonical value")


class ColumnRule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str | list[str] | None = Field(
        None, alias="from", description="vendor column to read; a list joins several (an id, a date and a time)"
    )
    join: str = Field(" ", description="with a list in from: what goes between the joined cells")
    cases: list[Case] = Field(
        default_factory=list, description="conditions over several columns, first match wins; other rows: the origin"
    )
    value: str | None = Field(None, description="a constant for every row")
    between: Between | None = Field(None, description="seconds between two vendor timestamps")
    map: dict[str, str] | None = Field(None, description="vendor value → canonical value; others are errors")
    default: str | None = Field(None, description="used for an empty cell")
    duration: Literal["seconds", "milliseconds", "hms"] | None = Field(None, description="how a duration is written")
    timestamp: str | None = Field(None, description="strptime format of a timestamp; ISO 8601 when absent")
    pseudonymise: bool = Field(False, description="replace the value by its keyed hash (customer identifiers)")
    default_is_known: bool = Field(
        False,
        description="a `default` on a column where blank means unknown (wait_s) is refused unless this says the "
        "site knows the blank's value",
    )

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnRule:
        origins = [o for o in (self.from_, self.value, self.between) if o is not None]
        if len(origins) > 1 or (not origins and not self.cases):
            raise ValueError("give exactly one of from, value, between (or cases, with at most one of them)")
        if isinstance(self.from_, list) and not self.from_:
            raise ValueError("from: give at least one vendor column")
        return self

    @property
    def from_columns(self) -> list[str]:
        """The vendor column(s) ``from`` reads (a list joins several)."""
        if self.from_ is None:
            return []
        return [self.from_] if isinstance(self.from_, str) else list(self.from_)

    def vendor_columns(self) -> set[str]:
        used = set().union(*(c.when.columns() for c in self.cases)) if self.cases else set()
        if self.between is not None:
            return used | {self.between.start, *self.between.end}
        return used | set(self.from_columns)

    def origin_text(self) -> str:
        """How the rule is shown by ``kawal sources check``."""
        if isinstance(self.from_, list):
            shown = f"{' + '.join(self.from_columns)} (joined by {self.join!r})"
        elif self.from_ is not None:
            shown = self.from_
        elif self.value is not None:
            shown = f"= {self.value!r}"
        elif self.between is not None:
            shown = f"seconds {self.between.start} → {'/'.join(self.between.end)}"
        else:
            shown = ""
        if self.cases:
            shown = f"{len(self.cases)} case(s)" + (f", else {shown}" if shown else "")
        return shown


#: a filter keeps the rows meeting its condition (every filter must hold)
Filter = RowCondition


class FileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pattern: str = Field(description="file name in landing/<mapping>/, e.g. 'calls_{date:%Y%m%d}.csv'")
    format: Literal["csv", "xlsx", "parquet"] = "csv"
    delimiter: str = Field(",", min_length=1, max_length=1, description="csv: the field separator")
    encoding: str = Field("utf-8-sig", description="csv: text encoding (utf-8-sig also reads a BOM)")
    sheet: str | None = Field(None, description="xlsx: the sheet to read; required when there are several")
    done_marker: bool = Field(
        False,
        description="the export is complete once an empty '<file>.done' lies beside it (for an export job that "
        "writes in place and cannot rename; kawal.ingest.delivery)",
    )

    @field_validator("pattern")
    @classmethod
    def _stays_in_the_landing_folder(cls, pattern: str) -> str:
        # issue #17: a pattern of ../../../../etc/passwd was read and recorded as a day's delivery
        try:
            sample = pattern.format(date=date(2026, 12, 31))
        except (KeyError, IndexError, ValueError, AttributeError):
            sample = pattern  # the date formatting is the reader's to word; the path is judged as spelt
        if climbs(pattern) or climbs(sample):
            raise ValueError("must name a file inside the mapping's landing folder (no '..', not an absolute path)")
        return pattern


class SqlSpec(BaseModel):
    """A table or view in the vendor's database: the day's rows are extracted into the landing file
    (``file.pattern``, CSV) so the delivery is kept, checksummed and re-readable like any export."""

    model_config = ConfigDict(extra="forbid")
    conn_id: str | None = Field(None, description="Airflow connection id of the database")
    url_env: str | None = Field(None, description="environment variable holding a SQLAlchemy URL")
    query: str = Field(description="SELECT with a :day_start and :day_end (site time, [start, end)) parameter")

    @model_validator(mode="after")
    def _one_origin(self) -> SqlSpec:
        if (self.conn_id is None) == (self.url_env is None):
            raise ValueError("give exactly one of conn_id, url_env")
        if ":day_start" not in self.query or ":day_end" not in self.query:
            raise ValueError("the query must select one day with :day_start and :day_end")
        return self


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field("", description="the file's stem (set on load)")
    source: str = Field(description="canonical source this export feeds")
    description: str = ""
    file: FileSpec
    folder: str | None = Field(
        None,
        description="landing sub-folder the exports lie in, when not the mapping's name: several mappings may read "
        "one export (calls and ratings from one workbook) without copying it",
    )

    @field_validator("folder")
    @classmethod
    def _one_folder_of_the_landing_folder(cls, folder: str | None) -> str | None:
        if folder is not None and not plain_name(folder):
            raise ValueError("must be one folder name inside the landing folder (no '/', no '..')")
        return folder

    shape: Literal["rows", "intervals", "aggregates"] = Field(
        "rows",
        description="rows: one row per event/snapshot; intervals / aggregates: counts per interval or per day "
        "(interactions only; kawal.ingest.intervals)",
    )
    period: Literal["day", "month"] = Field(
        "day",
        description="aggregates: the period a row covers. month: a monthly table, each month delivered as one "
        "file dated the month's last day and judged as a month only",
    )
    sql: SqlSpec | None = Field(None, description="extract each day from a database instead of a file drop")
    timezone: str | None = Field(
        None, description="timezone of timestamps written without an offset; default: the site's (site.yaml)"
    )
    columns: dict[str, ColumnRule]
    day: ColumnRule | None = Field(
        None,
        description="the business day of each row (a date column), for `kawal import` of a source without a "
        "timestamp; the source's timestamp column gives it otherwise",
    )
    filters: list[Filter] = Field(default_factory=list)

    def vendor_columns(self) -> set[str]:
        used = {c for rule in self.columns.values() for c in rule.vendor_columns()}
        return used.union(*(f.columns() for f in self.filters))

    @property
    def landing_folder(self) -> str:
        return self.folder or self.name

    def day_file(self, landing: Path, day: date) -> Path:
        return landing / self.landing_folder / self.file.pattern.format(date=day)


def load_mapping(path: Path) -> Mapping:
    from kawal.config import ConfigError, load_yaml_mapping, schema_problems

    try:
        data = load_yaml_mapping(path, "a mapping (source, file, columns …)")
    except ConfigError as exc:
        if exc.what == "not found":
            raise KawalError(f"{path}: mapping not found") from None
        where = "" if exc.where == "(file)" else f" {exc.where}:"
        raise KawalError(f"{path}:{where} {exc.what}") from None
    try:
        mapping = Mapping.model_validate({**data, "name": path.stem})
    except ValidationError as exc:
        field, what = next(schema_problems(exc))
        raise KawalError(f"{path}: field {field}: {what}") from None
    try:
        spec = source_spec(mapping.source)
    except KawalError as exc:
        raise KawalError(f"{path}: field source: {exc}") from None
    missing = [c for c in spec.required_columns if c not in mapping.columns]
    unknown = [c for c in mapping.columns if c not in spec.column_names]
    if mapping.period == "month" and mapping.shape != "aggregates":
        raise KawalError(f"{path}: field period: a monthly period is for shape: aggregates (a monthly table)")
    if mapping.shape in ("intervals", "aggregates"):
        from kawal.ingest.intervals import INTERVAL_FIELDS

        if mapping.source != "interactions":
            raise KawalError(f"{path}: field shape: interval aggregates feed interactions, not {mapping.source}")
        missing = [f.name for f in INTERVAL_FIELDS.values() if f.required and f.name not in mapping.columns]
        if "talk_s" not in mapping.columns and "talk_avg_s" not in mapping.columns:
            missing.append("talk_s (or talk_avg_s)")
        unknown = [c for c in mapping.columns if c not in INTERVAL_FIELDS]
        if missing:
            raise KawalError(f"{path}: columns: interval field(s) {', '.join(missing)} are not mapped")
        if unknown:
            raise KawalError(f"{path}: columns: {', '.join(unknown)} are not interval fields")
    for column, rule in mapping.columns.items():
        canonical = spec.column(column)
        if (
            canonical is not None
            and canonical.unknown_when_blank
            and rule.default is not None
            and not rule.default_is_known
        ):
            raise KawalError(
                f"{path}: columns.{column}: `default` would turn an unknown {column} into a known one (a blank wait "
                f"of {rule.default!r} s on an abandoned call would make it a short abandon). Remove it: a blank "
                f"stays unknown and such an abandon counts as offered; or add `default_is_known: true` if the "
                "export's blank really means that value"
            )
        if canonical is not None and canonical.pseudonym and rule.from_ is not None and not rule.pseudonymise:
            raise KawalError(
                f"{path}: columns.{column}: holds a customer identifier; add `pseudonymise: true` so only its "
                "keyed hash is kept"
            )
    if missing:
        raise KawalError(f"{path}: columns: canonical column(s) {', '.join(missing)} of {spec.name} are not mapped")
    if unknown:
        raise KawalError(f"{path}: columns: {', '.join(unknown)} are not columns of {spec.name}")
    if mapping.sql is not None and mapping.file.done_marker:
        raise KawalError(f"{path}: field file.done_marker: a SQL source is extracted whole by Kawal; it has no marker")
    if mapping.sql is not None and mapping.file.format != "csv":
        raise KawalError(f"{path}: field file.format: a SQL source is extracted to csv, not {mapping.file.format}")
    try:
        if mapping.timezone is not None:
            ZoneInfo(mapping.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise KawalError(f"{path}: field timezone: unknown timezone {mapping.timezone!r}") from None
    return mapping


#: a strftime directive as the characters it writes (a file name's date part); others: anything
_DIRECTIVES = {"Y": r"\d{4}", "y": r"\d{2}", "m": r"\d{2}", "d": r"\d{2}", "j": r"\d{3}", "%": "%"}
_DIRECTIVES |= dict.fromkeys("HIMSUWV", r"\d{2}") | dict.fromkeys("aAbBp", "[A-Za-z]+")


def name_regex(pattern: str) -> re.Pattern[str] | None:
    """The file names ``pattern`` (a ``file.pattern``, ``{date:%Y%m%d}`` fields) gives for any day, as
    a regular expression; None when it cannot say (a malformed pattern: loading words it)."""
    import string

    out = []
    try:
        for literal, field, spec, _conversion in string.Formatter().parse(pattern):
            out.append(re.escape(literal))
            if field is None:
                continue
            if not spec:  # str(date): 2026-10-01
                out.append(r"\d{4}-\d{2}-\d{2}")
                continue
            i = 0
            while i < len(spec):
                if spec[i] == "%" and i + 1 < len(spec):
                    out.append(_DIRECTIVES.get(spec[i + 1], ".+?"))
                    i += 2
                else:
                    out.append(re.escape(spec[i]))
                    i += 1
    except ValueError:
        return None
    return re.compile("".join(out))


def active_mappings() -> list[Mapping]:
    """Every active mapping (``mappings/*.yaml``), loaded as :func:`active_mapping` loads them."""
    return [m for source in SOURCES if (m := active_mapping(source)) is not None]


def active_mapping_problems() -> list[str]:
    """One line per active mapping file (``mappings/*.yaml``) that does not load — a pattern that
    climbs out of the landing folder among them — for ``kawal rules check`` (issue #17)."""
    directory = mappings_dir()
    problems = []
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
        try:
            load_mapping(path)
        except KawalError as exc:
            problems.append(str(exc))
    return problems


#: the active mappings last loaded, keyed by the folder and its files' bytes: every task of a run asks
#: for its source's mapping several times (ingest, the cross-delivery checks, compute, the report)
_ACTIVE: dict[tuple[str, str], list[Mapping]] = {}


def active_mapping(source: str) -> Mapping | None:
    """The mapping in ``mappings/`` that feeds ``source``, if any (at most one may)."""
    from kawal.config import content_key

    directory = mappings_dir()
    if not directory.is_dir():
        return None
    paths = sorted(directory.glob("*.yaml"))
    key = (str(directory), content_key(paths))
    if key not in _ACTIVE:
        loaded = [load_mapping(p) for p in paths]  # a bad one raises every time: never cached
        _ACTIVE.clear()
        _ACTIVE[key] = loaded
    found = [m for m in _ACTIVE[key] if m.source == source]
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


def parse_timestamps(raw: pd.Series, fmt: str | None, tz: ZoneInfo, path: Path, column: str) -> pd.Series:
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
                path, f"row {raw.index[i] + 2}, column {column}: {cell(text)} is not a timestamp in {shown}"
            ) from None
        parsed.append(moment if moment.tzinfo else moment.replace(tzinfo=tz))
    return pd.Series(parsed, index=raw.index, dtype=object)


def mapping_zone(mapping: Mapping) -> ZoneInfo:
    """The zone of the export's timestamps written without an offset: the mapping's, else the site's."""
    from kawal.settings import site_tz

    return ZoneInfo(mapping.timezone) if mapping.timezone else site_tz()


def apply_mapping(mapping: Mapping, raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The export's rows in the canonical layout (text cells, original row positions kept)."""
    import pandas as pd

    missing = sorted(mapping.vendor_columns() - set(raw.columns))
    if missing:
        found = header_line(raw.columns, mapping.vendor_columns())
        raise SourceFileError(
            path, f"missing column(s) {', '.join(missing)} that mapping {mapping.name} reads ({found})"
        )
    for f in mapping.filters:
        raw = raw.loc[f.mask(raw)]
    tz = mapping_zone(mapping)
    out = pd.DataFrame(index=raw.index)
    for column, rule in mapping.columns.items():
        if not rule.cases:  # the common case: no copy of the rows
            out[column] = origin_values(mapping, column, rule, raw, tz, path).astype(str)
            continue
        values = pd.Series("", index=raw.index, dtype=object)
        decided = pd.Series(False, index=raw.index)
        for case in rule.cases:  # first match wins; a case's value is already canonical
            hit = case.when.mask(raw) & ~decided
            values[hit] = case.value
            decided |= hit
        rest = raw.loc[~decided]
        if not rest.empty:
            if rule.from_ is None and rule.value is None and rule.between is None:
                i = int((~decided).to_numpy().nonzero()[0][0])
                raise SourceFileError(
                    path,
                    f"row {raw.index[i] + 2}: no case of {column} matches ({int((~decided).sum())} row(s) in all; "
                    f"mapping {mapping.name}: add a case, or a from/value for the other rows)",
                )
            values[~decided] = origin_values(mapping, column, rule, rest, tz, path)
        out[column] = values.astype(str)
    return out


def origin_values(
    mapping: Mapping, column: str, rule: ColumnRule, raw: pd.DataFrame, tz: ZoneInfo, path: Path
) -> pd.Series:
    """The canonical text of ``column`` from the rule's origin (from / value / between) on ``raw``."""
    import pandas as pd

    from kawal.settings import site_tz

    if rule.value is not None:
        return pd.Series(rule.value, index=raw.index, dtype=object)
    if rule.between is not None:
        start = parse_timestamps(raw[rule.between.start], rule.timestamp, tz, path, rule.between.start)
        end: list[datetime | None] = [None] * len(raw)
        for col in rule.between.end:  # the first non-empty of the end columns
            candidate = list(parse_timestamps(raw[col], rule.timestamp, tz, path, col))
            end = [e if e is not None else c for e, c in zip(end, candidate, strict=True)]
        seconds = [
            (e - s).total_seconds() if (s is not None and e is not None) else None
            for s, e in zip(list(start), end, strict=True)
        ]
        return pd.Series([("" if v is None else f"{v:g}") for v in seconds], index=raw.index, dtype=object)
    sources = rule.from_columns
    shown = "+".join(sources)  # how an error names the vendor column(s)
    values = raw[sources[0]].astype(object)
    for other in sources[1:]:  # e.g. a date column and a time-of-day column, or an id unique with its site
        values = values.astype(str) + rule.join + raw[other].astype(str)
    if rule.default is not None:
        values = values.where(values.str.strip() != "", rule.default)
    if rule.map is not None:
        mapped = values.map(rule.map)
        unmapped = mapped.isna()
        if unmapped.any():
            i = int(unmapped.to_numpy().nonzero()[0][0])
            raise SourceFileError(
                path,
                f"row {raw.index[i] + 2}, column {shown}: {cell(values.iloc[i])} has no entry "
                f"in the map of {column} (mapping {mapping.name}: {', '.join(sorted(rule.map))})",
            )
        values = mapped
    if rule.timestamp is not None or column.endswith("_at") or column == "interval_start":
        stamps = parse_timestamps(values, rule.timestamp, tz, path, shown)
        zone = site_tz()
        values = stamps.map(lambda v: "" if v is None else v.astimezone(zone).isoformat())
    if rule.duration is not None:
        values = _seconds(values, rule.duration, path, shown)
    if rule.pseudonymise:
        from kawal.ingest.pseudonym import pii_key, pseudonym

        values = values.map(partial(pseudonym, key=pii_key()))
    return values


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed cells (Excel, Parquet) as the text a CSV would carry; empty for a missing value."""
    import pandas as pd

    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        text = values.astype(object).map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v))
        if pd.api.types.is_float_dtype(values):  # 195.0 → "195" (Excel stores every number as a float)
            text = values.map(lambda v: "" if pd.isna(v) else f"{v:.15g}")
        out[str(column)] = text.where(values.notna(), "")
    return out


def read_export(mapping: Mapping, path: Path, usecols: list[str] | None = None) -> pd.DataFrame:
    """The export's cells as text, whatever its format; a bad file is one clear error."""
    import pandas as pd

    spec = mapping.file
    if spec.format == "csv":
        return read_csv_strings(path, delimiter=spec.delimiter, encoding=spec.encoding)
    if spec.format == "xlsx":
        from zipfile import BadZipFile

        try:
            book = pd.ExcelFile(path, engine="openpyxl")
        except (BadZipFile, OSError, ValueError, KeyError) as exc:
            raise SourceFileError(path, f"not a readable xlsx workbook ({type(exc).__name__})") from None
        with book:
            sheets = list(book.sheet_names)
            if spec.sheet is None and len(sheets) > 1:
                raise SourceFileError(
                    path,
                    f"workbook has {len(sheets)} sheets ({', '.join(map(header_cell, sheets))}): "
                    f"set file.sheet in mapping {mapping.name}",
                )
            sheet = spec.sheet or sheets[0]
            if sheet not in sheets:
                raise SourceFileError(
                    path, f"no sheet {sheet!r} (sheets: {', '.join(map(header_cell, sheets))}; mapping {mapping.name})"
                )
            # pd.read_excel on the open book (ExcelFile.parse is deprecated in pandas 3)
            frame = pd.read_excel(book, sheet_name=sheet, dtype=object, keep_default_na=False, usecols=usecols)
        return _as_text(frame)
    import pyarrow as pa

    try:
        frame = pd.read_parquet(path, columns=usecols)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise SourceFileError(path, f"not a readable Parquet file ({str(exc).splitlines()[0][:120]})") from None
    return _as_text(frame)


def monthly_delivery(source: str) -> bool:
    """The source comes as a monthly aggregate table (its active mapping says ``period: month``):
    delivered once a month, on the month's last day, for the whole month."""
    mapping = active_mapping(source)
    return mapping is not None and mapping.period == "month"


def _month_rows_on(mapped: pd.DataFrame, day: date, path: Path) -> pd.DataFrame:
    """A monthly table's rows as delivered on ``day`` (the month's last day): each row's period must
    be that month; the rows are then dated ``day`` (the delivery's business day)."""
    from datetime import time

    from kawal.settings import site_tz

    months = []
    for i, text in enumerate(mapped["interval_start"]):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            months.append(text)
            continue  # the canonical check names it
        months.append(f"{moment:%Y-%m}")
        if (moment.year, moment.month) != (day.year, day.month):
            raise SourceFileError(
                path, f"row {mapped.index[i] + 2}: its month {moment:%Y-%m} is not the delivery's month {day:%Y-%m}"
            )
    # the period as the export wrote it stays for messages (a published rate off its counts names the month)
    return mapped.assign(interval_start=datetime.combine(day, time(), site_tz()).isoformat(), period_label=months)


def read_mapped(mapping: Mapping, path: Path, day: date | None = None) -> pd.DataFrame:
    """Read an export through its mapping and check it like a canonical file."""
    raw = read_export(mapping, path)
    rows = map_rows(mapping, raw, path, day)
    refuse_ragged(raw, path)
    return rows


def map_rows(mapping: Mapping, raw: pd.DataFrame, path: Path, day: date | None = None) -> pd.DataFrame:
    """The export's cells (``read_export``) through the mapping, checked like a canonical file."""
    spec = SOURCES[mapping.source]
    try:
        mapped = apply_mapping(mapping, raw, path)
        if mapping.period == "month" and day is not None:
            mapped = _month_rows_on(mapped, day, path)
        if mapping.shape in ("intervals", "aggregates"):
            from kawal.ingest.intervals import expand_intervals

            mapped = expand_intervals(mapped, path)
        return check_rows(spec, mapped, path, day)
    except SourceFileError as exc:
        # name the vendor column behind a canonical one, so the user knows what to fix in the export
        for column, rule in mapping.columns.items():
            if f"column {column}:" in exc.problem and rule.from_:
                raise SourceFileError(
                    path, f"{exc.problem} [{column} ← {'+'.join(rule.from_columns)}, mapping {mapping.name}]"
                ) from None
        raise
