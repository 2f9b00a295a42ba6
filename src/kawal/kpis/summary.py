"""What people read in the terminal: the month's KPIs from the store, judged against the register
revision in force, formatted the Indonesian way (decimal comma, "Oktober 2026")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kawal.kpis.evaluation import Status
from kawal.periods import days_of_month
from kawal.register import Category, Direction, Kpi, Period, Register, Scope, Target
from kawal.store.models import IngestionBatch, KpiValue

LOCALE = "id_ID"
MARK = {Status.met: " ", Status.at_risk: "!", Status.breach: "✗", Status.not_evaluable: "?"}


def format_number(value: float | None, locale: str = LOCALE) -> str:
    from babel.numbers import format_decimal

    return "—" if value is None else format_decimal(value, format="#,##0.0", locale=locale)


def format_target(kpi: Kpi, target: Target | None, locale: str = LOCALE) -> str:
    if target is None:
        return "—"
    return ("≥ " if kpi.direction is Direction.higher_is_better else "≤ ") + format_number(target.value, locale)


def _month_name(first: date) -> str:
    from babel.dates import format_date

    return format_date(first, "MMMM y", locale="id")


def _values(engine: Engine, kpi_ids: list[str], first: date, scope: str) -> list[KpiValue]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(KpiValue).where(
                    KpiValue.kpi_id.in_(kpi_ids),
                    KpiValue.scope == scope,
                    KpiValue.period_start >= first,
                    KpiValue.period_start <= days_of_month(first)[-1],
                )
            )
        )


def _line(cells: list[str], widths: list[int]) -> str:
    return "".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


def render_daily_table(engine: Engine, register: Register, source: str, first: date, scope: str = "all") -> str:
    """One source's KPIs per day and for the month (e.g. SCR, RT, AHT from interactions)."""
    kpis = register.for_source(source)
    values = _values(engine, [k.id for k in kpis], first, scope)
    # (value, evaluation) as the compute step stored them: judged against the revision in force
    by_day: dict[date, dict[str, tuple[float | None, str]]] = {}
    month: dict[str, tuple[float | None, str]] = {}
    for v in values:
        (by_day.setdefault(v.period_start, {}) if v.period_type == "day" else month)[v.kpi_id] = (v.value, v.evaluation)
    with Session(engine) as session:
        rows_by_day = {
            b.business_date: b.row_count
            for b in session.scalars(
                select(IngestionBatch).where(IngestionBatch.source == source, IngestionBatch.state == "loaded")
            )
        }
    from babel.numbers import format_decimal

    def cell(stored: tuple[float | None, str] | None) -> str:
        value, evaluation = stored or (None, Status.not_evaluable.value)
        return f"{format_number(value)} {MARK[Status(evaluation)]}"

    widths = [12] + [16] * len(kpis) + [11]
    lines = [
        f"{source} · {_month_name(first)} · {scope}   (✗ tidak tercapai, ! waspada, ? tidak dapat dinilai)",
        _line(["Tanggal"] + [f"{k.id.upper()} ({k.unit.label_id})" for k in kpis] + ["Baris"], widths),
    ]
    for day in days_of_month(first):
        vals = by_day.get(day)
        if vals is None:
            lines.append(_line([day.isoformat()] + ["tidak ada data"] + [""] * len(kpis), widths))
            continue
        cells = [cell(vals.get(k.id)) for k in kpis]
        lines.append(_line([day.isoformat(), *cells, format_decimal(rows_by_day.get(day, 0), locale=LOCALE)], widths))
    lines.append("-" * sum(widths))
    total = format_decimal(
        sum(n for d, n in rows_by_day.items() if d.month == first.month and d.year == first.year), locale=LOCALE
    )
    lines.append(_line(["Bulan", *[cell(month.get(k.id)) for k in kpis], total], widths))
    lines.append(
        _line(["Target", *[format_target(k, register.target_on(k.id, first)) + "  " for k in kpis], ""], widths)
    )
    return "\n".join(lines)


def render_stored_values(engine: Engine, register: Register, source: str, first: date, scope: str, fmt: str) -> str:
    """Every value stored for the source's KPIs in the month (each day, then the month), as json or csv."""
    kpis = register.for_source(source)
    values = sorted(
        _values(engine, [k.id for k in kpis], first, scope),
        key=lambda v: (v.period_type != "day", v.period_start, v.kpi_id),
    )
    records = [
        {
            "kpi": v.kpi_id,
            "period": v.period_type,
            "start": v.period_start.isoformat(),
            "scope": v.scope,
            "numerator": v.numerator,
            "denominator": v.denominator,
            "value": v.value,
            "days_covered": v.days_covered,
            "evaluation": v.evaluation,
            "target": v.target,
            "why": v.evaluation_note or v.reason,
        }
        for v in values
    ]
    return records_as(records, fmt)


def records_as(records: list[dict], fmt: str) -> str:
    """``json`` or ``csv`` of flat records at full precision (a float as ``repr``: no digit lost)."""
    if fmt == "json":
        import json

        return json.dumps(records, indent=2, ensure_ascii=False)
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]) if records else ["kpi"], lineterminator="\n")
    writer.writeheader()
    for r in records:
        writer.writerow({k: ("" if x is None else repr(x) if isinstance(x, float) else x) for k, x in r.items()})
    return buffer.getvalue().rstrip("\n")


@dataclass(frozen=True)
class Attainment:
    kpi: Kpi
    target: Target | None
    value: float | None
    status: Status
    days_covered: int
    days_breached: int | None  # daily KPIs only: days whose own value breached the day's target
    #: why the month cannot be judged (the words stored with its value); None when it is judged
    why: str | None = None


def month_attainment(engine: Engine, register: Register, first: date) -> list[Attainment]:
    """Each KPI's month value (overall) judged against the revision in force on the month's first day."""
    stored = _values(engine, [k.id for k in register.kpis], first, "all")
    values = {v.kpi_id: v for v in stored if v.period_type == "month"}
    breached: dict[str, int] = {}
    for v in stored:
        if v.period_type == "day":
            breached[v.kpi_id] = breached.get(v.kpi_id, 0) + (v.evaluation == Status.breach.value)
    out = []
    for kpi in register.kpis:
        v = values.get(kpi.id)
        target = register.target_on(kpi.id, first)
        value = v.value if v else None
        out.append(
            Attainment(
                kpi,
                target,
                value,
                Status(v.evaluation) if v else Status.not_evaluable,
                v.days_covered if v else 0,
                breached.get(kpi.id, 0) if kpi.period is Period.daily else None,
                None
                if v and v.evaluation != Status.not_evaluable.value
                else ((v.evaluation_note or v.reason or "—") if v else "no value stored for the month"),
            )
        )
    order = list(Category)
    return sorted(out, key=lambda a: (order.index(a.kpi.category), a.kpi.scope is not Scope.external))


def render_attainment(rows: list[Attainment], register: Register, first: date) -> str:
    revision = register.revision_in_force(first)
    days = len(days_of_month(first))
    lines = [
        f"Capaian KPI {_month_name(first)} · register revisi {revision.rev if revision else '—'}"
        + (f" (berlaku {revision.effective_from})" if revision else ""),
    ]
    widths = [52, 10, 10, 10, 21, 8, 9]
    category = None
    for a in rows:
        if a.kpi.category is not category:
            category = a.kpi.category
            met = sum(r.status in (Status.met, Status.at_risk) for r in rows if r.kpi.category is category)
            total = sum(1 for r in rows if r.kpi.category is category)
            lines.append("")
            lines.append(f"{category.label_id} — {met}/{total} KPI tercapai")
            lines.append(_line(["  KPI", "lingkup", "aktual", "target", "status", "hari", "hari ✗"], widths))
        name = f"  {a.kpi.name_id} ({a.kpi.unit.label_id})"
        lines.append(
            _line(
                [
                    name[: widths[0] - 1],
                    a.kpi.scope.value,
                    format_number(a.value),
                    format_target(a.kpi, a.target),
                    a.status.label_id,
                    f"{a.days_covered}/{days}",
                    "bulanan" if a.days_breached is None else str(a.days_breached),
                ],
                widths,
            )
        )
    met = sum(a.status in (Status.met, Status.at_risk) for a in rows)
    lines += [
        "",
        f"Total: {met} dari {len(rows)} KPI tercapai bulan ini. Bulan = Σpembilang / Σpenyebut seluruh hari;",
        "hari = hari dengan data; hari ✗ = hari yang nilainya sendiri tidak mencapai target harian.",
    ]
    why = [f"  {a.kpi.id}: {a.why}" for a in rows if a.why]
    if why:  # every "tidak dapat dinilai" says why
        lines += ["Tidak dapat dinilai:", *why]
    return "\n".join(lines)


# --- any range: a quarter, a year, any days ----------------------------------------------------


@dataclass(frozen=True)
class RangeTotal:
    """A KPI over [first, last]: Σ numerator / Σ denominator of the days with a value (a stock
    denominator — headcount — is the mean over those days), with the counts behind it and, when it
    cannot be judged, why."""

    kpi: Kpi
    first: date
    last: date
    numerator: float
    denominator: float
    value: float | None
    days_in_range: int
    days_with_value: int
    days_not_evaluable: int
    target: Target | None
    status: Status
    reason: str | None

    def as_dict(self) -> dict:
        return {
            "kpi": self.kpi.id,
            "name": self.kpi.name_en,
            "unit": self.kpi.unit.value,
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "numerator": self.numerator,
            "denominator": self.denominator,
            "value": self.value,
            "days_in_range": self.days_in_range,
            "days_with_value": self.days_with_value,
            "days_not_evaluable": self.days_not_evaluable,
            "target": None if self.target is None else self.target.value,
            "target_revision": None if self.target is None else self.target.rev,
            "status": self.status.value,
            "reason": self.reason,
        }


def range_totals(engine: Engine, register: Register, first: date, last: date, scope: str = "all") -> list[RangeTotal]:
    from kawal.kpis.evaluation import evaluate
    from kawal.kpis.month import MIN_VALID_SHARE
    from kawal.kpis.rollup import roll_up, rollup_rules
    from kawal.kpis.values import KpiValueRow
    from kawal.store.kpi_values import day_values

    with Session(engine) as session:
        stored = [v for v in day_values(session, [k.id for k in register.kpis], first, last) if v.scope == scope]
    # the month's roll-up rule over any range: Σnum/Σden of the days with data, a stock averaged
    totals = {
        r.kpi_id: r for r in roll_up([KpiValueRow.from_record(v) for v in stored], rollup_rules(register.kpis), first)
    }
    days = (last - first).days + 1
    out = []
    for kpi in register.kpis:
        mine = [v for v in stored if v.kpi_id == kpi.id]
        total = totals.get(kpi.id)
        numerator, denominator = (total.numerator, total.denominator) if total else (0.0, 0.0)
        value = total.value if total else None
        valued = total.days_covered if total else 0
        target = register.target_on(kpi.id, first)
        changed = [
            r
            for r in register.revisions
            if first < r.effective_from <= last and any(c.kpi == kpi.id for c in r.changes)
        ]
        reason = None
        if not mine:
            reason = "no value stored in the range (no delivery, or not computed yet: kawal backfill)"
        elif value is None:
            reason = "nothing to divide by: the denominator is 0 on every day with data"
        elif target is None:
            reason = f"no register revision in force on {first} for this KPI"
        status = evaluate(kpi, target, value)
        if status is not Status.not_evaluable and valued < MIN_VALID_SHARE * days:
            # the month-final rule (kawal.kpis.month), over the range: too few days to stand for it
            status = Status.not_evaluable
            reason = f"only {valued} of {days} days have a value (under {MIN_VALID_SHARE:.0%})"
        elif changed and status is not Status.not_evaluable:
            reason = (
                f"judged against revision {target.rev if target else '—'}; revision {changed[0].rev} changed the "
                f"target on {changed[0].effective_from}"
            )
        out.append(
            RangeTotal(
                kpi,
                first,
                last,
                numerator,
                denominator,
                value,
                days,
                valued,
                sum(1 for v in mine if v.days_covered == 0),
                target,
                status,
                reason,
            )
        )
    order = list(Category)
    return sorted(out, key=lambda t: (order.index(t.kpi.category), t.kpi.scope is not Scope.external))


def render_range(totals: list[RangeTotal], fmt: str = "text") -> str:
    """``text`` for people (Indonesian number format), ``json`` / ``csv`` at full precision."""
    if fmt in ("json", "csv"):
        return records_as([t.as_dict() for t in totals], fmt)
    from babel.numbers import format_decimal

    if not totals:
        return "no KPI applies at this site"
    first, last = totals[0].first, totals[0].last
    widths = [26, 14, 18, 18, 12, 20, 10]
    lines = [
        f"KPI {first} … {last} ({totals[0].days_in_range} hari) · nilai = Σpembilang / Σpenyebut hari-hari berdata",
        _line(["KPI", "nilai", "pembilang", "penyebut", "target", "status", "hari"], widths),
    ]
    notes = []
    for t in totals:
        shown = "?" if t.value is None else format_decimal(t.value, format="#,##0.0###", locale=LOCALE)
        lines.append(
            _line(
                [
                    f"{t.kpi.id} ({t.kpi.unit.label_id})"[: widths[0] - 1],
                    shown,
                    format_decimal(t.numerator, format="#,##0.##", locale=LOCALE),
                    format_decimal(t.denominator, format="#,##0.##", locale=LOCALE),
                    format_target(t.kpi, t.target),
                    t.status.label_id,
                    f"{t.days_with_value}/{t.days_in_range}",
                ],
                widths,
            )
        )
        if t.reason:
            notes.append(f"  {t.kpi.id}: {t.reason}")
    return "\n".join(lines + (["", "Catatan:", *notes] if notes else []))
