"""Formula kinds: a source's canonical rows to (numerator, denominator), as SQL aggregates.

Each kind is a function from its parameters and the rows' layout to an :class:`Aggregate` — two
SQL expressions that :mod:`kawal.kpis.day` runs in DuckDB, overall and per breakdown, in one
query per source (issue #21). The result is :class:`Components`, never a ratio: the store keeps
both so that any period's value is Σnumerator/Σdenominator (docs/PRODUCT.md). A KPI in
``kpi_rules/register.yaml`` names a kind and its parameters; most KPIs use the generic kinds
(``ratio_of_sums``, ``mean``, ``share``) with a filter, so a new KPI is a register entry only. A
new kind is one function here (its SQL), its params model, one line in :data:`FORMULA_KINDS`, and
its test.

The definitions in words, and the industry variants not chosen, are in ``docs/kpi-definitions.md``
(generated from the register).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


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


# --- SQL -------------------------------------------------------------------------------------
# Every kind is an aggregate over the rows (DuckDB, kawal.kpis.day): a numerator and a denominator
# expression, each a sum or a count with its own FILTER. Unknown numbers are NULL (a blank wait is
# unknown, never 0); each comparison keeps pandas' meaning of a missing value — a NULL is equal to
# nothing and different from everything — so the values equal those of the pandas kinds they
# replace (issue #21; tests/kpis/test_sql_formulas.py holds that implementation as the oracle).


@dataclass(frozen=True)
class RowsLayout:
    """What the rows hold: the column names, and which of them are numbers."""

    names: frozenset[str]
    numeric: frozenset[str]

    @property
    def calls(self) -> str:
        """Interactions each row stands for: 1 for call-level data, n for an interval aggregate."""
        return quoted("calls") if "calls" in self.names else "1.0"


@dataclass(frozen=True)
class Aggregate:
    """A kind's numerator and denominator as SQL aggregate expressions over the day's rows."""

    numerator: str
    denominator: str


def quoted(name: str) -> str:
    """A column name as a SQL identifier (double-quoted, quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str | float) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(float(value))


def _atom(c: Condition, layout: RowsLayout) -> str:
    """One condition, NULL-safe: ``==``, ``in`` and the orderings are false on a missing value,
    ``!=`` and ``not_in`` true (pandas' ``NaN != x``); a value of the other type (text against a
    number column) matches nothing, as in pandas."""
    numeric = c.column in layout.numeric
    values = [v for v in c.values if isinstance(v, str) != numeric]
    negated = c.op in ("!=", "not_in")
    if not values:
        return "TRUE" if negated else "FALSE"
    col = quoted(c.column)
    if c.op in ("in", "not_in", "==", "!="):
        test = f"{col} IN ({', '.join(_literal(v) for v in values)})"
        return f"coalesce(NOT ({test}), TRUE)" if negated else f"coalesce({test}, FALSE)"
    return f"coalesce({col} {c.op} {_literal(values[0])}, FALSE)"


def where_sql(conditions: list[Condition], layout: RowsLayout) -> str:
    """The rows meeting every condition (TRUE for none)."""
    return " AND ".join(f"({_atom(c, layout)})" for c in conditions) or "TRUE"


def _sum(expr: str, where: str) -> str:
    return f"coalesce(sum({expr}) FILTER (WHERE {where}), 0.0)"


def _count(where: str) -> str:
    return f"CAST(count(*) FILTER (WHERE {where}) AS DOUBLE)"


ANSWERED, ABANDONED = "outcome = 'answered'", "outcome = 'abandoned'"


def short_abandon_sql(short_abandon_s: float, layout: RowsLayout) -> str:
    """Which rows are short abandons: what the export says (``short_abandon``: 1 or 0), else a
    *known* wait per interaction under ``short_abandon_s``. An unknown wait is never short: an
    abandon Kawal cannot time counts as offered (issue #16: a blank wait read as 0 gave SCR 100 %)."""
    by_wait = f"coalesce(wait_s / {layout.calls} < {float(short_abandon_s)!r}, FALSE)"
    if "short_abandon" not in layout.names:
        return f"({ABANDONED} AND {by_wait})"
    return f"({ABANDONED} AND (coalesce(short_abandon = 1, FALSE) OR (short_abandon IS NULL AND {by_wait})))"


# --- kinds ------------------------------------------------------------------------------------


def success_call_ratio(p: ScrParams, rows: RowsLayout) -> Aggregate:
    """Answered / (offered − short abandons): a caller who gave up within ``short_abandon_s`` seconds
    (misdial, instant hang-up) gave the center no real chance to answer. Counts are weighted by
    ``calls`` (interval aggregates). A short abandon is what the export says, else a known wait per
    interaction under ``short_abandon_s`` (:func:`short_abandon_sql`)."""
    w, calls = where_sql(p.where, rows), rows.calls
    short = short_abandon_sql(p.short_abandon_s, rows)
    return Aggregate(_sum(calls, f"{w} AND {ANSWERED}"), f"({_sum(calls, w)} - {_sum(calls, f'{w} AND {short}')})")


def response_time(p: InteractionParams, rows: RowsLayout) -> Aggregate:
    """Σ seconds waited by answered interactions / answered interactions (average speed of answer).
    An answered interaction whose wait the export does not give is left out of both sums (it is
    counted, and reported, by ``kawal sources check``), never taken as 0."""
    timed = f"{where_sql(p.where, rows)} AND {ANSWERED} AND wait_s IS NOT NULL"
    return Aggregate(_sum("wait_s", timed), _sum(rows.calls, timed))


def average_handling_time(p: InteractionParams, rows: RowsLayout) -> Aggregate:
    """Σ (talk + hold + after-call work) of answered interactions / answered interactions; those
    whose talk time the export does not give (an aggregate without handling times) leave both sides."""
    timed = f"{where_sql(p.where, rows)} AND {ANSWERED} AND talk_s IS NOT NULL"
    return Aggregate(_sum("talk_s + hold_s + acw_s", timed), _sum(rows.calls, timed))


def service_level(p: ServiceLevelParams, rows: RowsLayout) -> Aggregate:
    """Answered within ``threshold_s`` seconds / the chosen denominator (offered; answered; offered −
    short abandons). A call-level answered interaction of unknown wait is left out of both sides
    (as in RT); an aggregate row (``calls`` > 1) cannot say which of its calls were within T, so
    it is left out too — an interval export states its own SL count, which this kind does not read."""
    w, calls = where_sql(p.where, rows), rows.calls
    known = f"NOT ({ANSWERED} AND (wait_s IS NULL OR {calls} > 1))"
    within = f"{w} AND {ANSWERED} AND {known} AND coalesce(wait_s <= {float(p.threshold_s)!r}, FALSE)"
    base = {
        "answered": f"{w} AND {ANSWERED} AND {known}",
        "offered": f"{w} AND {known}",
        "offered_minus_short": f"{w} AND {known} AND NOT {short_abandon_sql(p.short_abandon_s, rows)}",
    }[p.denominator]
    return Aggregate(_sum(calls, within), _sum(calls, base))


def abandon_rate(p: AbandonRateParams, rows: RowsLayout) -> Aggregate:
    """Abandoned / offered, weighted by ``calls``; with ``exclude_short`` short abandons leave both."""
    w = where_sql(p.where, rows)
    if p.exclude_short:
        w = f"{w} AND NOT {short_abandon_sql(p.short_abandon_s, rows)}"
    return Aggregate(_sum(rows.calls, f"{w} AND {ABANDONED}"), _sum(rows.calls, w))


def ratio_of_sums(p: RatioParams, rows: RowsLayout) -> Aggregate:
    """Σ numerator column / Σ denominator column (e.g. filled seats / required seats)."""
    w = where_sql(p.where, rows)
    return Aggregate(_sum(quoted(p.numerator), w), _sum(quoted(p.denominator), w))


def mean(p: MeanParams, rows: RowsLayout) -> Aggregate:
    """Σ column / number of rows (e.g. mean test score)."""
    w = where_sql(p.where, rows)
    return Aggregate(_sum(quoted(p.column), w), _count(w))


def share(p: ShareParams, rows: RowsLayout) -> Aggregate:
    """Rows meeting ``condition`` / all rows (e.g. satisfied survey responses / responses)."""
    w = where_sql(p.where, rows)
    return Aggregate(_count(f"{w} AND {where_sql(p.condition, rows)}"), _count(w))


def availability(p: AvailabilityParams, rows: RowsLayout) -> Aggregate:
    """(Σ scheduled − Σ downtime) / Σ scheduled service time."""
    w = where_sql(p.where, rows)
    scheduled = _sum(quoted(p.scheduled), w)
    return Aggregate(f"({scheduled} - {_sum(quoted(p.downtime), w)})", scheduled)


def attrition_rate(p: AttritionParams, rows: RowsLayout) -> Aggregate:
    """Leavers / headcount. Headcount is a *stock*: over a period the denominator is the average
    daily headcount, not the sum (see :attr:`FormulaKind.stock_denominator`)."""
    w = where_sql(p.where, rows)
    return Aggregate(_sum(quoted(p.leavers), w), _sum(quoted(p.headcount), w))


@dataclass(frozen=True)
class FormulaKind:
    aggregate: Callable[[Any, RowsLayout], Aggregate]
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
