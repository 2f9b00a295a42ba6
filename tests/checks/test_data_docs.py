"""Data Docs grow by the day's pages: a build renders the validation results stored since the last
one and the index of all of them, never every page again (kawal.checks.suites.build_data_docs)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from kawal.checks.suites import build_data_docs
from kawal.pipeline.daily import ingest_source_day

FIRST = date(2026, 10, 1)


def deliver_noc_day(landing: Path, day: date) -> None:
    path = landing / "system_availability" / f"system_availability_{day}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("system,scheduled_s,downtime_s,incidents\nivr,86400,864,1\n", encoding="utf-8")


def test_a_build_renders_only_the_new_results_and_indexes_them_all(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("KAWAL_HOME", str(home))
    url = f"sqlite:///{tmp_path / 'kawal.db'}"
    deliver_noc_day(landing, FIRST)
    ingest_source_day("system_availability", FIRST, landing=landing, store_url=url)
    index = build_data_docs()
    (first_page,) = list((home / "gx-docs" / "validations").rglob("*.html"))
    first_page.write_text("<html>rendered by the first build</html>", encoding="utf-8")  # a re-render would undo it

    deliver_noc_day(landing, FIRST + timedelta(days=1))
    ingest_source_day("system_availability", FIRST + timedelta(days=1), landing=landing, store_url=url)
    build_data_docs()
    pages = sorted((home / "gx-docs" / "validations").rglob("*.html"))
    assert len(pages) == 2
    assert first_page.read_text(encoding="utf-8") == "<html>rendered by the first build</html>"
    html = index.read_text(encoding="utf-8")
    assert all(p.relative_to(home / "gx-docs").as_posix() in html for p in pages)  # the index has both

    (home / "gx-docs" / "index.html").unlink()  # docs removed: the next build renders everything again
    build_data_docs()
    assert first_page.read_text(encoding="utf-8") != "<html>rendered by the first build</html>"
