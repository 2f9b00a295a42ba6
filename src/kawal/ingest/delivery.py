"""A day's delivery of a source: where it lies in the landing folder, its SHA-256 (objective evidence,
§6), and its rows — read through the source's active mapping when there is one, else canonical.

The router between the readers: it imports the mapping config and the readers, neither imports it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from kawal.errors import SourceFileError
from kawal.ingest.mapping import active_mapping, apply_mapping, load_mapping, read_export, read_mapped
from kawal.settings import mappings_dir
from kawal.sources import SOURCES

if TYPE_CHECKING:
    import pandas as pd


def day_file(landing: Path, source: str, day: date) -> Path:
    return landing / source / f"{source}_{day.isoformat()}.csv"


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


def locate_day_file(landing: Path, source: str, day: date) -> DayFile:
    path = day_file(landing, source, day)
    if not path.is_file():
        raise SourceFileError(path, f"no {source} file delivered for {day.isoformat()}")
    if path.stat().st_size == 0:
        raise SourceFileError(path, "file is empty (0 bytes)")
    return DayFile(path, sha256_of(path))


def locate_and_read(source: str, day: date, landing: Path):  # type: ignore[no-untyped-def]
    """The day's delivery of ``source`` — through its active mapping if there is one — and its rows."""
    from kawal.ingest.readers import read_source

    mapping = active_mapping(source)
    if mapping is None:
        found = locate_day_file(landing, source, day)
        return found, read_source(SOURCES[source], found.path, day)
    path = mapping.day_file(landing, day)
    if mapping.sql is not None:
        from kawal.ingest.extract import extract_day

        extract_day(mapping, day, path)
    if not path.is_file():
        raise SourceFileError(path, f"no {source} export delivered for {day.isoformat()} (mapping {mapping.name})")
    if path.stat().st_size == 0:
        raise SourceFileError(path, "file is empty (0 bytes)")
    return DayFile(path, sha256_of(path)), read_mapped(mapping, path, day)


def reread(source: str, file_name: str, landing: Path, day: date | None = None):  # type: ignore[no-untyped-def]
    """Rows of a recorded batch: ``file_name`` is relative to the landing folder, its first part
    the source (canonical layout) or the mapping that read it."""
    from kawal.ingest.readers import read_source

    mapping = _mapping_of(source, file_name)
    if mapping is None:
        return read_source(SOURCES[source], landing / file_name, day)
    return read_mapped(mapping, landing / file_name, day)


def _mapping_of(source: str, file_name: str):  # type: ignore[no-untyped-def]
    """The mapping that read a recorded batch of ``source`` (None: the canonical layout). The file's
    first folder is the mapping's landing folder: its name, or the ``folder`` it shares with other
    mappings (one workbook feeding calls and ratings)."""
    folder = Path(file_name).parts[0]
    active = active_mapping(source)
    if active is not None and active.landing_folder == folder:
        return active
    if folder == source:
        return None
    return load_mapping(mappings_dir() / f"{folder}.yaml")


def read_ids(source: str, file_name: str, landing: Path) -> pd.Series:
    """The unique ids of a recorded batch, reading as little of its file as its mapping allows."""
    import pandas as pd

    spec = SOURCES[source]
    assert spec.unique is not None
    path = landing / file_name
    mapping = _mapping_of(source, file_name)
    if mapping is None:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        try:  # pyarrow reads the one column without building the others (a 1M-row day: tenths of a second)
            table = pacsv.read_csv(
                path,
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    include_columns=[spec.unique], column_types={spec.unique: pa.string()}, strings_can_be_null=False
                ),
            )
            return table.to_pandas()[spec.unique]
        except (pa.ArrowException, OSError):
            pass
        return pd.read_csv(path, usecols=[spec.unique], dtype=str, keep_default_na=False, encoding="utf-8-sig")[
            spec.unique
        ]
    rule = mapping.columns.get(spec.unique)
    if rule is None or rule.from_ is None or rule.map is not None or rule.cases or mapping.file.format == "csv":
        return read_mapped(mapping, path)[spec.unique]
    needed = sorted(rule.vendor_columns().union(*(f.columns() for f in mapping.filters)))
    raw = read_export(mapping, path, usecols=needed)
    return apply_mapping(mapping.model_copy(update={"columns": {spec.unique: rule}}), raw, path)[spec.unique]
