"""The warnings of ``kawal sources check`` on counts written by hand."""

from __future__ import annotations

from datetime import date

from kawal.checks.plausibility import InteractionCounts, warnings
from kawal.kpis.values import KpiValueRow


def counts(**kw: float) -> InteractionCounts:
    base = dict(
        offered=100.0,
        answered=90.0,
        abandoned=10.0,
        short_abandoned=2.0,
        answered_unknown_wait=0.0,
        abandoned_unknown_wait=0.0,
        known_waits=100.0,
        zero_waits=3.0,
    )
    return InteractionCounts(**{**base, **kw})


def test_plausible_counts_warn_nothing() -> None:
    assert warnings(counts(), [], {}) == []


def test_more_than_half_the_abandons_short_is_called_out() -> None:
    (line,) = warnings(counts(short_abandoned=6.0), [], {})
    assert line.startswith("6 of 10 abandons are short (over 50%)")


def test_all_waits_zero_is_called_out() -> None:
    (line,) = warnings(counts(zero_waits=100.0), [], {})
    assert line == "every known wait is 0 s (100 interactions): the export may not carry waits"


def test_an_empty_denominator_names_its_kpi() -> None:
    row = KpiValueRow(
        kpi_id="csi",
        period_type="day",
        period_start=date(2026, 10, 1),
        scope="all",
        numerator=0.0,
        denominator=0.0,
        value=None,
        status="not_evaluable",
        reason="no rows",
        batch_id=None,
        days_covered=1,
    )
    assert warnings(None, [row], {"csi": "Customer satisfaction"}) == [
        "csi (Customer satisfaction): nothing to divide by (denominator 0)"
    ]
