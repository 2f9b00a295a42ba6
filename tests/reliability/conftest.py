"""Fixtures and measuring tools of the reliability suite (issue #11).

The store is compared by *digest*: a SHA-256 over every row of every table of Kawal's store, read
back in primary-key order (``store_digest``). Where surrogate ids and wall-clock stamps legitimately
differ (a crashed run against a clean reference run, two days run at once against the same two days
run one after the other), ``content_digest`` leaves out ids, foreign keys to ids, timestamps and
Message-IDs and compares the rest as a sorted multiset of rows.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.conftest import REPO

#: Columns that differ between two correct runs of the same work (surrogate keys, wall clock, random ids).
VOLATILE = {
    "id",
    "batch_id",
    "ticket_id",
    "notification_id",
    "received_at",
    "created_at",
    "at",
    "sent_at",
    "claimed_at",
    "closed_at",
    "message_id",
}


def _tables(conn) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(t for t in inspect(conn).get_table_names() if t != "alembic_version")


def table_rows(url: str) -> dict[str, list[dict]]:
    """Every row of every table of Kawal's store, in primary-key order."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            out = {}
            for table in _tables(conn):
                cols = [c["name"] for c in inspect(conn).get_columns(table)]
                order = "id" if "id" in cols else ", ".join(cols)
                out[table] = [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))]
            return out
    finally:
        engine.dispose()


def store_digest(url: str) -> str:
    """SHA-256 of every row of every table (ids and timestamps included): equal means identical."""
    digest = hashlib.sha256()
    for table, rows in table_rows(url).items():
        digest.update(table.encode())
        for row in rows:
            digest.update(repr(tuple(row.items())).encode())
    return digest.hexdigest()


#: Per table, columns that embed surrogate ids (``defect-opened:12``, ``kawal defects analyse 12``) or the
#: PDF's creation stamp: equal work gives other values when ids are handed out in another order.
ID_BEARING = {
    "notification": {"dedup_key", "body_text", "body_html", "attachment_path"},
    "report_delivery": {"pdf_sha256", "pdf_path", "context_path"},
}


def _neutral(value: object) -> object:
    """The same value whatever the backend hands back (SQLite: text dates, 0/1; PostgreSQL: date, bool)."""
    if isinstance(value, bool):
        return int(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    return value


def content(url: str, ignore: dict[str, set[str]] | None = None) -> dict[str, list[tuple]]:
    """The store's content as sorted rows, without surrogate ids, timestamps and Message-IDs — comparable
    across two runs of the same work on SQLite and PostgreSQL alike (``ignore``: more columns per table)."""
    out = {}
    for table, rows in table_rows(url).items():
        dropped = VOLATILE | ID_BEARING.get(table, set()) | (ignore or {}).get(table, set())
        out[table] = sorted(
            (tuple((k, _neutral(v)) for k, v in row.items() if k not in dropped) for row in rows), key=repr
        )
    return out


def content_digest(url: str) -> str:
    digest = hashlib.sha256()
    for table, rows in content(url).items():
        digest.update(table.encode())
        for row in rows:
            digest.update(repr(row).encode())
    return digest.hexdigest()


def row_counts(url: str) -> dict[str, int]:
    return {table: len(rows) for table, rows in table_rows(url).items()}


def query(url: str, sql: str, **params):  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


def task_states(run) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def dag_from_repo(dag_id: str):  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags")).get_dag(dag_id)


@pytest.fixture
def daily_dag(airflow_db):  # type: ignore[no-untyped-def]
    return dag_from_repo("kawal_daily_kpis")


@pytest.fixture
def monthly_dag(airflow_db):  # type: ignore[no-untyped-def]
    return dag_from_repo("kawal_monthly_report")


@pytest.fixture
def kawal_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, landing: Path, store_url: str) -> tuple[Path, str]:
    """A private landing folder, KAWAL_HOME and store (SQLite and PostgreSQL) for one test."""
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(landing))
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    return landing, store_url


def spawn_worker(*args: str, env: dict[str, str]):  # type: ignore[no-untyped-def]
    """``python -m tests.reliability.worker ARGS`` in its own process (a task process of its own)."""
    import os
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.worker", *args],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for(path: Path, proc, limit_s: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until the worker wrote ``path`` (a hang guard, not a timing assertion)."""
    import time

    deadline = time.monotonic() + limit_s
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"worker ended early ({proc.returncode}): {proc.stdout.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"worker did not reach {path.name} within {limit_s:.0f} s")
        time.sleep(0.05)
