"""No verb overwrites a record (issue #17 finding 5; ISO 9001 §7.5.3.2 "protection from unintended alteration").

``--out`` of ``kawal report``, ``kawal audit-pack`` and ``kawal rules docs`` never resolves into one
of Kawal's record folders (reports, reviews, landing, the register, the mappings) nor onto the store,
a symlink pointing there included; ``kawal demo-data`` never writes over a landing file nor a day
already loaded. Each is one line, and the record is byte for byte what it was.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.records.demo_month import REPO, kawal

pytestmark = pytest.mark.security


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def _delivered_pdf(home: Path) -> Path:
    (pdf,) = (home / "reports" / "2026-02").glob("laporan-kpi-2026-02-id.pdf")
    return pdf


def _refused(result, option_target: str) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(f"kawal: --out {option_target}: ")
    return line


def test_audit_pack_out_onto_the_delivered_report_is_refused(demo_home: Path) -> None:
    pdf = _delivered_pdf(demo_home)
    before = _digest(demo_home / "reports")

    line = _refused(kawal("audit-pack", "2026-02", "--out", str(pdf)), str(pdf))

    assert "inside Kawal's record folder reports" in line
    assert _digest(demo_home / "reports") == before
    for folder in ("landing/interactions", "reviews"):  # any record folder, existing or not yet
        target = demo_home / folder / "pack.zip"
        target.parent.mkdir(parents=True, exist_ok=True)
        _refused(kawal("audit-pack", "2026-02", "--out", str(target)), str(target))
        assert not target.exists()


def test_report_out_onto_the_delivered_report_is_refused_a_symlink_too(demo_home: Path, tmp_path: Path) -> None:
    pdf = _delivered_pdf(demo_home)
    before = _digest(demo_home / "reports")
    link = tmp_path / "elsewhere.pdf"
    link.symlink_to(pdf)

    _refused(kawal("report", "2026-02", "--out", str(pdf)), str(pdf))
    line = _refused(kawal("report", "render", "2026-02", "--out", str(link)), str(link))

    assert "reports" in line
    assert _digest(demo_home / "reports") == before
    store = demo_home / "kawal.db"
    _refused(kawal("audit-pack", "2026-02", "--out", str(store)), str(store))
    # the other verbs that write where they are told
    _refused(kawal("review", "render", "2026-02", "--out", str(pdf)), str(pdf))
    landing_file = next((demo_home / "landing" / "interactions").iterdir())
    _refused(kawal("sources", "columns", "--out", str(landing_file)), str(landing_file))
    assert _digest(demo_home / "reports") == before


def test_rules_docs_out_into_the_register_is_refused(
    demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    for p in (REPO / "kpi_rules").iterdir():
        (rules / p.name).write_bytes(p.read_bytes())
    monkeypatch.setenv("KAWAL_RULES_DIR", str(rules))
    before = _digest(rules)

    _refused(kawal("rules", "docs", "--out", str(rules / "register.yaml")), str(rules / "register.yaml"))

    assert _digest(rules) == before


def test_demo_data_never_writes_over_landing_files_nor_loaded_days(demo_home: Path) -> None:
    landing = demo_home / "landing"
    before = _digest(landing)

    over = kawal("demo-data", "--month", "2026-02", "--out", str(landing), "--calls-per-day", "5")

    assert over.exit_code == 2 and over.output.count("\n") == 1
    assert "would overwrite" in over.output and "interactions/interactions_2026-02-01.csv" in over.output
    assert _digest(landing) == before

    # the files moved away, the days are still loaded in the store: refused all the same
    landing.rename(demo_home / "landing-moved")
    again = kawal("demo-data", "--month", "2026-02", "--out", str(landing), "--calls-per-day", "5")

    assert again.exit_code == 2 and again.output.count("\n") == 1
    assert "2026-02-01 is already loaded" in again.output
    assert not landing.exists() or not any(landing.rglob("*.csv"))

    # a month never loaded, into the landing folder: fine
    ok = kawal("demo-data", "--month", "2026-05", "--out", str(landing), "--calls-per-day", "5")
    assert ok.exit_code == 0, ok.output
