"""``kawal kpi range`` (issue #16, "figures people can check"): any range's Σ numerator / Σ
denominator with the counts behind it, full precision in json/csv, and why a value is "?".
Day values are written by hand into a SQLite store; expected totals are summed by hand."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from kawal.cli import main
from kawal.kpis.values import KpiValueRow
from kawal.store import engine_for, session_scope
from kawal.store.kpi_values import replace_period_values


def day(kpi: str, d: date, num: float, den: float, covered: int = 1) -> KpiValueRow:
    value = None if den == 0 or not covered else 100 * num / den
    return KpiValueRow(kpi, "day", d, "all", num, den, value, "computed", None, None, covered)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'kawal.db'}"
    monkeypatch.setenv("KAWAL_DB_URL", url)
    engine = engine_for(url)
    first = date(2026, 7, 1)
    with session_scope(engine) as session:
        for i in range(92):  # a quarter: SCR 90/100 on every day but the 30th (no data) and the 40th (0/0)
            d = first + timedelta(days=i)
            rows = []
            if i != 30:
                rows = [day("scr", d, 0.0, 0.0) if i == 40 else day("scr", d, 90.0 + (i % 3), 100.0)]
            replace_period_values(session, ["scr"], "day", d, rows)
    return url


def run(*args: str) -> str:
    result = CliRunner().invoke(main, ["kpi", "range", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_quarter_gives_the_sums_and_the_counts_at_full_precision(store: str) -> None:
    (scr,) = [
        t
        for t in json.loads(run("--from", "2026-07-01", "--to", "2026-09-30", "--format", "json"))
        if t["kpi"] == "scr"
    ]
    # by hand: 91 days stored; day 40 is 0/0 (counted, adds nothing); 90 days of 90, 91, 92 in turn
    numerator = sum(90.0 + (i % 3) for i in range(92) if i not in (30, 40))
    assert scr["numerator"] == numerator and scr["denominator"] == 9000.0
    assert scr["value"] == 100 * numerator / 9000.0  # full precision, not 3 digits
    assert (scr["days_in_range"], scr["days_with_value"]) == (92, 91)
    assert scr["status"] == "breach" and scr["target"] == 95.0  # 91.0 % against the target of 95 %
    rows = list(csv.DictReader(io.StringIO(run("--from", "2026-07-01", "--to", "2026-09-30", "--format", "csv"))))
    assert float(next(r for r in rows if r["kpi"] == "scr")["value"]) == scr["value"]


def test_a_range_without_enough_days_says_why_it_cannot_be_judged(store: str) -> None:
    out = run("--from", "2026-09-01", "--to", "2026-12-31")
    # 30 September days of 122: under half the range
    assert "scr: only 30 of 122 days have a value (under 50%)" in out
    assert "rt: no value stored in the range" in out
    (scr,) = [
        t
        for t in json.loads(run("--from", "2026-09-01", "--to", "2026-12-31", "--format", "json"))
        if t["kpi"] == "scr"
    ]
    assert scr["status"] == "not_evaluable" and scr["value"] is not None


def test_an_upside_down_range_is_one_line() -> None:
    result = CliRunner().invoke(main, ["kpi", "range", "--from", "2026-10-02", "--to", "2026-10-01"])
    assert result.exit_code == 2 and result.output.strip() == "kawal: --from 2026-10-02 is after --to 2026-10-01"


def test_kpi_month_as_json_gives_every_stored_value_at_full_precision(store: str) -> None:
    result = CliRunner().invoke(main, ["kpi", "month", "--month", "2026-07", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = [r for r in json.loads(result.output) if r["kpi"] == "scr"]
    # the fixture's July: 31 days of (90 + i % 3) / 100, day 30 (i = 30, 31 July) not stored
    assert [r["start"] for r in rows] == [f"2026-07-{d:02}" for d in range(1, 31)]
    assert rows[1]["numerator"] == 91.0 and rows[1]["denominator"] == 100.0 and rows[1]["value"] == 91.0
