"""The formula kinds in SQL (kawal.formulas, run by DuckDB in kawal.kpis.day) give the values of the
pandas implementation they replace (tests/kpis/pandas_reference.py, kept verbatim as the oracle):
on every canonical source's demo month and on generated interaction days — unknown waits, interval
weights, the export's own short-abandon flags, conditions on missing values, breakdowns.

The generated numbers are whole or half seconds: their sums are exact in binary, so the two routes
must agree exactly, not merely closely."""

from __future__ import annotations

import math
import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kawal.demo.sources import write_demo_month
from kawal.formulas import Condition
from kawal.ingest.readers import read_source
from kawal.kpis.day import kpi_day_rows
from kawal.register import load_register
from kawal.sources import SOURCES
from tests.frames import frame
from tests.kpis import pandas_reference
from tests.properties import budget

REPO = Path(__file__).resolve().parents[2]
DAY = date(2026, 10, 1)
NAN = float("nan")
OPT_IN = ["sl_offered", "sl_answered", "sl_offered_minus_short", "abandon_rate", "csat_mean", "fcr"]


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    rules = tmp_path_factory.mktemp("rules") / "kpi_rules"
    shutil.copytree(REPO / "kpi_rules", rules)
    site = (rules / "site.yaml").read_text(encoding="utf-8")
    (rules / "site.yaml").write_text(site.replace("opt_in_kpis: []", f"opt_in_kpis: [{', '.join(OPT_IN)}]"), "utf-8")
    return load_register(rules)


def as_compared(rows):  # type: ignore[no-untyped-def]
    return [(r.kpi_id, r.scope, r.numerator, r.denominator, r.status) for r in rows]


def assert_same(kpis, rows) -> None:  # type: ignore[no-untyped-def]
    by_sql = as_compared(kpi_day_rows(kpis, rows, DAY, 7))
    by_pandas = as_compared(pandas_reference.kpi_day_rows(kpis, rows, DAY, 7))
    assert by_sql == by_pandas


@pytest.fixture(scope="module")
def demo_month(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    return write_demo_month(DAY, tmp_path_factory.mktemp("landing"), seed=7, calls_per_day=300)


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_every_source_of_the_demo_month_gives_the_pandas_values(source: str, register, demo_month) -> None:  # type: ignore[no-untyped-def]
    kpis = register.for_source(source)
    assert kpis, f"the register computes nothing from {source}"
    files = demo_month[source]
    for path in files[:: max(1, len(files) // 6)]:  # six days spread over the month
        day = date.fromisoformat(path.stem.rsplit("_", 1)[1])
        rows = read_source(SOURCES[source], path, day)
        by_sql = as_compared(kpi_day_rows(kpis, rows, day, 1))
        by_pandas = as_compared(pandas_reference.kpi_day_rows(kpis, rows, day, 1))
        assert [r[:2] for r in by_sql] == [r[:2] for r in by_pandas]
        for got, want in zip(by_sql, by_pandas, strict=True):
            # the demo's durations are fractions: two summation orders may differ in the last bits
            assert got[4] == want[4] and math.isclose(got[2], want[2], rel_tol=1e-12, abs_tol=1e-9), (got, want)
            assert math.isclose(got[3], want[3], rel_tol=1e-12, abs_tol=1e-9), (got, want)


seconds = st.one_of(st.just(NAN), st.integers(0, 240).map(lambda n: n / 2))
interaction = st.tuples(
    st.sampled_from(["i"]),  # replaced by a unique id below
    st.sampled_from(["voice", "chat", "email"]),
    st.sampled_from(["gadai", "emas", ""]),
    st.just("2026-10-01T09:00:00+07:00"),
    st.sampled_from(["answered", "abandoned"]),
    seconds,  # wait_s: unknown, or whole/half seconds
    seconds,  # talk_s
    st.integers(0, 60).map(float),  # hold_s
    st.integers(0, 60).map(float),  # acw_s
    st.sampled_from([1.0, 1.0, 1.0, 3.0, 12.0]),  # calls: call-level mostly, some interval rows
    st.sampled_from([NAN, NAN, 0.0, 1.0]),  # short_abandon: the export's own flag, mostly absent
    st.sampled_from([NAN, 0.0, 1.0]),  # first_contact_resolved
)

#: conditions where a missing value and a type mismatch matter (pandas: NaN != x is True)
WHERES = [
    [Condition(column="queue", op="!=", value="gadai")],
    [Condition(column="wait_s", op="!=", value=10.0)],
    [Condition(column="wait_s", op="not_in", value=[0.0, 10.0])],
    [Condition(column="wait_s", op=">=", value=5.0), Condition(column="queue", op="in", value=["emas", ""])],
    [Condition(column="queue", op="==", value="emas")],
    [Condition(column="wait_s", op="in", value=[3.0, "x"])],
]


def variants(kpis):  # type: ignore[no-untyped-def]
    """The source's KPIs as the register has them, then each with every extra ``where`` and broken
    down by channel and queue."""
    out = list(kpis)
    for n, where in enumerate(WHERES):
        for kpi in kpis:
            variant = kpi.model_copy(update={"id": f"{kpi.id}_w{n}", "breakdowns": ["channel", "queue"]})
            variant._params = kpi.params.model_copy(update={"where": [*kpi.params.where, *where]})
            out.append(variant)
    assert all(k.params.where for k in out[len(kpis) :])
    return out


@given(rows=st.lists(interaction, min_size=0, max_size=40))
@example(rows=[("i", "voice", "", "2026-10-01T09:00:00+07:00", "abandoned", NAN, NAN, 0.0, 0.0, 1.0, NAN, NAN)])
@example(rows=[("i", "chat", "gadai", "2026-10-01T09:00:00+07:00", "answered", 4.5, 10.0, 0.0, 0.0, 12.0, 1.0, 0.0)])
@budget(30)
def test_generated_interaction_days_give_the_pandas_values(register, rows) -> None:  # type: ignore[no-untyped-def]
    rows = [(f"i{n}", *r[1:]) for n, r in enumerate(rows)]
    assert_same(variants(register.for_source("interactions")), frame("interactions", rows))


def test_an_empty_day_gives_no_value_either_way(register) -> None:  # type: ignore[no-untyped-def]
    kpis = register.for_source("interactions")
    assert kpi_day_rows(kpis, frame("interactions", []), DAY, None) == []
    assert pandas_reference.kpi_day_rows(kpis, frame("interactions", []), DAY, None) == []
