"""Formula kinds of the Performance KPIs (work instruction §5.1.1.1), over canonical interactions.

Each formula returns :class:`Components` (numerator, denominator), never a ratio: the store keeps
both so that any period's value is Σnumerator/Σdenominator (PRODUCT.md). The exact definitions, and
the industry variants not chosen, are in ``docs/kpi-definitions.md``.

Canonical interaction columns used here (see ``kawal.ingest.interactions``):
``outcome`` ('answered' | 'abandoned'), ``wait_s`` (seconds in queue until answered or abandoned),
``talk_s``, ``hold_s``, ``acw_s`` (after-call work) in seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Components:
    numerator: float
    denominator: float

    def value(self, scale: float = 1.0) -> float | None:
        """The KPI value in its unit (``scale`` 100 for a percentage); None when nothing to divide by."""
        return None if self.denominator == 0 else scale * self.numerator / self.denominator


def success_call_ratio(rows: pd.DataFrame, *, short_abandon_s: float = 5.0) -> Components:
    """SCR = answered / (offered − short abandons).

    Offered is every interaction that entered a queue. A short abandon (caller gave up after less than
    ``short_abandon_s`` seconds of waiting) is excluded from the denominator: the center had no real
    chance to answer it (misdials, instant hang-ups).
    """
    answered = rows["outcome"].eq("answered")
    short_abandoned = rows["outcome"].eq("abandoned") & (rows["wait_s"] < short_abandon_s)
    return Components(float(answered.sum()), float(len(rows) - short_abandoned.sum()))


def response_time(rows: pd.DataFrame) -> Components:
    """RT = Σ seconds waited by answered interactions / answered interactions (average speed of answer)."""
    answered = rows["outcome"].eq("answered")
    return Components(float(rows.loc[answered, "wait_s"].sum()), float(answered.sum()))


def average_handling_time(rows: pd.DataFrame) -> Components:
    """AHT = Σ (talk + hold + after-call work) of answered interactions / answered interactions."""
    answered = rows.loc[rows["outcome"].eq("answered")]
    handling = answered["talk_s"] + answered["hold_s"] + answered["acw_s"]
    return Components(float(handling.sum()), float(len(answered)))


#: Formula kinds the register may name, by name. A new kind is one function here plus its test.
FORMULA_KINDS: dict[str, Callable[..., Components]] = {
    "success_call_ratio": success_call_ratio,
    "response_time": response_time,
    "average_handling_time": average_handling_time,
}


def apply_formula(kind: str, rows: pd.DataFrame, params: dict[str, Any]) -> Components:
    return FORMULA_KINDS[kind](rows, **params)
