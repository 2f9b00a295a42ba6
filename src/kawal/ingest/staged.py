"""A delivery's typed rows, staged once as Parquet for the compute task (issue #21).

**Records decision.** The landing file is the objective evidence (work instruction §6; ISO 9001
§7.5) and keeps its retention. The staged file is a *derived cache*, never a record: written by the
ingest task after the delivery passed every check, named by the delivery's SHA-256
(``$KAWAL_HOME/staged/<source>/<sha256>.parquet``; one workbook feeding two sources stages twice),
carrying that key in its Parquet metadata, and its own SHA-256 kept with the batch's validation.
The compute task reads it — not the landing file — once its key and its hash check out; when it
does not (removed, altered, staged by an older Kawal), compute rebuilds it from the landing file,
whose checksum is verified first. Disposing of a landing file disposes of its staged files.

It is written atomically (a temporary name, then ``os.replace``): a reader sees the whole file or
none, and two tasks staging the same delivery write the same bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kawal.settings import kawal_home

if TYPE_CHECKING:
    import pandas as pd

#: the Parquet metadata key naming the delivery (landing file) a staged file was made from
KEY = "kawal.delivery_sha256"


def staged_dir() -> Path:
    return kawal_home() / "staged"


def staged_path(source: str, delivery_sha256: str) -> Path:
    return staged_dir() / source / f"{delivery_sha256}.parquet"


@dataclass(frozen=True)
class StagedFile:
    path: Path
    sha256: str  # of the staged file itself
    rows: int

    def as_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "rows": self.rows}


def write_staged(source: str, delivery_sha256: str, rows: pd.DataFrame) -> StagedFile:
    """Stage the typed rows of a checked delivery (numbers as float64, unknown numbers as null)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from kawal.ingest.delivery import sha256_of

    path = staged_path(source, delivery_sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(rows, preserve_index=False)
    table = table.replace_schema_metadata({KEY: delivery_sha256, "kawal.source": source})
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="lz4", row_group_size=1 << 20)
    os.replace(tmp, path)
    return StagedFile(path, sha256_of(path), table.num_rows)


def verified_staged(source: str, delivery_sha256: str, expected: dict[str, Any] | None) -> Path | None:
    """The staged file of the delivery when it is the one ingest wrote (its own SHA-256 as recorded,
    its key the delivery's); None otherwise — the caller then rebuilds it from the landing file."""
    from kawal.ingest.delivery import sha256_of

    path = staged_path(source, delivery_sha256)
    if not expected or path.is_symlink() or not path.is_file():
        return None
    if sha256_of(path) != expected.get("sha256"):
        return None
    import duckdb

    from kawal.rows_sql import connect

    try:
        found = (
            connect()
            .execute("SELECT value FROM parquet_kv_metadata(?) WHERE key = ?", [str(path), KEY.encode()])
            .fetchall()
        )
    except duckdb.Error:
        return None
    if not found or bytes(found[0][0]).decode() != delivery_sha256:
        return None
    return path


def discard_staged(delivery_sha256: str) -> list[Path]:
    """Remove the staged files of a delivery (its landing file was disposed of)."""
    removed = []
    for path in staged_dir().glob(f"*/{delivery_sha256}.parquet"):
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def read_staged_column(path: Path, column: str) -> Any:
    """One column of a staged file as an Arrow array (the previous day's ids: nothing else is read)."""
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=[column]).column(column).combine_chunks()
