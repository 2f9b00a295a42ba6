"""``kawal_daily_deadline`` (#19): the daily run not finished by 08:00 WIB tells data engineering, once.

Real Airflow (``dag.test``), a real SMTP server; the day's pipeline bodies run without the defects step
for one source, as a run stuck before it would leave the store.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kawal.demo.sources import write_demo_month
from kawal.errors import NotDelivered
from kawal.ingest.delivery import day_file
from kawal.pipeline.daily import compute_source_kpis, ingest_source_day, open_defects_for_day
from kawal.site import load_site

pytestmark = pytest.mark.airflow

REPO = Path(__file__).resolve().parents[2]
WIB = ZoneInfo("Asia/Jakarta")
DAY = date(2026, 3, 16)


@pytest.fixture
def deadline_dag(airflow_db):  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags")).get_dag("kawal_daily_deadline")


def test_a_day_not_finished_by_eight_mails_data_engineering_once(
    deadline_dag, store_url: str, landing: Path, mail_sink, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(landing))
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    write_demo_month(DAY.replace(day=1), landing, seed=14, calls_per_day=100)
    day_file(landing, "seats_headcount", DAY).unlink()  # its export never came, and the run stopped before defects
    sources = load_site(REPO / "kpi_rules").sources
    for source in sources:
        if source != "seats_headcount":
            compute_source_kpis(ingest_source_day(source, DAY).batch_id)
    with pytest.raises(NotDelivered):  # the run's ingest of the missing export, past its cut-off
        ingest_source_day("seats_headcount", DAY)
    at_eight = datetime(2026, 3, 17, 8, 0, tzinfo=WIB)

    run = deadline_dag.test(logical_date=at_eight)

    assert str(run.state) == "success"
    (mail,) = [m for m in mail_sink.messages() if "belum selesai" in m["Subject"]]
    assert (
        " ".join(mail["Subject"].split()) == "[Kawal] Run harian 2026-03-16 belum selesai pukul 08:00: seats_headcount"
    )
    assert "tono.wijaya@kawal-demo.example" in mail["To"]
    assert deadline_dag.test(logical_date=at_eight).state == "success"  # a re-run tells nobody again
    assert len([m for m in mail_sink.messages() if "belum selesai" in m["Subject"]]) == 1

    # once the defects step has recorded the missing export as a data incident, the day is finished
    open_defects_for_day(DAY)
    from kawal.pipeline.lateness import unfinished_sources

    assert unfinished_sources(DAY) == []
