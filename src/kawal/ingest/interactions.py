"""The ``interactions`` source: one CSV per day of call/chat records in Kawal's canonical layout.

Landing file: ``<landing>/interactions/interactions_YYYY-MM-DD.csv`` (UTF-8, comma, header row),
one row per interaction that entered a queue on that day (site timezone). Vendor exports in other
layouts are mapped onto this one by configuration (the Ingest issue); this module checks the
canonical layout and refuses bad input with one line naming the file, row and column.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from kawal.errors import SourceFileError

if TYPE_CHECKING:
    import pandas as pd

SOURCE = "interactions"

#: Columns the KPI formulas need; other columns (agent_id, customer_phone, ...) are ignored.
REQUIRED_COLUMNS = (
    "interaction_id",
    "channel",
    "queue",
    "arrived_at",
    "outcome",
    "wait_s",
    "talk_s",
    "hold_s",
    "acw_s",
)
DURATION_COLUMNS = ("wait_s", "talk_s", "hold_s", "acw_s")
OUTCOMES = frozenset({"answered", "abandoned"})


def day_file(landing: Path, day: date) -> Path:
    return landing / SOURCE / f"{SOURCE}_{day.isoformat()}.csv"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class DayFile:
    path: Path
    checksum_sha256: str


def locate_day_file(landing: Path, day: date) -> DayFile:
    path = day_file(landing, day)
    if not path.is_file():
        raise SourceFileError(path, f"no {SOURCE} file delivered for {day.isoformat()}")
    if path.stat().st_size == 0:
        raise SourceFileError(path, "file is empty (0 bytes)")
    return DayFile(path, sha256_of(path))


def _first_bad_row(mask: pd.Series) -> int:
    """File line number of the first True in ``mask`` (line 1 is the header)."""
    return int(mask.to_numpy().nonzero()[0][0]) + 2


def read_interactions(path: Path) -> pd.DataFrame:
    """Read and check one day file; returns the required columns with durations as floats."""
    import pandas as pd

    try:
        rows = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise SourceFileError(path, "file has no header and no rows") from None
    except UnicodeDecodeError as exc:
        raise SourceFileError(path, f"not UTF-8 text (byte {exc.start})") from None
    except pd.errors.ParserError as exc:
        raise SourceFileError(path, f"not a readable CSV: {str(exc).strip()}") from None

    missing = [c for c in REQUIRED_COLUMNS if c not in rows.columns]
    if missing:
        found = ", ".join(map(str, rows.columns)) or "none"
        raise SourceFileError(path, f"missing required column(s) {', '.join(missing)} (found: {found})")
    if rows.empty:
        raise SourceFileError(path, "header only, no interaction rows")

    rows = rows.loc[:, list(REQUIRED_COLUMNS)]
    for column in DURATION_COLUMNS:
        as_number = pd.to_numeric(rows[column], errors="coerce")
        bad = as_number.isna() | (as_number < 0)
        if bad.any():
            line = _first_bad_row(bad)
            raise SourceFileError(
                path,
                f"row {line}, column {column}: {rows[column].iloc[line - 2]!r} is not a number of "
                f"seconds >= 0 ({int(bad.sum())} bad row(s) in all)",
            )
        rows[column] = as_number.astype("float64")
    bad_outcome = ~rows["outcome"].isin(OUTCOMES)
    if bad_outcome.any():
        line = _first_bad_row(bad_outcome)
        raise SourceFileError(
            path,
            f"row {line}, column outcome: {rows['outcome'].iloc[line - 2]!r} is not one of "
            f"{', '.join(sorted(OUTCOMES))}",
        )
    return rows
