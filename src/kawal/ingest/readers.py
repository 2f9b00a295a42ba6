"""Reading a canonical delivery and checking it row by row against its source's layout.

Bad input raises :class:`SourceFileError` with one line naming the file and, where there is one,
the row (file line, header = 1) and column — never a data cell in the clear.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from kawal.errors import SourceFileError
from kawal.redaction import cell, figure, header_line
from kawal.sources import SourceSpec

if TYPE_CHECKING:
    import pandas as pd


def _first(mask: pd.Series) -> int:
    """Index position of the first True in ``mask``."""
    return int(mask.to_numpy().nonzero()[0][0])


def plain_header(path: Path, delimiter: str = ",", encoding: str = "utf-8-sig") -> list[str] | None:
    """The file's header when pyarrow may read the file as pandas would: readable text, every name
    present and distinct (pandas renames empty and repeated names, "Unnamed: 2", "a.1": such files
    are left to it); None otherwise."""
    import csv

    try:
        with path.open(encoding=encoding, newline="") as fh:
            header = next(csv.reader(fh, delimiter=delimiter), None)
    except (UnicodeDecodeError, csv.Error, OSError):
        return None
    if not header or len(set(header)) != len(header) or any(not name for name in header):
        return None
    return header


def _read_csv_strings_arrow(path: Path, delimiter: str, encoding: str) -> pd.DataFrame | None:
    """The same frame as pandas' reader below, read by pyarrow's multi-threaded CSV reader (a 1M-row
    day in a fraction of the time and memory); None when the file is anything but plain: then the
    pandas reader reads it and words any problem exactly as before (the bad-input corpus)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if encoding.lower().replace("_", "-") not in ("utf-8", "utf-8-sig", "utf8"):
        return None
    header = plain_header(path, delimiter, encoding)
    if header is None:
        return None
    try:
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header}, strings_can_be_null=False
            ),
        )
    except (pa.ArrowException, OSError):
        return None
    if table.column_names != header:
        return None
    return table.to_pandas()


def _ragged_row(path: Path, delimiter: str, encoding: str) -> tuple[int, int, int] | None:
    """(row, its fields, the header's) of the first record whose field count differs from the
    header's — rows numbered as everywhere (header = row 1, blank lines skipped as pandas skips them);
    None when every row has the header's count, or when the file is not readable text (pandas then
    words what is wrong, as the bad-input corpus pins)."""
    import csv

    try:
        with path.open(encoding=encoding, newline="") as fh:
            records = (r for r in csv.reader(fh, delimiter=delimiter) if r)
            header = next(records, None)
            if header is None:
                return None
            width = len(header)
            for n, record in enumerate(records, start=2):
                if len(record) != width:
                    return n, len(record), width
    except (UnicodeDecodeError, csv.Error, OSError, LookupError):
        return None
    return None


def read_csv_strings(path: Path, *, delimiter: str = ",", encoding: str = "utf-8-sig") -> pd.DataFrame:
    """Every cell as text (no guessing of types or NA markers); bad files are one clear error."""
    import pandas as pd

    fast = _read_csv_strings_arrow(path, delimiter, encoding)
    if fast is not None:
        return fast
    # pyarrow refuses a row whose field count is not the header's; pandas pads a short row with
    # empty cells, and a blank optional flag reads "unknown": a truncated last row would load
    ragged = _ragged_row(path, delimiter, encoding)
    if ragged is not None and ragged[1] > ragged[2]:
        raise _ragged_error(path, ragged)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, sep=delimiter)
    except pd.errors.EmptyDataError:
        raise SourceFileError(path, "file has no header and no rows") from None
    except UnicodeDecodeError as exc:
        shown = "UTF-8" if encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig", "utf8") else encoding
        raise SourceFileError(path, f"not {shown} text (byte {exc.start})") from None
    except pd.errors.ParserError as exc:
        raise SourceFileError(path, f"not a readable CSV: {' '.join(str(exc).split())}") from None
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas takes the first column as the index when rows have one field more than the header
        raise SourceFileError(
            path,
            f"rows have {len(frame.columns) + 1} fields but the header names {len(frame.columns)}: "
            "a delimiter inside a value, or a shifted row",
        )
    if ragged is not None:
        # a short row is refused once the row checks found nothing else (refuse_ragged): a cut row
        # whose blank cells the checks already refuse keeps the message the bad-input corpus pins
        frame.attrs[RAGGED] = ragged
    return frame


#: ``DataFrame.attrs`` key of a file's first short row (row, its fields, the header's)
RAGGED = "kawal.ragged_row"


def _ragged_error(path: Path, ragged: tuple[int, int, int]) -> SourceFileError:
    row, fields, named = ragged
    return SourceFileError(
        path,
        f"row {row} has {fields} field(s) but the header names {named}: a row cut short "
        "(a truncated delivery) or a delimiter inside a value; refused",
    )


def refuse_ragged(raw: pd.DataFrame, path: Path) -> None:
    """Issue #17, finding 8: a row with fewer fields than the header is an error naming the row — a
    transfer that stopped at a field boundary is not a row with unknown flags."""
    ragged = raw.attrs.get(RAGGED)
    if ragged is not None:
        raise _ragged_error(path, ragged)


def read_source(spec: SourceSpec, path: Path, day: date | None = None) -> pd.DataFrame:
    """Read and check one day file of ``spec``; returns its columns typed (numbers as float64)."""
    raw = read_csv_strings(path)
    rows = check_rows(spec, raw, path, day)
    refuse_ragged(raw, path)
    return rows


#: How the canonical layout writes a timestamp (datetime.isoformat() of a whole second with its offset)
_DATE, _TIME = r"\d{4}-\d{2}-\d{2}", r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d"
ISO_SECONDS_WITH_OFFSET = _DATE + _TIME + r"[+-](?:[01]\d|2[0-3]):[0-5]\d"


def site_offset_canonical(text: pd.Series, day: date, *, same_day: bool) -> bool:
    """Every cell written the canonical way with the site's UTC offset of ``day`` (and, with
    ``same_day``, dated ``day``): then the text alone says the day, and the largest text is the
    latest moment — a string match, no parsing (a third of a second per million rows saved, twice)."""
    import re

    from kawal.settings import site_tz

    if text.empty:
        return False
    offset = datetime.combine(day, time(), site_tz()).isoformat()[-6:]  # "+07:00" (WIB has no DST)
    pattern = (re.escape(day.isoformat()) if same_day else _DATE) + _TIME + re.escape(offset)
    return bool(text.str.fullmatch(pattern).fillna(False).all())


def aware_timestamps(text: pd.Series) -> pd.Series | None:
    """The cells as UTC timestamps, parsed at once, when every one is written the canonical way; None
    otherwise — the caller then parses row by row (``datetime.fromisoformat``) and names the bad row.
    At a million rows the row-by-row parse costs seconds; this, hundredths."""
    import pandas as pd

    if text.empty or not bool(text.str.fullmatch(ISO_SECONDS_WITH_OFFSET).fillna(False).all()):
        return None
    try:
        return pd.to_datetime(text, format="%Y-%m-%dT%H:%M:%S%z", utc=True)
    except (ValueError, OverflowError):  # e.g. 2026-02-30: the row-by-row parse names it
        return None


def latest_moment(texts: pd.Series, day: date) -> datetime:
    """The latest of the cells' moments, in site time (the cells are valid timestamps)."""
    from kawal.settings import site_tz

    if site_offset_canonical(texts, day, same_day=False):  # one offset, fixed width: text order is time order
        return datetime.fromisoformat(texts.max()).astimezone(site_tz())
    if (stamps := aware_timestamps(texts)) is not None:
        return stamps.max().to_pydatetime().astimezone(site_tz())
    zone = site_tz()
    return max(datetime.fromisoformat(t).astimezone(zone) for t in texts)


def _numbers(raw: pd.Series) -> pd.Series:
    """``pd.to_numeric(raw, errors="coerce")`` as float64: by pyarrow's cast when every cell is a plain
    number (a tenth of the time), else by pandas, whose coercion marks the bad cells."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        values = pc.cast(pa.array(raw), pa.float64())
    except (pa.ArrowException, TypeError):
        return pd.to_numeric(raw, errors="coerce")
    # + 0.0: "-0" is 0 to pandas (an integer), -0.0 to the cast; shown in messages, it must read 0
    return pd.Series(values.to_numpy(zero_copy_only=False) + 0.0, index=raw.index, dtype="float64")


def _all_distinct(values: pd.Series) -> bool:
    """No value twice (pyarrow's hash count: a fifth of pandas' ``duplicated`` at a million ids; the
    slower path runs only to name the first repeat)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return pc.count_distinct(pa.array(values), mode="all").as_py() == len(values)
    except (pa.ArrowException, TypeError):
        return False


MAX_TEXT = 500  # a longer cell is a broken export (a quote left open swallowing rows), not a queue name
FORMULA_PREFIXES = ("=", "+", "@")  # CSV/formula injection: such a cell would run in a spreadsheet
PSEUDONYM = r"[0-9a-f]{32}"  # kawal.ingest.pseudonym: the first 128 bits of an HMAC-SHA256, in hex


def _default(col):  # type: ignore[no-untyped-def]
    """An absent optional column's cells: its default, typed (a number column's blank is NaN)."""
    if col.kind == "text" or col.pseudonym:
        return col.default
    return float(col.default) if col.default.strip() else float("nan")


def check_rows(
    spec: SourceSpec, rows: pd.DataFrame, path: Path, day: date | None = None, *, whole_day: bool = True
) -> pd.DataFrame:
    """Check text cells against the canonical layout of ``spec`` and type them.

    A row is named by its line in ``path`` (header = line 1): ``rows``' index must be the 0-based
    position of the row in that file (kept through any filtering of a mapped export).
    ``whole_day=False``: ``rows`` are one batch of a streamed delivery (kawal.ingest.stream): what
    needs the whole day — not empty, ids unique — is the stream's to check.
    """
    import numpy as np

    missing = [c for c in spec.required_columns if c not in rows.columns]
    if missing:
        found = header_line(rows.columns, spec.column_names)
        raise SourceFileError(path, f"missing required column(s) {', '.join(missing)} ({found})")
    rows = rows.assign(**{c.name: _default(c) for c in spec.columns if c.optional and c.name not in rows.columns})
    rows = rows.loc[:, list(spec.column_names)]
    if whole_day and rows.empty and not spec.empty_day_ok:
        raise SourceFileError(path, f"header only, no {spec.name} rows")

    def fail(i: int, column: str, problem: str, n_bad: int) -> SourceFileError:
        value = cell(rows[column].iloc[i])  # its shape, never the cell in the clear (kawal.redaction)
        more = f" ({n_bad} bad row(s) in all)" if n_bad > 1 else ""
        return SourceFileError(path, f"row {rows.index[i] + 2}, column {column}: {value} {problem}{more}")

    weight = None
    if spec.weight:  # checked first: the per-event bounds of the other columns need it
        order = sorted(spec.columns, key=lambda c: c.name != spec.weight)
    else:
        order = list(spec.columns)
    for col in order:
        raw = rows[col.name]
        if col.pseudonym:
            bad = ~raw.str.fullmatch(PSEUDONYM) & (raw != "")
            if bad.any():
                raise fail(
                    _first(bad),
                    col.name,
                    "is not a keyed hash: customer identifiers are refused in the clear",
                    int(bad.sum()),
                )
            continue
        if col.kind == "text":
            too_long = raw.str.len() > MAX_TEXT
            if too_long.any():
                raise fail(_first(too_long), col.name, f"is longer than {MAX_TEXT} characters", int(too_long.sum()))
            formula = raw.str.startswith(FORMULA_PREFIXES)
            if formula.any():
                raise fail(_first(formula), col.name, "looks like a spreadsheet formula; refused", int(formula.sum()))
            if col.allowed is not None:
                bad = ~raw.isin(col.allowed)
                if bad.any():
                    raise fail(_first(bad), col.name, f"is not one of {', '.join(sorted(col.allowed))}", bad.sum())
            continue
        typed = raw.dtype.kind == "f"  # parsed as numbers by the stream's reader (a blank is NaN)
        number = raw + 0.0 if typed else _numbers(raw)  # + 0.0: -0 reads 0 (see _numbers)
        blank = raw.isna() if typed else raw.str.strip().eq("")
        unknown = blank if col.unknown_when_blank else None
        if unknown is not None and unknown.any():
            number = number.where(~unknown)  # unknown stays unknown (NaN), never 0
        if col.kind == "flag":
            bad = ~number.isin([0, 1])
            problem = "is not a flag (0 or 1)"
        else:
            bad = number.isna() | ~np.isfinite(number.fillna(0))  # "inf" and 1e400 are no durations
            if col.kind == "count":
                bad |= number.notna() & (number % 1 != 0)
            if col.minimum is not None:
                bad |= number < col.minimum
            if col.maximum is not None:
                bad |= number > col.maximum * (weight if weight is not None else 1)
            bounds = f" from {col.minimum:g}" if col.minimum is not None else ""
            bounds += f" to {col.maximum:g}" if col.maximum is not None else ""
            bounds += (
                " per interaction" if weight is not None and col.maximum is not None and (weight > 1).any() else ""
            )
            problem = f"is not a {'whole number' if col.kind == 'count' else 'number'}{bounds}"
        if unknown is not None:
            bad &= ~unknown
        if bad.any():
            raise fail(_first(bad), col.name, problem, int(bad.sum()))
        rows[col.name] = number.astype("float64")
        if col.name == spec.weight:
            weight = rows[col.name]
    if whole_day and spec.unique and not _all_distinct(rows[spec.unique]):
        dup = rows[spec.unique].duplicated()
        if dup.any():
            i = _first(dup)
            first = rows.index[_first(rows[spec.unique] == rows[spec.unique].iloc[i])] + 2
            raise fail(i, spec.unique, f"appears again (first on row {first})", int(dup.sum()))
    if spec.timestamp and day is not None:
        from kawal.settings import site_tz

        all_on_day = site_offset_canonical(rows[spec.timestamp], day, same_day=True)
        if not all_on_day:
            stamps = aware_timestamps(rows[spec.timestamp])
            day_start = datetime.combine(day, time(), site_tz())
            day_end = datetime.combine(day + timedelta(days=1), time(), site_tz())
            all_on_day = stamps is not None and bool(((stamps >= day_start) & (stamps < day_end)).all())
        for i, text in enumerate([] if all_on_day else rows[spec.timestamp]):
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise fail(i, spec.timestamp, "is not an ISO 8601 timestamp", 1) from None
            if moment.tzinfo is None:
                raise fail(i, spec.timestamp, "has no UTC offset (e.g. +07:00): its day is ambiguous", 1)
            if moment.astimezone(site_tz()).date() != day:
                zone = f"{datetime.combine(day, time(12), site_tz()):%Z}"  # WIB, WITA, CET …
                raise fail(i, spec.timestamp, f"is not on {day.isoformat()} ({zone}): a row of another day", 1)
    for small, large in spec.at_most:
        bad = rows[small] > rows[large]
        if bad.any():
            i = _first(bad)
            raise SourceFileError(
                path,
                f"row {rows.index[i] + 2}: {small} ({figure(rows[small].iloc[i])}) is greater than "
                f"{large} ({figure(rows[large].iloc[i])})",
            )
    return rows
