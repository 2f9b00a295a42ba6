"""A source's KPIs for one day: the overall value and one per breakdown (pure; no store).

One DuckDB query per source computes every KPI of it, overall and per breakdown (``GROUPING
SETS``), each KPI's numerator and denominator an aggregate with its own filter (the SQL of
:mod:`kawal.formulas`). The rows are a day's staged Parquet file (the daily DAG's compute task,
which so imports neither pandas nor GX) or an Arrow table / pandas frame in memory (``kawal
sources check``, tests). DuckDB runs on one thread with a memory limit: floating-point sums added
in one fixed order give the same value bit for bit on every re-run (the upsert writes nothing when
nothing changed), and a day of ten million rows spills to disk instead of growing the process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kawal.kpis.values import KpiValueRow

if TYPE_CHECKING:
    from kawal.formulas import Components, RowsLayout, _Params
    from kawal.register import Kpi

#: the scope of a KPI's overall value; a breakdown's scope is ``column=value``
OVERALL = "all"

#: DuckDB's memory for one day's aggregate (it spills beyond it); the process stays under ~1 GB
MEMORY_LIMIT = "512MB"

#: _SQL: every query here is built from the register (columns ``kawal rules check`` checked against
#: the source, identifiers double-quoted, values single-quoted with quotes doubled:
#: kawal.formulas), never from a delivery's cells: no data reaches the SQL text.
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


def _layout(relation: Any) -> RowsLayout:
    from kawal.formulas import RowsLayout

    names = list(relation.columns)
    numeric = {n for n, t in zip(names, relation.types, strict=True) if str(t).upper().startswith(_NUMERIC)}
    return RowsLayout(frozenset(names), frozenset(numeric))


def _relation(con: Any, rows: Any) -> Any:
    """The rows as a DuckDB relation: a staged Parquet path, an Arrow table, or a pandas frame (its
    NaN become NULL on the way to Arrow, as pandas' sums skip them)."""
    if isinstance(rows, Path):
        return con.read_parquet(str(rows))
    import pyarrow as pa

    if not isinstance(rows, pa.Table):
        rows = pa.Table.from_pandas(rows, preserve_index=False)
    return con.from_arrow(rows)


def _aggregates(kpis: list[Kpi], layout: RowsLayout) -> list[tuple[str, str, str]]:
    """Per KPI: (rows in its scope, numerator, denominator) as SQL."""
    from kawal.formulas import FORMULA_KINDS, _count, where_sql

    out = []
    for kpi in kpis:
        agg = FORMULA_KINDS[kpi.formula.kind].aggregate(kpi.params, layout)
        out.append((_count(where_sql(kpi.params.where, layout)), agg.numerator, agg.denominator))
    return out


def kpi_day_rows(kpis: list[Kpi], rows: Any, day: date, batch_id: int | None) -> list[KpiValueRow]:
    """Every KPI of the source for one day: overall and per breakdown value (pure; no store).

    ``rows``: the staged Parquet file of the day (a :class:`~pathlib.Path`), an Arrow table or a
    pandas frame of the source's canonical, typed columns."""
    from kawal.formulas import _col

    out: list[KpiValueRow] = []
    if not kpis:
        return out
    con = connect()
    try:
        relation = _relation(con, rows)
        layout = _layout(relation)
        columns = sorted({c for k in kpis for c in k.breakdowns})
        aggregates = _aggregates(kpis, layout)
        select = [f"grouping({_col(c)}) AS g{i}, {_col(c)} AS k{i}" for i, c in enumerate(columns)]
        select += ["count(*) AS n_rows"]
        select += [f"{n} AS n{j}, {num} AS a{j}, {den} AS b{j}" for j, (n, num, den) in enumerate(aggregates)]
        sets = ", ".join(["()"] + [f"({_col(c)})" for c in columns])
        relation.create_view("day_rows")
        query = f"SELECT {', '.join(select)} FROM day_rows GROUP BY GROUPING SETS ({sets})"  # noqa: S608 - see _SQL
        result = con.execute(query).fetchall()
    finally:
        con.execute("DROP VIEW IF EXISTS day_rows")
    groups: dict[str, dict[Any, tuple]] = {c: {} for c in columns}
    overall = None
    width = 2 * len(columns)
    for record in result:
        grouped = [i for i in range(len(columns)) if record[2 * i] == 0]
        if not grouped:
            overall = record
        elif record[2 * grouped[0] + 1] is not None:  # pandas' groupby leaves a missing key out
            groups[columns[grouped[0]]][record[2 * grouped[0] + 1]] = record
    if overall is None or overall[width] == 0:  # an event source with no events that day: nothing missing
        return out

    def row(kpi: Kpi, j: int, scope: str, record: tuple) -> KpiValueRow:
        from kawal.formulas import Components

        comp = Components(float(record[width + 2 + 3 * j]), float(record[width + 3 + 3 * j]))
        value = comp.value(kpi.unit.scale)
        return KpiValueRow(
            kpi_id=kpi.id,
            period_type="day",
            period_start=day,
            scope=scope,
            numerator=comp.numerator,
            denominator=comp.denominator,
            value=value,
            status="computed" if value is not None else "not_evaluable",
            reason=None if value is not None else "no rows for this KPI in the day's data",
            batch_id=batch_id,
            days_covered=1,
        )

    for j, kpi in enumerate(kpis):
        out.append(row(kpi, j, OVERALL, overall))
        for column in kpi.breakdowns:
            for key in sorted(groups[column]):
                record = groups[column][key]
                if record[width + 1 + 3 * j] > 0:  # the breakdown's part of the KPI's rows is not empty
                    out.append(row(kpi, j, f"{column}={key}", record))
    return out


def aggregate(rows: Any, build: Callable[[RowsLayout], list[str]]) -> list[float]:
    """SQL aggregates over ``rows`` (a staged Parquet path, an Arrow table or a pandas frame), each
    built from the rows' layout; one value per expression."""
    con = connect()
    try:
        relation = _relation(con, rows)
        expressions = build(_layout(relation))
        relation.create_view("day_rows")
        (values,) = con.execute(f"SELECT {', '.join(expressions)} FROM day_rows").fetchall()  # noqa: S608 - see _SQL
    finally:
        con.execute("DROP VIEW IF EXISTS day_rows")
    return [float(v) for v in values]


def components(kind: str, rows: Any, params: _Params) -> Components:
    """One formula kind on ``rows``: its numerator and denominator."""
    from kawal.formulas import FORMULA_KINDS, Components

    def build(layout: RowsLayout) -> list[str]:
        agg = FORMULA_KINDS[kind].aggregate(params, layout)
        return [agg.numerator, agg.denominator]

    numerator, denominator = aggregate(rows, build)
    return Components(numerator, denominator)
