"""The seeded month every report test reads: February 2026 of every demo source through the pipeline
steps (no Airflow), the interactions export of 10 February missing. Built once per test process."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from kawal.register import load_register

REPO = Path(__file__).resolve().parents[2]
MONTH = date(2026, 2, 1)
MISSING = date(2026, 2, 10)  # the interactions export of this day never arrives
REGISTER = load_register(REPO / "kpi_rules")


@pytest.fixture(scope="session")
def month_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A February of every source through the pipeline steps (no Airflow), one interactions day missing."""
    from kawal.demo.sources import write_demo_month
    from kawal.ingest.delivery import day_file
    from kawal.periods import days_of_month
    from kawal.pipeline.daily import compute_source_kpis, ingest_source_day, open_defects_for_day
    from kawal.sources import SOURCES

    root = tmp_path_factory.mktemp("month")
    landing = root / "landing"
    write_demo_month(MONTH, landing, seed=42, calls_per_day=200)
    day_file(landing, "interactions", MISSING).unlink()
    db = root / "kawal.db"
    mp = pytest.MonkeyPatch()
    mp.setenv("KAWAL_LANDING_DIR", str(landing))
    mp.setenv("KAWAL_DB_URL", f"sqlite:///{db}")
    mp.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
    try:
        for day in days_of_month(MONTH):
            for source in SOURCES:
                try:
                    compute_source_kpis(ingest_source_day(source, day).batch_id)
                except Exception:
                    assert (source, day) == ("interactions", MISSING)
            open_defects_for_day(day)
    finally:
        mp.undo()
    return db, landing


@pytest.fixture
def store(month_store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A private copy of the month's store (delivery tests change it), KAWAL_HOME in tmp."""
    from kawal.store import engine_for

    db = tmp_path / "kawal.db"
    shutil.copy(month_store[0], db)
    url = f"sqlite:///{db}"
    monkeypatch.setenv("KAWAL_DB_URL", url)
    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    return engine_for(url)


def pdf_text(pdf: bytes) -> list[str]:
    """Every page's text, read back with PDFium."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()
