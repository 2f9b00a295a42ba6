"""Formula kinds: pure functions from a source's canonical rows to (numerator, denominator).

Each returns :class:`Components`, never a ratio: the store keeps both so that any period's value is
Σnumerator/Σdenominator (docs/PRODUCT.md). A KPI in ``kpi_rules/register.yaml`` names a kind and its
parameters; most KPIs use the generic kinds (``ratio_of_sums``, ``mean``, ``share``) with a
filter, so a new KPI is a register entry only. A new kind is one function here, its params model,
one line in :data:`FORMULA_KINDS`, and its test.

The definitions in words, and the industry variants not chosen, are in ``docs/kpi-definitions.md``
(generated from the register).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Components:
    numerator: float
    denominator: float

    def value(self, scale: float = 1.0) -> float | None:
        """The KPI value in its unit (``scale`` 100 for a percentage); None when nothing to divide by."""
        return None if self.denominator == 0 else scale * self.numerator / self.denominator


# --- parameters -------------------------------------------------------------------------------


class Condition(BaseModel):
    """A row condition, e.g. ``{column: rating, op: ">=", value: 4}``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    column: str = Field(description="column of the KPI's source")
    op: Literal["==", "!=", ">=", "<=", ">", "<", "in", "not_in"] = Field(description="comparison")
    value: str | float | list[str | float] = Field(description="a number or text; a list for in / not_in")

    @model_validator(mode="after")
    def _value_fits_op(self) -> Condition:
        listed = self.op in ("in", "not_in")
        if listed != isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} needs {'a list of values' if listed else 'a single value'}")
        if self.op in (">=", "<=", ">", "<") and not isinstance(self.value, int | float):
            raise ValueError(f"op {self.op!r} compares numbers; {self.value!r} is not a number")
        return self

    @property
    def values(self) -> list[str | float]:
        return self.value if isinstance(self.value, list) else [self.value]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    where: list[Condition] = Field(default_factory=list, description="only rows meeting every condition count")

    def columns(self) -> set[str]:
        """Source columns the formula reads (checked against the source by ``kawal rules check``)."""
        return {c.column for c in self.where}

    def numeric_columns(self) -> set[str]:
        """Columns the formula sums or averages: they must hold numbers in the source."""
        return set()

    def conditions(self) -> list[Condition]:
        return list(self.where)


class ScrParams(_Params):
    short_abandon_s: float = Field(5.0, ge=0, description="abandons after less than this wait are not offered")

    def columns(self) -> set[str]:
        return super().columns() | {"outcome", "wait_s", "short_abandon"}


class ServiceLevelParams(_Params):
    threshold_s: float = Field(20.0, gt=0, description="T: answered within T seconds counts (wait ≤ T)")
    denominator: Literal["offered", "answered", "offered_minus_short"] = Field(
        "offered", description="the three common variants: all offered, answered only, offered less short abandons"
    )
    short_abandon_s: float = Field(5.0, ge=0, description="for offered_minus_short: as the SCR's")

    def columns(self) -> set[str]:
        return super().columns() | {"outcome", "wait_s", "short_abandon"}


class AbandonRateParams(_Params):
    exclude_short: bool = Field(False, description="leave short abandons out of numerator and denominator")
    short_abandon_s: float = Field(5.0, ge=0, description="with exclude_short: as the SCR's")

    def columns(self) -> set[str]:
        return super().columns() | {"outcome", "wait_s", "short_abandon"}


class InteractionParams(_Params):
    def columns(self) -> set[str]:
        return super().columns() | {"outcome", "wait_s", "talk_s", "hold_s", "acw_s"}


class RatioParams(_Params):
    numerator: str = Field(description="column summed for the numerator")
    denominator: str = Field(description="column summed for the denominator")

    def columns(self) -> set[str]:
        return super().columns() | {self.numerator, self.denominator}

    def numeric_columns(self) -> set[str]:
        return {self.numerator, self.denominator}


class MeanParams(_Params):
    column: str = Field(description="column averaged over the rows")

    def columns(self) -> set[str]:
        return super().columns() | {self.column}

    def numeric_columns(self) -> set[str]:
        return {self.column}


class ShareParams(_Params):
    condition: list[Condition] = Field(min_length=1, description="rows meeting these count in the numerator")

    def columns(self) -> set[str]:
        return super().columns() | {c.column for c in self.condition}

    def conditions(self) -> list[Condition]:
        return [*self.where, *self.condition]


class AvailabilityParams(_Params):
    scheduled: str = Field("scheduled_s", description="column of scheduled service time")
    downtime: str = Field("downtime_s", description="column of time out of service")

    def columns(self) -> set[str]:
        return super().columns() | {self.scheduled, self.downtime}

    def numeric_columns(self) -> set[str]:
        return {self.scheduled, self.downtime}


class AttritionParams(_Params):
    leavers: str = Field("leavers", description="column counting leavers")
    headcount: str = Field("headcount", description="column with the day's headcount (a stock)")

    def columns(self) -> set[str]:
        return super().columns() | {self.leavers, self.headcount}

    def numeric_columns(self) -> set[str]:
        return {self.leavers, self.headcount}


# --- helpers ----------------------------------------------------------------------------------


def _mask(rows: pd.DataFrame, conditions: list[Condition]) -> pd.Series:
    import pandas as pd

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
    import pandas as pd

    return rows["calls"] if "calls" in rows.columns else pd.Series(1.0, index=rows.index)


def short_abandons(rows: pd.DataFrame, short_abandon_s: float) -> pd.Series:
    """Which rows are short abandons: what the export says (``short_abandon``: 1 or 0), else a
    *known* wait per interaction under ``short_abandon_s``. An unknown wait is never short: an
    abandon Kawal cannot time counts as offered (issue #16: a blank wait read as 0 gave SCR 100 %)."""
    import pandas as pd

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


@dataclass(frozen=True)
class FormulaKind:
    compute: Callable[[Any, Any], Components]
    params: type[_Params]
    #: The denominator is a stock (headcount), so a period's denominator is its *average* over the
    #: days covered; every other denominator is a flow, summed.
    stock_denominator: bool = False
    #: Source the kind is tied to (None: any source, columns named by parameters).
    source: str | None = None


#: Formula kinds the register may name. A new kind: one function above, its params, one line here.
FORMULA_KINDS: dict[str, FormulaKind] = {
    "success_call_ratio": FormulaKind(success_call_ratio, ScrParams, source="interactions"),
    "response_time": FormulaKind(response_time, InteractionParams, source="interactions"),
    "average_handling_time": FormulaKind(average_handling_time, InteractionParams, source="interactions"),
    "service_level": FormulaKind(service_level, ServiceLevelParams, source="interactions"),
    "abandon_rate": FormulaKind(abandon_rate, AbandonRateParams, source="interactions"),
    "ratio_of_sums": FormulaKind(ratio_of_sums, RatioParams),
    "mean": FormulaKind(mean, MeanParams),
    "share": FormulaKind(share, ShareParams),
    "availability": FormulaKind(availability, AvailabilityParams),
    "attrition_rate": FormulaKind(attrition_rate, AttritionParams, stock_denominator=True),
}


def apply_formula(kind: str, rows: pd.DataFrame, params: _Params) -> Components:
    return FORMULA_KINDS[kind].compute(rows, params)
