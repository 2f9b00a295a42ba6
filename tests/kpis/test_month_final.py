"""The month-final rule (kawal.kpis.month), decided once and read by defects and effectiveness.

A monthly KPI whose month has a day without valid data used to be stored ``breach`` while no defect
ticket was ever opened (the pipeline, the evaluation and the tickets each decided "final" their own
way). Expected values here are computed by hand from the landing files (csv module), not read back.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from kawal.demo.sources import write_demo_month
from kawal.errors import KawalError
from kawal.ingest.delivery import day_file
from kawal.kpis.month import MonthCoverage, month_verdict
from kawal.kpis.values import KpiValueRow
from kawal.periods import days_of_month
from kawal.pipeline.daily import compute_source_kpis, ingest_source_day, open_defects_for_day
from kawal.register import load_register
from kawal.store import engine_for, session_scope
from kawal.store.kpi_values import replace_period_values
from kawal.store.models import DefectTicket, KpiValue
from tests.conftest import REPO

MONTH = date(2026, 10, 1)
SOURCE = "mystery_shopper_visits"


@pytest.mark.parametrize(
    ("with_data", "processed", "expected"),
    [
        (31, 31, (True, True)),  # every day in
        (30, 30, (False, True)),  # a day still to come: under way
        (30, 31, (True, True)),  # the 31st quarantined: judged on 30 days
        (16, 31, (True, True)),  # 16 of 31 ≥ half: judged
        (15, 31, (True, False)),  # 15 of 31 < half: final, not evaluable
        (0, 31, (True, False)),
    ],
)
def test_month_verdict_by_the_stated_rule(with_data: int, processed: int, expected: tuple[bool, bool]) -> None:
    verdict = month_verdict(MonthCoverage(31, with_data, processed))
    assert (verdict.final, verdict.judged) == expected
    if with_data < processed == 31:
        assert (verdict.note is not None and str(31 - with_data) in verdict.note) or f"{with_data}/31" in verdict.note


def _run_month(landing: Path, url: str, missing: set[int]) -> list[float]:
    """Run every day of the month for the source with the ``missing`` days' files removed; the
    visit scores of the days that were delivered, read with the csv module."""
    scores: list[float] = []
    for day in days_of_month(MONTH):
        path = day_file(landing, SOURCE, day)
        if day.day in missing:
            path.unlink()
        else:
            with path.open(newline="") as fh:
                scores += [float(r["score"]) for r in csv.DictReader(fh)]
    for day in days_of_month(MONTH):
        try:
            compute_source_kpis(ingest_source_day(SOURCE, day).batch_id)
        except KawalError:
            assert day.day in missing  # the missing delivery: a data incident, the day not evaluable
        open_defects_for_day(day)
    return scores


def _month_value(url: str) -> KpiValue:
    with session_scope(engine_for(url)) as s:
        return s.scalars(
            select(KpiValue).where(
                KpiValue.kpi_id == "mystery_shopper", KpiValue.scope == "all", KpiValue.period_type == "month"
            )
        ).one()


def _tickets(url: str) -> list[DefectTicket]:
    with session_scope(engine_for(url)) as s:
        return list(
            s.scalars(
                select(DefectTicket).where(DefectTicket.kind == "kpi_defect", DefectTicket.subject == "mystery_shopper")
            )
        )


@pytest.fixture
def month_env(tmp_path: Path, landing: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(landing))
    monkeypatch.setenv("KAWAL_DB_URL", url)
    write_demo_month(MONTH, landing, seed=42, calls_per_day=20)
    return landing, url


def test_a_monthly_breach_with_a_missing_day_opens_its_ticket(month_env: tuple[Path, str]) -> None:
    landing, url = month_env
    scores = _run_month(landing, url, missing={6})  # 6 Oct (a Tuesday: visits that day) never delivered
    expected = sum(scores) / len(scores)
    assert expected < 85  # the planted weak week keeps the month under target (≥ 85)

    month = _month_value(url)
    assert month.value == pytest.approx(expected)
    assert (month.days_covered, month.final, month.evaluation) == (30, True, "breach")
    assert "1 hari tanpa data valid" in month.evaluation_note
    (ticket,) = _tickets(url)
    assert ticket.responsible == "pic_quality" and ticket.opened_on == MONTH


def test_a_month_with_too_few_valid_days_is_final_but_not_evaluable(month_env: tuple[Path, str]) -> None:
    landing, url = month_env
    _run_month(landing, url, missing=set(range(1, 18)))  # 17 of 31 days missing: 14 < half
    month = _month_value(url)
    assert (month.days_covered, month.final, month.evaluation) == (14, True, "not_evaluable")
    assert "14/31" in month.evaluation_note
    assert _tickets(url) == []  # the data incidents carry the problem, not a KPI defect


def test_effectiveness_counts_final_months_with_a_missing_day(tmp_path: Path) -> None:
    from kawal.defects.lifecycle import PlannedAction
    from kawal.defects.monitoring import open_or_update_defects
    from kawal.defects.tickets import effectiveness
    from kawal.defects.workflow import analyse, decide, verify

    register = load_register(REPO / "kpi_rules")
    engine = engine_for(f"sqlite:///{tmp_path / 'k.db'}")

    def month_row(first: date, value: float, evaluation: str, days: int, final: bool) -> KpiValueRow:
        return KpiValueRow(
            "mystery_shopper", "month", first, "all", value * 10, 10.0, value, "computed", None, None, days,
            evaluation, 85.0, None, 1, None, final,
        )  # fmt: skip

    with session_scope(engine) as s:
        row = month_row(MONTH, 83.0, "breach", 30, True)
        replace_period_values(s, ["mystery_shopper"], "month", MONTH, [row])
        (tid,) = open_or_update_defects(s, register, [row], date(2026, 11, 1))
        analyse(s, register, tid, "pic_quality", root_cause="x", coordinated_with="y", recommendation="z")
        decide(
            s,
            register,
            tid,
            "om",
            [PlannedAction("curative", "Coaching agen", "pic_quality", date(2026, 11, 20))],
            today=date(2026, 11, 5),
        )
        verify(s, register, tid, "pic_quality", today=date(2026, 11, 6))
        # monitoring began on 6 Nov, so the first month after the fix is December: final on 30 of
        # 31 days (a day quarantined), met — it counts; January still under way proves nothing
        for first, value, days, final in ((date(2026, 12, 1), 88, 30, True), (date(2027, 1, 1), 90, 10, False)):
            replace_period_values(s, ["mystery_shopper"], "month", first, [month_row(first, value, "met", days, final)])
        streak, needed = effectiveness(s, register, s.get(DefectTicket, tid))
    assert (streak, needed) == (1, register.procedure.defects.effectiveness_periods)
