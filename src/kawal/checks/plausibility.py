"""What a data engineer checks by eye before trusting a mapping: the counts behind the KPIs of a
delivery, and one-line warnings on results that are possible but implausible (issue #16).

A warning never stops a delivery (a quiet day may really have no abandons); ``kawal sources check``
prints them beside the KPIs so a mapping that reads a blank wait as 0, or an export that lost its
waits, is seen on the first file instead of in a month's report. No cell is quoted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from kawal.kpis.values import KpiValueRow

#: above this share of abandons being short, the 5-second rule (or the export's flag) is suspect:
#: misdials and instant hang-ups are a minority of abandons in any center we have seen
SHORT_SHARE_WARNING = 0.5


@dataclass(frozen=True)
class InteractionCounts:
    """Interactions of a delivery, weighted by ``calls`` (an interval aggregate's row stands for n)."""

    offered: float
    answered: float
    abandoned: float
    short_abandoned: float
    answered_unknown_wait: float
    abandoned_unknown_wait: float
    known_waits: float
    zero_waits: float

    def lines(self) -> list[str]:
        return [
            f"offered {self.offered:,.0f} · answered {self.answered:,.0f} · abandoned {self.abandoned:,.0f} "
            f"(short {self.short_abandoned:,.0f})",
            f"unknown wait: {self.answered_unknown_wait:,.0f} answered (left out of RT), "
            f"{self.abandoned_unknown_wait:,.0f} abandoned (counted as offered, never short)",
        ]


def interaction_counts(rows: pd.DataFrame, short_abandon_s: float = 5.0) -> InteractionCounts:
    """The counts, weighted by ``calls``, by the same SQL predicates the KPIs use (kawal.formulas)."""
    from kawal.formulas import ABANDONED, ANSWERED, RowsLayout, short_abandon_sql
    from kawal.rows_sql import aggregate

    def build(layout: RowsLayout) -> list[str]:
        short = short_abandon_sql(short_abandon_s, layout)
        where = {
            "offered": "TRUE",
            "answered": ANSWERED,
            "abandoned": ABANDONED,
            "short_abandoned": short,
            "answered_unknown_wait": f"{ANSWERED} AND wait_s IS NULL",
            "abandoned_unknown_wait": f"{ABANDONED} AND wait_s IS NULL",
            "known_waits": "wait_s IS NOT NULL",
            "zero_waits": "coalesce(wait_s = 0, FALSE)",
        }
        return [f"coalesce(sum({layout.calls}) FILTER (WHERE {w}), 0.0)" for w in where.values()]

    return InteractionCounts(*aggregate(rows, build))


def warnings(counts: InteractionCounts | None, values: list[KpiValueRow], kpi_names: dict[str, str]) -> list[str]:
    """One line per implausible result; empty when nothing looks wrong."""
    out: list[str] = []
    if counts is not None:
        if counts.abandoned > 0 and counts.short_abandoned >= counts.abandoned:
            out.append(
                f"every one of the {counts.abandoned:,.0f} abandons counts as short, so SCR is 100 %: "
                "check the wait mapping (a blank read as 0?) or the export's short-abandon flag"
            )
        elif counts.abandoned > 0 and counts.short_abandoned > SHORT_SHARE_WARNING * counts.abandoned:
            out.append(
                f"{counts.short_abandoned:,.0f} of {counts.abandoned:,.0f} abandons are short "
                f"(over {SHORT_SHARE_WARNING:.0%}): check the wait's unit (milliseconds read as seconds?)"
            )
        if counts.known_waits > 0 and counts.zero_waits == counts.known_waits:
            out.append(
                f"every known wait is 0 s ({counts.known_waits:,.0f} interactions): the export may not carry waits"
            )
    for row in values:
        if row.scope == "all" and row.denominator == 0:
            out.append(f"{row.kpi_id} ({kpi_names.get(row.kpi_id, row.kpi_id)}): nothing to divide by (denominator 0)")
    return out
