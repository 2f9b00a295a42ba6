"""Performance formulas (their SQL, run by DuckDB) against values computed by hand (docs/kpi-definitions.md)."""

from __future__ import annotations

import pandas as pd
import pytest

from kawal.formulas import InteractionParams, ScrParams
from kawal.kpis.day import components


def success_call_ratio(rows: pd.DataFrame, params: ScrParams):  # type: ignore[no-untyped-def]
    return components("success_call_ratio", rows, params)


def response_time(rows: pd.DataFrame, params: InteractionParams):  # type: ignore[no-untyped-def]
    return components("response_time", rows, params)


def average_handling_time(rows: pd.DataFrame, params: InteractionParams):  # type: ignore[no-untyped-def]
    return components("average_handling_time", rows, params)


@pytest.fixture
def five_interactions() -> pd.DataFrame:
    # arrange: 3 answered, 1 short abandon (3 s), 1 real abandon (50 s)
    return pd.DataFrame(
        {
            "channel": ["voice", "voice", "voice", "voice", "chat"],
            "outcome": ["answered", "answered", "abandoned", "abandoned", "answered"],
            "wait_s": [10.0, 30.0, 3.0, 50.0, 20.0],
            "talk_s": [100.0, 200.0, 0.0, 0.0, 300.0],
            "hold_s": [20.0, 0.0, 0.0, 0.0, 0.0],
            "acw_s": [10.0, 20.0, 0.0, 0.0, 30.0],
        }
    )


def test_scr_excludes_short_abandons_from_offered(five_interactions: pd.DataFrame) -> None:
    comp = success_call_ratio(five_interactions, ScrParams(short_abandon_s=5))
    # by hand: answered 3; offered 5 − 1 short abandon = 4 → 75 %
    assert (comp.numerator, comp.denominator) == (3, 4)
    assert comp.value(100) == pytest.approx(75.0)


def test_scr_threshold_is_a_register_parameter(five_interactions: pd.DataFrame) -> None:
    # with a 2 s threshold the 3 s abandon counts as offered: 3 / 5
    assert success_call_ratio(five_interactions, ScrParams(short_abandon_s=2)).value(100) == pytest.approx(60.0)
    # an abandon at exactly the threshold is not short ("less than")
    exact = five_interactions.assign(wait_s=[10.0, 30.0, 5.0, 50.0, 20.0])
    assert success_call_ratio(exact, ScrParams(short_abandon_s=5)).denominator == 5


def test_response_time_is_mean_wait_of_answered(five_interactions: pd.DataFrame) -> None:
    comp = response_time(five_interactions, InteractionParams())
    # by hand: (10 + 30 + 20) / 3 answered; abandons' waits are not response times
    assert (comp.numerator, comp.denominator) == (60, 3)
    assert comp.value() == pytest.approx(20.0)


def test_aht_is_talk_hold_acw_over_answered(five_interactions: pd.DataFrame) -> None:
    comp = average_handling_time(five_interactions, InteractionParams())
    # by hand: (100+20+10) + (200+0+20) + (300+0+30) = 680 over 3
    assert (comp.numerator, comp.denominator) == (680, 3)
    assert comp.value() == pytest.approx(226.6666667)


def test_no_answered_interaction_gives_no_value() -> None:
    only_abandons = pd.DataFrame(
        {"outcome": ["abandoned"], "wait_s": [40.0], "talk_s": [0.0], "hold_s": [0.0], "acw_s": [0.0]}
    )
    assert response_time(only_abandons, InteractionParams()).value() is None
    assert average_handling_time(only_abandons, InteractionParams()).value() is None
    assert success_call_ratio(only_abandons, ScrParams()).value(100) == 0.0
