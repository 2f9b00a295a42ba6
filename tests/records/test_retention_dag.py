"""The retention DAG under real Airflow (dag.test), on SQLite and PostgreSQL stores: a dry-run run
changes nothing; a real run proposes the expired records for sign-off, waits for the Accountable's
decision (given from another thread through the real CLI, as a person at a terminal gives it while
the run waits) and disposes of exactly the approved list with a log entry each; a record expiring
meanwhile is not disposed of; a rejection disposes of nothing; a re-run disposes of nothing twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from kawal.store import engine_for, session_scope
from kawal.store.models import DefectEvent, DefectTicket

RUN = datetime(2026, 2, 1, 3, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # judged on 2026-02-01 (WIB)
KAWAL = str(Path(sys.executable).with_name("kawal"))


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


def _rows(url: str, sql: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = list(conn.execute(text(sql)))
    engine.dispose()
    return found


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


def _decide_when_proposed(url: str, argv: list[str], before: object = None) -> threading.Thread:
    """The Accountable at a terminal: once the run has stored its list, ``kawal records …`` in a real
    process (the CLI is Kawal's way of answering: docs/records-and-review.md), while the run waits."""

    def answer() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if _count(url, "SELECT count(*) FROM disposal_signoff WHERE state = 'proposed'") == 1:
                break
            time.sleep(0.2)
        try:
            if callable(before):
                before()
            done = subprocess.run(
                [KAWAL, "records", *argv], env=dict(os.environ), capture_output=True, text=True, timeout=180
            )
            answers.append(done)
        finally:
            if not answers or answers[0].returncode != 0:
                # no answer given: move the site clock past the deadline, so the waiting run times out and
                # the test fails on its assertions instead of waiting forever
                os.environ["KAWAL_NOW"] = "2027-01-01T09:00:00+07:00"

    answers: list[subprocess.CompletedProcess] = []
    thread = threading.Thread(target=answer, daemon=True)
    thread.answers = answers  # type: ignore[attr-defined]
    thread.start()
    return thread


@pytest.fixture
def expired_world(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    landing = tmp_path / "landing" / "interactions"
    landing.mkdir(parents=True)
    # 2 years from the end of their year: 2023's files expired on 2026-01-01, 2024's expire on 2027-01-01
    for day in ("2023-03-01", "2023-12-31", "2024-06-01"):
        (landing / f"interactions_{day}.csv").write_text(f"interaction_id\n{day}\n")
    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    monkeypatch.setenv("KAWAL_SIGNOFF_RECHECK_S", "1")
    monkeypatch.setenv("KAWAL_NOW", os.environ["KAWAL_NOW"])  # restored after a test that had to move it
    with session_scope(engine_for(store_url)) as s:
        old, recent = _ticket(datetime(2022, 5, 2, tzinfo=UTC)), _ticket(datetime(2023, 5, 2, tzinfo=UTC))
        s.add_all([old, recent])
        s.flush()
        s.add(DefectEvent(ticket_id=old.id, at=old.closed_at, actor="om", action="closed", to_state="closed"))
        old_id = old.id
    return landing, store_url, old_id


def test_dry_run_then_signed_off_run_disposes_of_exactly_the_approved_list(retention_dag, expired_world) -> None:  # type: ignore[no-untyped-def]
    landing, store_url, old_id = expired_world

    # its own logical date: dag.test() re-runs an existing run of the same date with that run's conf
    dry = retention_dag.test(logical_date=RUN - timedelta(days=1), run_conf={"dry_run": True})

    assert str(dry.state) == "success"
    assert len(list(landing.iterdir())) == 3 and _count(store_url, "SELECT count(*) FROM defect_ticket") == 2
    assert _count(store_url, "SELECT count(*) FROM disposal_log") == 0
    assert _count(store_url, "SELECT count(*) FROM disposal_signoff") == 0  # a dry run proposes nothing

    # between the proposal and the approval a 2023 export turns up (expired, never proposed): it waits
    late = landing / "interactions_2023-07-01.csv"
    approver = _decide_when_proposed(
        store_url, ["approve-disposal", "2026-02", "--as", "om"], before=lambda: late.write_text("interaction_id\n")
    )
    # a freshly parsed DAG, as the scheduler has: dag.test(run_conf=…) leaves its conf on the DAG object
    real = _parsed_dag().test(logical_date=RUN)
    approver.join(timeout=60)

    assert [a.returncode for a in approver.answers] == [0], [a.stderr for a in approver.answers]
    assert str(real.state) == "success"
    assert sorted(p.name for p in landing.iterdir()) == ["interactions_2023-07-01.csv", "interactions_2024-06-01.csv"]
    assert _count(store_url, f"SELECT count(*) FROM defect_ticket WHERE id={old_id}") == 0
    assert _count(store_url, "SELECT count(*) FROM defect_ticket") == 1  # closed 2023: kept until 2027
    assert _count(store_url, "SELECT count(*) FROM defect_event") == 0
    assert _count(store_url, "SELECT count(*) FROM disposal_log") == 3
    # the approver is the actor; the approval (id, digest, who, when) is inside each chained entry
    assert _count(store_url, "SELECT count(*) FROM disposal_log WHERE actor='om'") == 3
    signoff = _rows(store_url, "SELECT id, digest, state, decided_by, disposed_count FROM disposal_signoff")
    assert [(r.state, r.decided_by, r.disposed_count) for r in signoff] == [("disposed", "om", 3)]
    for row in _rows(store_url, "SELECT details FROM disposal_log"):
        approval = json.loads(row.details)["signoff"]
        assert (approval["id"], approval["digest"], approval["approved_by"]) == (signoff[0].id, signoff[0].digest, "om")
    verified = subprocess.run([KAWAL, "records", "verify-log"], capture_output=True, text=True)
    assert verified.returncode == 0 and "3 rows, hash chain intact" in verified.stdout, verified.stderr

    again = _parsed_dag().test(logical_date=RUN)

    assert str(again.state) == "success"
    assert _count(store_url, "SELECT count(*) FROM disposal_log") == 3
    assert late.exists()  # still waiting for the next month's sign-off


def test_a_rejected_list_disposes_of_nothing(retention_dag, expired_world) -> None:  # type: ignore[no-untyped-def]
    landing, store_url, _old_id = expired_world
    rejecter = _decide_when_proposed(
        store_url, ["reject-disposal", "2026-02", "--as", "om", "--reason", "ticket 1 is disputed"]
    )

    run = retention_dag.test(logical_date=RUN)
    rejecter.join(timeout=60)

    assert [a.returncode for a in rejecter.answers] == [0], [a.stderr for a in rejecter.answers]
    assert str(run.state) == "success"
    assert len(list(landing.iterdir())) == 3 and _count(store_url, "SELECT count(*) FROM defect_ticket") == 2
    assert _count(store_url, "SELECT count(*) FROM disposal_log") == 0
    rows = _rows(store_url, "SELECT state, decided_by, note FROM disposal_signoff")
    assert [(r.state, r.decided_by, r.note) for r in rows] == [("rejected", "om", "ticket 1 is disputed")]


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
