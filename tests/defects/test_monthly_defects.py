"""A monthly KPI from an event source (visits on weekdays only) is judged once its month is delivered."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from kawal.demo.sources import write_demo_month
from kawal.ingest.delivery import day_file
from kawal.periods import days_of_month
from kawal.pipeline.daily import compute_source_kpis, ingest_source_day, open_defects_for_day
from kawal.store import engine_for, session_scope
from kawal.store.models import DefectOccurrence, DefectTicket, KpiValue

MONTH = date(2026, 10, 1)


def test_mystery_shopper_month_opens_a_defect_when_the_month_is_complete(
    tmp_path: Path, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(landing))
    monkeypatch.setenv("KAWAL_DB_URL", url)
    write_demo_month(MONTH, landing, seed=42, calls_per_day=50)
    # by hand from the files: the month's mean visit score (weekend files are header-only)
    scores = []
    for day in days_of_month(MONTH):
        with day_file(landing, "mystery_shopper_visits", day).open(newline="") as fh:
            scores += [float(r["score"]) for r in csv.DictReader(fh)]
    expected = sum(scores) / len(scores)
    assert expected < 85  # the planted weak week pulls the month under target (≥ 85)

    engine = engine_for(url)
    for day in days_of_month(MONTH):
        compute_source_kpis(ingest_source_day("mystery_shopper_visits", day).batch_id)
        open_defects_for_day(day)
        with session_scope(engine) as s:
            tickets = s.scalars(select(DefectTicket).where(DefectTicket.subject == "mystery_shopper")).all()
        if day.day < 31:  # a month under way is at risk at worst, never a defect
            assert tickets == [], day

    with session_scope(engine) as s:
        month = s.scalars(
            select(KpiValue).where(
                KpiValue.kpi_id == "mystery_shopper", KpiValue.scope == "all", KpiValue.period_type == "month"
            )
        ).one()
        (ticket,) = s.scalars(select(DefectTicket).where(DefectTicket.subject == "mystery_shopper")).all()
        (occurrence,) = s.scalars(select(DefectOccurrence).where(DefectOccurrence.ticket_id == ticket.id)).all()
    assert month.value == pytest.approx(expected)
    assert (month.days_covered, month.evaluation) == (31, "breach")
    assert (occurrence.period_type, occurrence.period_start) == ("month", MONTH)
    assert ticket.responsible == "pic_quality" and ticket.external
    # the PIC's mail shows the KPI as months, never as daily "met" rows under a missed month (#18)
    from kawal.store.models import Notification

    with session_scope(engine) as s:
        mail = s.scalars(
            select(Notification).where(Notification.kind == "defect_opened", Notification.ticket_id == ticket.id)
        ).one()
    assert "6 bulan terakhir:" in mail.body_text and "7 hari terakhir" not in mail.body_text
    assert "10/2026" in mail.body_text and "2026-10-30" not in mail.body_text
    assert f"#{ticket.id} " in mail.subject and "vs target ≥ 85,0" in mail.subject
