"""The month's Performance KPIs per day and for the month, read back from the store and formatted
the Indonesian way (decimal comma, "Oktober 2026") for people to read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select

from kawal.periods import days_of_month
from kawal.register import Kpi
from kawal.register.model import Direction
from kawal.store.models import IngestionBatch, KpiValue


@dataclass(frozen=True)
class MonthTable:
    month: date
    kpis: list[Kpi]
    by_day: dict[date, dict[str, float | None]]
    rows_by_day: dict[date, int]
    month_values: dict[str, float | None]


def month_table(engine: Engine, kpis: list[Kpi], first: date, scope: str = "all") -> MonthTable:
    ids = [k.id for k in kpis]
    days = days_of_month(first)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        values = session.scalars(
            select(KpiValue).where(
                KpiValue.kpi_id.in_(ids),
                KpiValue.scope == scope,
                KpiValue.period_start >= first,
                KpiValue.period_start <= days[-1],
            )
        ).all()
        batches = session.scalars(
            select(IngestionBatch).where(
                IngestionBatch.state == "loaded",
                IngestionBatch.business_date >= first,
                IngestionBatch.business_date <= days[-1],
            )
        ).all()
    by_day: dict[date, dict[str, float | None]] = {}
    month_values: dict[str, float | None] = {}
    for v in values:
        if v.period_type == "day":
            by_day.setdefault(v.period_start, {})[v.kpi_id] = v.value
        elif v.period_type == "month":
            month_values[v.kpi_id] = v.value
    return MonthTable(first, kpis, by_day, {b.business_date: b.row_count for b in batches}, month_values)


def misses_target(kpi: Kpi, value: float | None) -> bool:
    if value is None:
        return False
    if kpi.direction is Direction.higher_is_better:
        return value < kpi.target
    return value > kpi.target


def format_number(value: float | None, locale: str = "id_ID") -> str:
    from babel.numbers import format_decimal

    return "—" if value is None else format_decimal(value, format="#,##0.0", locale=locale)


def render_month_table(table: MonthTable, locale: str = "id_ID") -> str:
    from babel.dates import format_date
    from babel.numbers import format_decimal

    unit_label = {"percent": "%", "seconds": "detik"}
    headers = (
        ["Tanggal"] + [f"{k.id.upper()} ({unit_label[k.unit.value]})" for k in table.kpis] + ["Interaksi"]
    )
    width = [12] + [max(14, len(h) + 2) for h in headers[1:-1]] + [11]

    def cell(kpi: Kpi, value: float | None) -> str:
        return format_number(value, locale) + (" ✗" if misses_target(kpi, value) else "  ")

    lines = [
        f"KPI Performance · {format_date(table.month, 'MMMM y', locale='id')} · semua kanal "
        "(✗ = tidak mencapai target)",
        "".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(headers, width, strict=True))),
    ]
    for day in days_of_month(table.month):
        vals = table.by_day.get(day)
        if vals is None:
            row = [day.isoformat()] + ["tidak ada data"] + [""] * (len(table.kpis) - 1) + ["—"]
        else:
            row = [day.isoformat()] + [cell(k, vals.get(k.id)) for k in table.kpis]
            row.append(format_decimal(table.rows_by_day.get(day, 0), locale=locale))
        lines.append(
            "".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, width, strict=True)))
        )
    total_rows = sum(table.rows_by_day.values())
    month_row = ["Bulan"] + [cell(k, table.month_values.get(k.id)) for k in table.kpis]
    month_row.append(format_decimal(total_rows, locale=locale))
    target_row = (
        ["Target"]
        + [
            ("≥ " if k.direction is Direction.higher_is_better else "≤ ")
            + format_number(k.target, locale)
            + "  "
            for k in table.kpis
        ]
        + [""]
    )
    rule = "-" * sum(width)
    lines += [rule]
    for row in (month_row, target_row):
        lines.append(
            "".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, width, strict=True)))
        )
    lines.append("Bulan = Σpembilang / Σpenyebut seluruh hari (bukan rata-rata rasio harian).")
    return "\n".join(lines)
