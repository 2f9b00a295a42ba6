"""The retention DAG under real Airflow (dag.test), on SQLite and PostgreSQL stores: a dry-run run
changes nothing, a real run disposes of exactly the expired records with a log entry each, a re-run
disposes of nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from kawal.store import engine_for, session_scope
from kawal.store.models import DefectEvent, DefectTicket

RUN = datetime(2026, 2, 1, 3, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # judged on 2026-02-01 (WIB)


def _parsed_dag():  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    from tests.conftest import REPO

    return DagBag(dag_folder=str(REPO / "dags")).get_dag("kawal_retention")


@pytest.fixture
def retention_dag(airflow_db):  # type: ignore[no-untyped-def]
    return _parsed_dag()


def _count(url: str, sql: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text(sql)).scalar_one()
    engine.dispose()
    return int(n)


def _ticket(closed: datetime) -> DefectTicket:
    return DefectTicket(
        kind="kpi_defect",
        subject="scr",
        scope="all",
        active_key=None,
        state="closed",
        severity="minor",
        external=True,
        responsible="pic_performance",
        opened_on=closed.date(),
        notified_on=closed.date(),
        analysis_due=closed.date(),
        repeat_flag=False,
        closed_at=closed,
    )


def test_dry_run_then_real_run_dispose_of_exactly_the_expired(
    retention_dag, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    landing = tmp_path / "landing" / "interactions"
    landing.mkdir(parents=True)
    # 2 years from the end of their year: 2023's files expired on 2026-01-01, 2024's expire on 2027-01-01
    for day in ("2023-03-01", "2023-12-31", "2024-06-01"):
        (landing / f"interactions_{day}.csv").write_text(f"interaction_id\n{day}\n")
    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    with session_scope(engine_for(store_url)) as s:
        old, recent = _ticket(datetime(2022, 5, 2, tzinfo=UTC)), _ticket(datetime(2023, 5, 2, tzinfo=UTC))
        s.add_all([old, recent])
        s.flush()
        s.add(DefectEvent(ticket_id=old.id, at=old.closed_at, actor="om", action="closed", to_state="closed"))
        old_id = old.id

    # its own logical date: dag.test() re-runs an existing run of the same date with that run's conf
    dry = retention_dag.test(logical_date=RUN - timedelta(days=1), run_conf={"dry_run": True})

    assert str(dry.state) == "success"
    assert len(list(landing.iterdir())) == 3 and _count(store_url, "SELECT count(*) FROM defect_ticket") == 2
    assert _count(store_url, "SELECT count(*) FROM disposal_log") == 0

    # a freshly parsed DAG, as the scheduler has: dag.test(run_conf=…) leaves its conf on the DAG object
    real = _parsed_dag().test(logical_date=RUN)

    assert str(real.state) == "success"
    assert sorted(p.name for p in landing.iterdir()) == ["interactions_2024-06-01.csv"]
    assert _count(store_url, f"SELECT count(*) FROM defect_ticket WHERE id={old_id}") == 0
    assert _count(store_url, "SELECT count(*) FROM defect_ticket") == 1  # closed 2023: kept until 2027
    assert _count(store_url, "SELECT count(*) FROM defect_event") == 0
    assert _count(store_url, "SELECT count(*) FROM disposal_log") == 3
    assert _count(store_url, "SELECT count(*) FROM disposal_log WHERE actor='kawal'") == 3

    again = _parsed_dag().test(logical_date=RUN)

    assert str(again.state) == "success"
    assert _count(store_url, "SELECT count(*) FROM disposal_log") == 3


def test_a_broken_retention_table_fails_the_run_with_its_line(
    retention_dag, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import REPO

    rules = tmp_path / "rules"
    rules.mkdir()
    for name in ("register.yaml", "people.yaml", "procedure.yaml"):
        (rules / name).write_bytes((REPO / "kpi_rules" / name).read_bytes())
    (rules / "retention.yaml").write_text("count_from: end_of_year\nrecord_types: {}\n")
    monkeypatch.setenv("KAWAL_RULES_DIR", str(rules))
    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAWAL_DB_URL", f"sqlite:///{tmp_path / 'kawal.db'}")

    run = retention_dag.test(logical_date=RUN, run_conf={"dry_run": True})

    assert str(run.state) == "failed"
    out = capfd.readouterr()
    assert "record type register_revision: missing" in out.out + out.err
