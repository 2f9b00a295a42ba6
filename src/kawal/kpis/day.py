"""A source's KPIs for one day: the overall value and one per breakdown (pure; no store).

One DuckDB query per source (:mod:`kawal.rows_sql`) computes every KPI of it, overall and per
breakdown (``GROUPING SETS``), each KPI's numerator and denominator an aggregate with its own filter
(the SQL of :mod:`kawal.formulas`). The rows are a day's staged Parquet file (the daily DAG's
compute task, which so imports neither pandas nor GX) or an Arrow table / pandas frame in memory
(``kawal sources check``, tests).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from kawal.kpis.values import KpiValueRow

if TYPE_CHECKING:
    from kawal.formulas import Components, RowsLayout, _Params
    from kawal.register import Kpi

#: the scope of a KPI's overall value; a breakdown's scope is ``column=value``
OVERALL = "all"


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
    from kawal.formulas import quoted
    from kawal.rows_sql import connect, layout, relation

    out: list[KpiValueRow] = []
    if not kpis:
        return out
    con = connect()
    try:
        rel = relation(con, rows)
        columns = sorted({c for k in kpis for c in k.breakdowns})
        aggregates = _aggregates(kpis, layout(rel))
        select = [f"grouping({quoted(c)}) AS g{i}, {quoted(c)} AS k{i}" for i, c in enumerate(columns)]
        select += ["count(*) AS n_rows"]
        select += [f"{n} AS n{j}, {num} AS a{j}, {den} AS b{j}" for j, (n, num, den) in enumerate(aggregates)]
        sets = ", ".join(["()"] + [f"({quoted(c)})" for c in columns])
        rel.create_view("day_rows")
        query = f"SELECT {', '.join(select)} FROM day_rows GROUP BY GROUPING SETS ({sets})"  # noqa: S608 - see kawal.rows_sql
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


def components(kind: str, rows: Any, params: _Params) -> Components:
    """One formula kind on ``rows``: its numerator and denominator."""
    from kawal.formulas import FORMULA_KINDS, Components
    from kawal.rows_sql import aggregate

    def build(rows_layout: RowsLayout) -> list[str]:
        agg = FORMULA_KINDS[kind].aggregate(params, rows_layout)
        return [agg.numerator, agg.denominator]

    numerator, denominator = aggregate(rows, build)
    return Components(numerator, denominator)
