"""DuckDB over a day's typed rows: the one connection per process, and aggregates of the rows.

The rows are a staged Parquet file (:mod:`kawal.ingest.staged`), an Arrow table or a pandas frame.
DuckDB runs on one thread with a memory limit: floating-point sums added in one fixed order give
the same value bit for bit on every re-run (the upsert writes nothing when nothing changed), and a
day of ten million rows spills to ``$KAWAL_HOME/tmp/duckdb`` instead of growing the process.
On the ground floor (beside :mod:`kawal.formulas`, whose SQL it runs): ingest, checks and kpis use it.

_SQL: every query built on it comes from the register or a canonical layout (columns ``kawal rules
check`` checked against the source, identifiers quoted by :func:`kawal.formulas.quoted`, values
single-quoted with quotes doubled), never from a delivery's cells: no data reaches the SQL text.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kawal.formulas import RowsLayout

#: DuckDB's memory for one query over a day's rows (it spills beyond it); the process stays under ~1 GB
MEMORY_LIMIT = "512MB"

_NUMERIC = ("DOUBLE", "FLOAT", "REAL", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "DECIMAL")

_LOCAL = threading.local()


def connect() -> Any:
    """This thread's DuckDB connection (opening one costs ~25 ms: a month of test days or a year's
    backfill in one process opens it once). A forked process opens its own."""
    con = getattr(_LOCAL, "con", None)
    if con is None or _LOCAL.pid != os.getpid():
        import duckdb

        from kawal.settings import kawal_home

        spill = kawal_home() / "tmp" / "duckdb"  # where a join or a distinct count beyond the limit spills
        spill.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(config={"threads": 1, "memory_limit": MEMORY_LIMIT, "temp_directory": str(spill)})
        _LOCAL.con, _LOCAL.pid = con, os.getpid()
    return con


def layout(relation: Any) -> RowsLayout:
    """The relation's columns, and which of them are numbers."""
    from kawal.formulas import RowsLayout

    names = list(relation.columns)
    numeric = {n for n, t in zip(names, relation.types, strict=True) if str(t).upper().startswith(_NUMERIC)}
    return RowsLayout(frozenset(names), frozenset(numeric))


def relation(con: Any, rows: Any) -> Any:
    """The rows as a DuckDB relation: a staged Parquet path, an Arrow table, or a pandas frame (its
    NaN become NULL on the way to Arrow, as pandas' sums skip them)."""
    if isinstance(rows, Path):
        return con.read_parquet(str(rows))
    import pyarrow as pa

    if not isinstance(rows, pa.Table):
        rows = pa.Table.from_pandas(rows, preserve_index=False)
    return con.from_arrow(rows)


def aggregate(rows: Any, build: Callable[[RowsLayout], list[str]]) -> list[float]:
    """SQL aggregates over ``rows``, each built from the rows' layout; one value per expression."""
    con = connect()
    try:
        rel = relation(con, rows)
        expressions = build(layout(rel))
        rel.create_view("day_rows")
        (values,) = con.execute(f"SELECT {', '.join(expressions)} FROM day_rows").fetchall()  # noqa: S608 - see _SQL above
    finally:
        con.execute("DROP VIEW IF EXISTS day_rows")
    return [float(v) for v in values]
