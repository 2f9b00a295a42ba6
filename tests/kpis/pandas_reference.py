"""The pandas formula kinds Kawal computed with until issue #21, kept verbatim as the oracle the
SQL kinds of ``kawal.formulas`` are tested against (tests/kpis/test_sql_formulas.py): a different
route to the same numbers, on every fixture and on generated days."""

from __future__ import annotations

import pandas as pd

from kawal.formulas import (
    AbandonRateParams,
    AttritionParams,
    AvailabilityParams,
    Components,
    Condition,
    InteractionParams,
    MeanParams,
    RatioParams,
    ScrParams,
    ServiceLevelParams,
    ShareParams,
    _Params,
)
from kawal.kpis.day import OVERALL
from kawal.kpis.values import KpiValueRow

# --- helpers ----------------------------------------------------------------------------------


def _mask(rows: pd.DataFrame, conditions: list[Condition]) -> pd.Series:
    mask = pd.Series(True, index=rows.index)
    for c in conditions:
        col = rows[c.column]
        if c.op == "in":
            mask &= col.isin(c.value)
        elif c.op == "not_in":
            mask &= ~col.isin(c.value)
        else:
            mask &= {
                "==": col.__eq__,
                "!=": col.__ne__,
                ">=": col.__ge__,
                "<=": col.__le__,
                ">": col.__gt__,
                "<": col.__lt__,
            }[c.op](c.value)
    return mask


def rows_in_scope(rows: pd.DataFrame, params: _Params) -> pd.DataFrame:
    """The rows a KPI looks at (its ``where`` conditions), before any breakdown."""
    return rows.loc[_mask(rows, params.where)] if params.where else rows


# --- kinds ------------------------------------------------------------------------------------


def _calls(rows: pd.DataFrame) -> pd.Series:
    """Interactions each row stands for: 1 for call-level data, n for an interval aggregate."""
    return rows["calls"] if "calls" in rows.columns else pd.Series(1.0, index=rows.index)


def short_abandons(rows: pd.DataFrame, short_abandon_s: float) -> pd.Series:
    """Which rows are short abandons: what the export says (``short_abandon``: 1 or 0), else a
    *known* wait per interaction under ``short_abandon_s``. An unknown wait is never short: an
    abandon Kawal cannot time counts as offered (issue #16: a blank wait read as 0 gave SCR 100 %)."""
    said = rows["short_abandon"] if "short_abandon" in rows.columns else pd.Series(float("nan"), index=rows.index)
    by_wait = said.isna() & (rows["wait_s"] / _calls(rows) < short_abandon_s)  # NaN < x is False
    return rows["outcome"].eq("abandoned") & (said.eq(1) | by_wait)


def success_call_ratio(rows: pd.DataFrame, p: ScrParams) -> Components:
    """Answered / (offered − short abandons): a caller who gave up within ``short_abandon_s`` seconds
    (misdial, instant hang-up) gave the center no real chance to answer. Counts are weighted by
    ``calls`` (interval aggregates). A short abandon is what the export says, else a known wait per
    interaction under ``short_abandon_s`` (:func:`short_abandons`)."""
    rows = rows_in_scope(rows, p)
    calls = _calls(rows)
    answered = rows["outcome"].eq("answered")
    short = short_abandons(rows, p.short_abandon_s)
    return Components(float(calls[answered].sum()), float(calls.sum() - calls[short].sum()))


def response_time(rows: pd.DataFrame, p: InteractionParams) -> Components:
    """Σ seconds waited by answered interactions / answered interactions (average speed of answer).
    An answered interaction whose wait the export does not give is left out of both sums (it is
    counted, and reported, by ``kawal sources check``), never taken as 0."""
    rows = rows_in_scope(rows, p)
    timed = rows["outcome"].eq("answered") & rows["wait_s"].notna()
    return Components(float(rows.loc[timed, "wait_s"].sum()), float(_calls(rows)[timed].sum()))


def average_handling_time(rows: pd.DataFrame, p: InteractionParams) -> Components:
    """Σ (talk + hold + after-call work) of answered interactions / answered interactions; those
    whose talk time the export does not give (an aggregate without handling times) leave both sides."""
    rows = rows_in_scope(rows, p)
    answered = rows.loc[rows["outcome"].eq("answered") & rows["talk_s"].notna()]
    handling = answered["talk_s"] + answered["hold_s"] + answered["acw_s"]
    return Components(float(handling.sum()), float(_calls(answered).sum()))


def service_level(rows: pd.DataFrame, p: ServiceLevelParams) -> Components:
    """Answered within ``threshold_s`` seconds / the chosen denominator (offered; answered; offered −
    short abandons). A call-level answered interaction of unknown wait is left out of both sides
    (as in RT); an aggregate row (``calls`` > 1) cannot say which of its calls were within T, so
    it is left out too — an interval export states its own SL count, which this kind does not read."""
    rows = rows_in_scope(rows, p)
    calls = _calls(rows)
    answered = rows["outcome"].eq("answered")
    unknown = answered & (rows["wait_s"].isna() | (calls > 1))
    within = answered & ~unknown & (rows["wait_s"] <= p.threshold_s)
    if p.denominator == "answered":
        base = answered & ~unknown
    elif p.denominator == "offered":
        base = ~unknown
    else:
        base = ~unknown & ~short_abandons(rows, p.short_abandon_s)
    return Components(float(calls[within].sum()), float(calls[base].sum()))


def abandon_rate(rows: pd.DataFrame, p: AbandonRateParams) -> Components:
    """Abandoned / offered, weighted by ``calls``; with ``exclude_short`` short abandons leave both."""
    rows = rows_in_scope(rows, p)
    if p.exclude_short:
        rows = rows.loc[~short_abandons(rows, p.short_abandon_s)]
    calls = _calls(rows)
    return Components(float(calls[rows["outcome"].eq("abandoned")].sum()), float(calls.sum()))


def ratio_of_sums(rows: pd.DataFrame, p: RatioParams) -> Components:
    """Σ numerator column / Σ denominator column (e.g. filled seats / required seats)."""
    rows = rows_in_scope(rows, p)
    return Components(float(rows[p.numerator].sum()), float(rows[p.denominator].sum()))


def mean(rows: pd.DataFrame, p: MeanParams) -> Components:
    """Σ column / number of rows (e.g. mean test score)."""
    rows = rows_in_scope(rows, p)
    return Components(float(rows[p.column].sum()), float(len(rows)))


def share(rows: pd.DataFrame, p: ShareParams) -> Components:
    """Rows meeting ``condition`` / all rows (e.g. satisfied survey responses / responses)."""
    rows = rows_in_scope(rows, p)
    return Components(float(_mask(rows, p.condition).sum()), float(len(rows)))


def availability(rows: pd.DataFrame, p: AvailabilityParams) -> Components:
    """(Σ scheduled − Σ downtime) / Σ scheduled service time."""
    rows = rows_in_scope(rows, p)
    scheduled = float(rows[p.scheduled].sum())
    return Components(scheduled - float(rows[p.downtime].sum()), scheduled)


def attrition_rate(rows: pd.DataFrame, p: AttritionParams) -> Components:
    """Leavers / headcount. Headcount is a *stock*: over a period the denominator is the average
    daily headcount, not the sum (see :attr:`FormulaKind.stock_denominator`)."""
    rows = rows_in_scope(rows, p)
    return Components(float(rows[p.leavers].sum()), float(rows[p.headcount].sum()))


KINDS = {
    "success_call_ratio": success_call_ratio,
    "response_time": response_time,
    "average_handling_time": average_handling_time,
    "service_level": service_level,
    "abandon_rate": abandon_rate,
    "ratio_of_sums": ratio_of_sums,
    "mean": mean,
    "share": share,
    "availability": availability,
    "attrition_rate": attrition_rate,
}


def kpi_day_rows(kpis, rows: pd.DataFrame, day, batch_id) -> list[KpiValueRow]:  # type: ignore[no-untyped-def]
    """kawal.kpis.day.kpi_day_rows as it was, on pandas."""
    out: list[KpiValueRow] = []
    if rows.empty:
        return out
    for kpi in kpis:
        kept = rows_in_scope(rows, kpi.params)
        scopes = [(OVERALL, kept)]
        for column in kpi.breakdowns:
            scopes += [(f"{column}={key}", part) for key, part in kept.groupby(column, sort=True)]
        for scope, part in scopes:
            comp = KINDS[kpi.formula.kind](part, kpi.params)
            value = comp.value(kpi.unit.scale)
            out.append(
                KpiValueRow(
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
            )
    return out
