"""Shared fixtures.

Airflow reads its configuration when first imported, so the embedded-Airflow environment (a
throw-away AIRFLOW_HOME and KAWAL_HOME per test session) is set here, before any test module
imports Airflow.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="kawal-tests-"))

from kawal.airflow_env import embedded_airflow_env  # noqa: E402  (needs nothing from Airflow)

os.environ.update(embedded_airflow_env(_SESSION_HOME))
os.environ.pop("KAWAL_DB_URL", None)
# The site clock is pinned (kawal.settings.now_site): "today" in the CLI, the board and the review is
# the same on every run, so no verdict depends on the day the suite runs.
os.environ["KAWAL_NOW"] = "2026-12-01T09:00:00+07:00"
os.environ.pop("AIRFLOW_CONN_KAWAL_DB", None)

REPO = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("KAWAL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated Airflow metadata DB (SQLite) for dag.test()."""
    from kawal.airflow_env import migrate_airflow_db

    migrate_airflow_db(embedded_airflow_env(_SESSION_HOME), _SESSION_HOME / "airflow-db-migrate.log")
    return _SESSION_HOME / "airflow" / "airflow.db"


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    dsn = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(dsn, autocommit=True, connect_timeout=5)


@contextlib.contextmanager
def fresh_postgres_database(prefix: str = "kawal_test") -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the local server, dropped afterwards.

    Without a reachable server the test is skipped locally but *fails* under CI (CI=true): the
    store must be proven on PostgreSQL on every landing.
    """
    try:
        admin = _pg_admin()
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required under CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        from kawal.store.db import _engine

        _engine(url).dispose()
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database per test (see :func:`fresh_postgres_database`)."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Kawal's store on SQLite (embedded default) and on PostgreSQL (production)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kawal.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


@pytest.fixture
def mail_sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A real SMTP server on localhost (aiosmtpd) wired as Airflow's ``smtp_default`` connection."""
    from kawal.notify.mailsink import MailSink

    sink = MailSink(tmp_path / "mail").start()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", sink.connection_uri)
    yield sink
    sink.stop()


#: The slowest modules (pytest --durations, on 2 shared cores), started first: under `make test`'s two
#: xdist workers (one module per worker at a time, --dist loadfile) a long module that starts last
#: would leave one worker idle while it runs. The order changes no verdict: each module is independent.
SLOW_FIRST = (
    "tests/stack/test_process_stack.py",  # the production topology: ~6 min
    "tests/onboarding/test_onboarding.py",  # three kawal backfills of a month, each its own Airflow
    "tests/security/test_hostile_input.py",
    "tests/reliability/test_idempotency.py",
    "tests/dags/test_daily_kpis_dag.py",
    "tests/reports/test_monthly_report.py",
    "tests/unit/test_month_property.py",
    "tests/web/test_board_browser.py",
    "tests/web/test_auth_manager.py",  # a real FAB user database on a fresh PostgreSQL database
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = Path(str(item.fspath)).relative_to(REPO).as_posix()
        return SLOW_FIRST.index(path) if path in SLOW_FIRST else len(SLOW_FIRST)

    items.sort(key=rank)  # stable: the order within a module, and of the other modules, is kept
