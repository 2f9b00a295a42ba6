"""A small demo month through the pipeline steps, its report delivered: built once per test session.

The same flow as after ``make demo`` (demo data for every source, KPIs, defects, the monthly report
emailed through a real SMTP server), on a smaller month so the review and records tests can share
it: February 2026, its files all written, its first ten days run through the pipeline (they hold the
planted misses: a CRM outage, a seat-shortage week, a short-staffed and flu day, a telephony incident).
Per-delivery validation makes each day cost seconds on the shared machine, so the whole month would
take minutes. The report states the days that are missing, as it must. Each test gets a private copy
of the whole ``KAWAL_HOME`` (store, landing, reports, mail).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MONTH = date(2026, 2, 1)
DAYS_RUN = 10
_BUILT: dict[str, Path] = {}


def kawal(*args: str):  # type: ignore[no-untyped-def]
    """The ``kawal`` command line, in-process (click's runner)."""
    from click.testing import CliRunner

    from kawal.cli import main

    return CliRunner().invoke(main, list(args))


def sql_rows(home: Path, sql: str, **params):  # type: ignore[no-untyped-def]
    """Run one statement on the SQLite store of ``home`` (committed); its rows, if it returns any."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{home / 'kawal.db'}")
    with engine.begin() as conn:
        result = conn.execute(text(sql), params)
        rows = result.all() if result.returns_rows else []
    engine.dispose()
    return rows


def _build(base: Path) -> Path:
    from kawal.demo.sources import write_demo_month
    from kawal.errors import KawalError
    from kawal.notify.mailsink import MailSink
    from kawal.periods import days_of_month
    from kawal.pipeline.daily import compute_source_kpis, ingest_source_day, open_defects_for_day
    from kawal.register import load_register
    from kawal.reports.deliver import send_report
    from kawal.sources import SOURCES
    from kawal.store import engine_for

    home = base / "demo-home"
    url = f"sqlite:///{home / 'kawal.db'}"
    mp = pytest.MonkeyPatch()
    sink = MailSink(home / "mail").start()
    try:
        mp.setenv("KAWAL_HOME", str(home))
        mp.setenv("KAWAL_DB_URL", url)
        mp.delenv("KAWAL_LANDING_DIR", raising=False)
        mp.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
        mp.setenv("AIRFLOW_CONN_SMTP_DEFAULT", sink.connection_uri)
        write_demo_month(MONTH, home / "landing", seed=42, calls_per_day=120)
        for day in days_of_month(MONTH)[:DAYS_RUN]:
            for source in SOURCES:
                try:  # as the DAG does: a delivery that fails its checks is quarantined, the others go on
                    compute_source_kpis(ingest_source_day(source, day).batch_id)
                except KawalError:
                    pass
            open_defects_for_day(day)
        status = send_report(engine_for(url), load_register(REPO / "kpi_rules"), MONTH)
        assert status.state == "sent", status
    finally:
        sink.stop()
        mp.undo()
    engine_for(url).dispose()
    return home


def demo_month_home(base: Path) -> Path:
    if "home" not in _BUILT:
        _BUILT["home"] = _build(base)
    return _BUILT["home"]


@pytest.fixture
def demo_home(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo month's KAWAL_HOME, wired into the environment (CLI and functions)."""
    built = demo_month_home(tmp_path_factory.getbasetemp())
    home = tmp_path / "home"
    shutil.copytree(built, home)
    monkeypatch.setenv("KAWAL_HOME", str(home))
    monkeypatch.setenv("KAWAL_DB_URL", f"sqlite:///{home / 'kawal.db'}")
    monkeypatch.delenv("KAWAL_LANDING_DIR", raising=False)
    monkeypatch.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
    return home
