"""Outages (issue #11): the SMTP server down, the PostgreSQL connection killed mid-task.

Real Airflow runs (``dag.test()``): the tasks' retries are what recovers, so the retry delay of the
DAG object under test is set to zero (the shipped DAGs wait 5-15 minutes) and the outage is ended
by the task's own ``on_retry_callback`` — between the failed try and the retry, deterministically,
without timers.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from kawal.demo.sources import plan_month, write_demo_month
from kawal.notify.mailsink import MailSink
from kawal.periods import daily_run_logical_date
from kawal.settings import site_tz
from tests.reliability.conftest import content, query, task_states
from tests.reliability.worker import run_day

pytestmark = [pytest.mark.reliability, pytest.mark.airflow]

MARCH = date(2026, 3, 1)


def _retry_at_once(dag, on_retry=None) -> None:  # type: ignore[no-untyped-def]
    for task in dag.tasks:
        task.retry_delay = timedelta(0)
        if on_retry is not None:
            task.on_retry_callback = [on_retry]  # a list once the DAG is built


def _try_numbers(run) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {ti.task_id: ti.try_number for ti in run.get_task_instances()}


def test_smtp_down_during_breach_mails_and_the_report_every_message_delivered_once(
    daily_dag, monthly_dag, kawal_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    landing, url = kawal_env
    write_demo_month(MARCH, landing, seed=12, calls_per_day=300)
    bad_day = next(d for d, kind in plan_month(MARCH, 12).interaction_bad_days.items() if kind == "short_staffed")
    sink = MailSink(tmp_path / "mail")  # the server is down: nothing listens on its port
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", sink.connection_uri)
    outage_ends: list[str] = []

    def server_back(context) -> None:  # type: ignore[no-untyped-def]
        outage_ends.append(context["ti"].task_id)
        sink.start()

    _retry_at_once(daily_dag, server_back)
    _retry_at_once(monthly_dag, server_back)

    daily = daily_dag.test(logical_date=daily_run_logical_date(bad_day))

    assert str(daily.state) == "success", task_states(daily)
    assert outage_ends == ["send_notifications"] and _try_numbers(daily)["send_notifications"] == 2
    breach_mails = sink.messages()
    assert breach_mails and any("Success Call Ratio" in m["Subject"] for m in breach_mails)

    sink.stop()  # down again for the report
    # two more days while the server is down: their mails wait in the outbox (the DAG's task fails)
    for day in (bad_day + timedelta(days=1), bad_day + timedelta(days=2)):
        with pytest.raises(RuntimeError, match="not delivered, will retry"):
            run_day(day)
    waiting = query(url, "SELECT count(*) FROM notification WHERE state = 'pending'")[0][0]

    report = monthly_dag.test(logical_date=datetime(2026, 4, 2, 7, 0, tzinfo=site_tz()))

    assert str(report.state) == "success", task_states(report)
    assert outage_ends[-1] == "send_monthly_report" and _try_numbers(report)["send_monthly_report"] == 2
    sink.stop()
    outbox = query(url, "SELECT message_id, state, kind FROM notification")
    received = [m["Message-ID"] for m in sink.messages()]
    assert {n.state for n in outbox} == {"sent"}  # none lost …
    assert sorted(received) == sorted(n.message_id for n in outbox)  # … each delivered exactly once
    assert [n.kind for n in outbox].count("monthly_report") == 1
    assert len(received) == len(breach_mails) + waiting + 1  # figures for RELIABILITY.md
    print(f"mail outage: {len(received)} messages delivered, expected {len(outbox)}; waited {waiting}")


@pytest.mark.postgres
def test_store_connection_killed_mid_transaction_rolls_back_and_the_retry_succeeds(
    daily_dag, postgres_url: str, landing: Path, mail_sink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    from kawal.register import load_register
    from kawal.store.db import _engine, engine_for
    from tests.conftest import PG_ADMIN_URL, REPO

    url = postgres_url
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(landing))
    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    day = date(2026, 3, 17)
    write_demo_month(MARCH, landing, seed=31, calls_per_day=300)
    # the reference: the same day, cleanly, in a SQLite store of its own
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    monkeypatch.setenv("KAWAL_DB_URL", reference)
    assert run_day(day) == []
    monkeypatch.setenv("KAWAL_DB_URL", url)
    engine_for(url)
    register = load_register(REPO / "kpi_rules")
    killed: list[int] = []
    seen_after_kill: list[tuple[str, int, str]] = []

    def terminate_own_backend(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        # compute's last statement marks its batch loaded: by then its KPI rows are written, uncommitted
        if killed or not statement.lstrip().upper().startswith("UPDATE INGESTION_BATCH SET STATE"):
            return
        pid = cursor.connection.info.backend_pid
        admin = psycopg.connect(PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        with admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        killed.append(pid)

    def after_the_kill(context) -> None:  # type: ignore[no-untyped-def]
        source = context["ti"].task_id.removeprefix("compute_")
        ids = tuple(k.id for k in register.for_source(source))
        n = sum(query(url, "SELECT count(*) FROM kpi_value WHERE kpi_id = :k", k=k)[0][0] for k in ids)
        (state,) = query(url, "SELECT state FROM ingestion_batch WHERE source = :s", s=source)[0]
        seen_after_kill.append((source, n, state))

    event.listen(_engine(url), "before_cursor_execute", terminate_own_backend)
    _retry_at_once(daily_dag, after_the_kill)
    try:
        run = daily_dag.test(logical_date=daily_run_logical_date(day))
    finally:
        event.remove(_engine(url), "before_cursor_execute", terminate_own_backend)

    assert str(run.state) == "success", task_states(run)
    assert len(killed) == 1 and len(seen_after_kill) == 1
    source, rows_after_kill, state_after_kill = seen_after_kill[0]
    assert (rows_after_kill, state_after_kill) == (0, "received")  # rolled back: no partial rows
    assert _try_numbers(run)[f"compute_{source}"] == 2  # the retry succeeded
    assert content(url) == content(reference)
