"""A month's value is Σnumerator / Σdenominator of its days, whatever the daily split (docs/PRODUCT.md).

Property: take random rows of a source and scatter them over the days of a month; compute each day
with ``kpi_day_rows`` and store it with ``replace_period_values``, roll the month up from the store
with ``month_rollup`` (the production route), and compare with the formula applied to all the rows
at once (``kpi_day_rows`` on the concatenated rows: a different route). For attrition, whose
headcount denominator is a stock, the month is checked against 100 · Σleavers / (Σ daily headcount /
days covered), computed here in plain Python.

The store is one SQLite file in a temporary directory, migrated once for the module; every example
works in its own transaction and rolls it back, so each starts from an empty store.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from kawal.kpis.day import kpi_day_rows
from kawal.kpis.rollup import month_rollup, rollup_rules
from kawal.kpis.values import KpiValueRow
from kawal.periods import days_of_month
from kawal.register import load_register
from kawal.store import KpiValue, engine_for
from kawal.store.kpi_values import replace_period_values
from tests.frames import frame
from tests.properties import budget

REPO = Path(__file__).resolve().parents[2]
REGISTER = load_register(REPO / "kpi_rules")
EXAMPLES = budget(100, slow_ok=True)  # make fuzz: 1,000 fresh examples

DayRows = dict[date, list[tuple]]
#: KPIs whose denominator is a stock (averaged over the days covered); every other KPI is a flow
STOCK_KPIS = {"attrition"}


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory(prefix="kawal-month-") as directory:
        eng = engine_for(f"sqlite:///{Path(directory) / 'kawal.db'}")
        yield eng
        eng.dispose()


def month_via_store(engine: Engine, source: str, first: date, by_day: DayRows) -> dict[tuple[str, str], KpiValueRow]:
    """The production route: day rows → store → month roll-up; rolled back afterwards."""
    kpis = REGISTER.for_source(source)
    ids = [k.id for k in kpis]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(KpiValue)) == 0, "store not empty"
        for day, rows in sorted(by_day.items()):
            assert day.replace(day=1) == first
            replace_period_values(session, ids, "day", day, kpi_day_rows(kpis, frame(source, rows), day, None))
        month = month_rollup(session, rollup_rules(kpis), first, days_of_month(first)[-1])
        session.rollback()
    return {(r.kpi_id, r.scope): r for r in month}


def all_at_once(source: str, first: date, by_day: DayRows) -> dict[tuple[str, str], KpiValueRow]:
    """The other route: the formula applied to every row of the month in one frame."""
    rows = [row for day in sorted(by_day) for row in by_day[day]]
    return {(r.kpi_id, r.scope): r for r in kpi_day_rows(REGISTER.for_source(source), frame(source, rows), first, None)}


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == pytest.approx(b, rel=1e-9, abs=0.0)


# --- random rows --------------------------------------------------------------------------------

MONTHS = [date(2026, m, 1) for m in range(1, 13)]
#: seconds in quarter steps: exact in binary, and they hit the 5 s short-abandon threshold exactly
quarters = st.integers(0, 4 * 3600).map(lambda q: q / 4)
CHANNELS = st.sampled_from(["voice", "chat", "whatsapp"])
TEAMS = ["voice", "digital", "backoffice"]
SYSTEMS = ["ivr", "telephony", "chatbot", "crm", "core_gadai", "knowledge_base", "wallboard"]


@st.composite
def interaction(draw: st.DrawFn) -> tuple:
    outcome = draw(st.sampled_from(["answered", "abandoned"]))
    wait = draw(st.one_of(st.integers(0, 40).map(lambda q: q / 4), quarters))  # often near the 5 s threshold
    handling = (draw(quarters), draw(quarters), draw(quarters)) if outcome == "answered" else (0.0, 0.0, 0.0)
    return ("i", draw(CHANNELS), "q", "2026-01-01T08:00:00+07:00", outcome, wait, *handling)


@st.composite
def qm_evaluation(draw: st.DrawFn) -> tuple:
    max_score = draw(st.integers(0, 100))
    return ("e", "a1", draw(CHANNELS), draw(st.integers(0, max_score)), max_score)


@st.composite
def system_day(draw: st.DrawFn) -> tuple:
    scheduled = draw(st.integers(0, 4 * 86400)) / 4
    downtime = draw(st.one_of(st.just(0.0), st.integers(0, int(4 * scheduled)).map(lambda q: q / 4)))
    return (draw(st.sampled_from(SYSTEMS)), scheduled, downtime, draw(st.integers(0, 5)))


@st.composite
def agent_day(draw: st.DrawFn) -> tuple:
    scheduled = draw(st.integers(0, 1))
    present = draw(st.integers(0, scheduled))
    shift = draw(quarters) if scheduled else 0.0
    adherent = draw(st.integers(0, int(4 * shift)).map(lambda q: q / 4)) if present else 0.0
    logged = draw(quarters) if present else 0.0
    handled = draw(st.integers(0, 80)) if present else 0
    return ("a", draw(st.sampled_from(TEAMS)), scheduled, present, shift, adherent, logged, handled)


ROW_STRATEGIES: dict[str, st.SearchStrategy[tuple]] = {
    "interactions": interaction(),
    "qm_evaluations": qm_evaluation(),
    "pnp_tests": st.tuples(st.just("t"), st.just("a1"), st.sampled_from(["gadai", "emas"]), st.integers(0, 100)),
    "mystery_shopper_visits": st.tuples(
        st.just("v"), CHANNELS, st.just("s1"), st.integers(0, 400).map(lambda q: q / 4)
    ),
    "csi_responses": st.tuples(st.just("r"), CHANNELS, st.integers(1, 5)),
    "system_availability": system_day(),
    "agent_days": agent_day(),
}


@st.composite
def scattered_month(draw: st.DrawFn, source: str) -> tuple[date, DayRows]:
    """Random rows of ``source`` and a random assignment of each row to a day of a random month."""
    first = draw(st.sampled_from(MONTHS))
    n_days = len(days_of_month(first))
    rows = draw(st.lists(ROW_STRATEGIES[source], min_size=1, max_size=40))
    by_day: DayRows = {}
    for row in rows:
        day = first.replace(day=draw(st.integers(1, n_days)))
        by_day.setdefault(day, []).append(row)
    return first, by_day


@st.composite
def seats_month(draw: st.DrawFn) -> tuple[date, DayRows]:
    """seats_headcount as delivered: on some days of a month, one row per team present that day."""
    first = draw(st.sampled_from(MONTHS))
    n_days = len(days_of_month(first))
    days = draw(st.sets(st.integers(1, n_days), min_size=1, max_size=n_days))
    by_day: DayRows = {}
    for d in sorted(days):
        teams = draw(st.lists(st.sampled_from(TEAMS), min_size=1, max_size=len(TEAMS), unique=True))
        by_day[first.replace(day=d)] = [
            (
                team,
                draw(st.integers(0, 80)),  # required_seats
                draw(st.integers(0, 80)),  # filled_seats
                draw(st.one_of(st.just(0), st.integers(0, 200))),  # headcount (0 happens: a new team)
                draw(st.integers(0, 6)),  # leavers
                draw(st.integers(0, 6)),  # joiners
            )
            for team in teams
        ]
    return first, by_day


# --- properties ---------------------------------------------------------------------------------


def assert_flow_kpis_match(engine: Engine, source: str, first: date, by_day: DayRows) -> None:
    month = month_via_store(engine, source, first, by_day)
    whole = all_at_once(source, first, by_day)
    flow_keys = {key for key in whole if key[0] not in STOCK_KPIS}
    assert {key for key in month if key[0] not in STOCK_KPIS} == flow_keys
    assert {kpi_id for kpi_id, _ in flow_keys} == {k.id for k in REGISTER.for_source(source)} - STOCK_KPIS
    for key in flow_keys:
        m, w = month[key], whole[key]
        assert close(m.numerator, w.numerator), (key, m, w)
        assert close(m.denominator, w.denominator), (key, m, w)
        assert close(m.value, w.value), (key, m.value, w.value)
        assert m.status == w.status, key
        assert (m.period_type, m.period_start) == ("month", first)
        if key[1] == "all":  # every day with rows has an overall value
            assert m.days_covered == len(by_day), key


@pytest.mark.parametrize("source", sorted(ROW_STRATEGIES))
@EXAMPLES
@given(data=st.data())
def test_month_equals_formula_on_all_rows_for_any_daily_split(engine: Engine, source: str, data: st.DataObject) -> None:
    first, by_day = data.draw(scattered_month(source), label="month")
    assert_flow_kpis_match(engine, source, first, by_day)


@EXAMPLES
@given(seats_month())
def test_seats_month_flow_and_stock_denominators(engine: Engine, month: tuple[date, DayRows]) -> None:
    first, by_day = month
    # seat fulfilment (a flow) as for the other sources
    assert_flow_kpis_match(engine, "seats_headcount", first, by_day)

    # attrition (stock denominator): 100 · Σleavers / (Σ daily headcount / days covered), per scope,
    # worked out from the generated tuples without pandas or the formula code
    expected: dict[str, tuple[float, float, int]] = {}  # scope → (Σ leavers, Σ headcount, days covered)
    for rows in by_day.values():
        day_totals: dict[str, tuple[float, float]] = {}
        for team, _required, _filled, headcount, leavers, _joiners in rows:
            for scope in ("all", f"team={team}"):
                lv, hc = day_totals.get(scope, (0, 0))
                day_totals[scope] = (lv + leavers, hc + headcount)
        for scope, (lv, hc) in day_totals.items():
            sum_lv, sum_hc, days = expected.get(scope, (0, 0, 0))
            expected[scope] = (sum_lv + lv, sum_hc + hc, days + 1)

    stored = month_via_store(engine, "seats_headcount", first, by_day)
    got = {scope: row for (kpi_id, scope), row in stored.items() if kpi_id == "attrition"}
    assert set(got) == set(expected)
    for scope, (sum_lv, sum_hc, days) in expected.items():
        row = got[scope]
        assert row.days_covered == days, scope
        assert close(row.numerator, sum_lv), scope
        assert close(row.denominator, sum_hc / days), scope
        want = None if sum_hc == 0 else 100 * sum_lv / (sum_hc / days)
        assert close(row.value, want), (scope, row.value, want)


def test_only_attrition_has_a_stock_denominator() -> None:
    assert {kpi_id for kpi_id, rule in rollup_rules(REGISTER.kpis).items() if rule.stock_denominator} == STOCK_KPIS


# --- concrete examples, by hand -------------------------------------------------------------------


def test_month_is_not_the_mean_of_daily_ratios(engine: Engine) -> None:
    first = date(2026, 3, 1)
    answered = ("i", "voice", "q", "2026-03-02T08:00:00+07:00", "answered", 10, 100, 0, 10)
    abandoned = ("i", "voice", "q", "2026-03-03T08:00:00+07:00", "abandoned", 60, 0, 0, 0)
    by_day = {
        date(2026, 3, 2): [answered],  # SCR 1/1 = 100 %
        date(2026, 3, 3): [answered] * 5 + [abandoned] * 5,  # SCR 5/10 = 50 %
    }
    month = month_via_store(engine, "interactions", first, by_day)
    scr = month[("scr", "all")]
    # by hand: (1 + 5) answered / (1 + 10) offered = 6/11 = 54.5454… %; the mean of the daily
    # ratios, (100 + 50) / 2 = 75 %, would overweight the quiet day
    assert (scr.numerator, scr.denominator, scr.days_covered) == (6, 11, 2)
    assert scr.value == pytest.approx(54.545454545455, rel=1e-9)
    assert scr.value != pytest.approx(75.0)


def test_attrition_month_averages_the_headcount(engine: Engine) -> None:
    first = date(2026, 3, 1)
    by_day = {
        date(2026, 3, 2): [("voice", 50, 50, 100, 2, 0)],  # 2 leavers on a headcount of 100 (2 %)
        date(2026, 3, 3): [("voice", 50, 48, 98, 0, 0)],  # none on 98 (0 %)
    }
    month = month_via_store(engine, "seats_headcount", first, by_day)
    attrition = month[("attrition", "all")]
    # by hand: 2 leavers / average headcount (100 + 98) / 2 = 99 → 2.0202… %; not Σ/Σ = 2/198 = 1.0101 %,
    # and not the mean of daily ratios (2 + 0) / 2 = 1 %
    assert (attrition.numerator, attrition.denominator, attrition.days_covered) == (2, 99, 2)
    assert attrition.value == pytest.approx(2.020202020202, rel=1e-9)
    assert attrition.value != pytest.approx(1.0101010101, rel=1e-3)
    assert attrition.value != pytest.approx(1.0)
