"""The CLI: user mistakes are one line, never a traceback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kawal.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_demo_data_writes_a_month_of_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["demo-data", "--month", "2026-02", "--out", str(tmp_path), "--calls-per-day", "50"]
    )
    assert result.exit_code == 0, result.output
    for source in ("interactions", "qm_evaluations", "agent_days"):
        assert len(list((tmp_path / source).glob(f"{source}_2026-02-*.csv"))) == 28
    assert f"28 files in {tmp_path / 'agent_days'}" in result.output


def test_bad_month_is_one_clear_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo-data", "--month", "October", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "month 'October' is not in the form YYYY-MM" in result.output
    assert "Traceback" not in result.output


def test_broken_register_is_one_line_naming_file_kpi_and_field(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "people.yaml").write_text((REPO / "kpi_rules" / "people.yaml").read_text())
    (rules / "register.yaml").write_text(
        "kpis:\n  - {id: scr, name_id: S, name_en: S, category: perf, scope: external,\n"
        "     source: interactions,\n"
        "     formula: {kind: success_call_ratio}, unit: percent, direction: higher_is_better, target: 95}\n"
    )
    monkeypatch.setenv("KAWAL_RULES_DIR", str(rules))
    monkeypatch.setenv("KAWAL_DB_URL", f"sqlite:///{tmp_path / 'k.db'}")
    result = CliRunner().invoke(main, ["kpi", "month", "--month", "2026-10"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert str(rules / "register.yaml") in lines[0] and "KPI 'scr' field category" in lines[0]
    assert "(got 'perf')" in lines[0]
