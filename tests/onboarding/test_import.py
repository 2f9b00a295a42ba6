"""``kawal import`` in process (fast): a source without a timestamp split by its `day:` rule, quiet
days of an event source, re-imports and the refusal to overwrite a delivery."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from kawal.cli import main
from kawal.errors import KawalError
from kawal.ingest.history import import_export
from kawal.ingest.mapping import load_mapping, read_mapped

# QM evaluations over four days; 3 October has none (a quiet day of an event source)
QM = """Tanggal;Id;Agen;Kanal;Nilai;Maks
01/10/2026;E1;A7;voice;80;100
01/10/2026;E2;A8;chat;90;100
02/10/2026;E3;A7;voice;70;100
04/10/2026;E4;A9;voice;85;100
"""
QM_MAPPING = """source: qm_evaluations
file: {pattern: "qm_{date:%Y%m%d}.csv", delimiter: ";"}
day: {from: Tanggal, timestamp: "%d/%m/%Y"}
columns:
  evaluation_id: {from: Id}
  agent_id: {from: Agen}
  channel: {from: Kanal}
  score: {from: Nilai}
  max_score: {from: Maks}
"""


@pytest.fixture
def qm(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "qm.yaml").write_text(QM_MAPPING, encoding="utf-8")
    (tmp_path / "qm-oct.csv").write_text(QM, encoding="utf-8")
    return load_mapping(tmp_path / "qm.yaml"), tmp_path / "qm-oct.csv", tmp_path / "landing"


def test_a_source_without_a_timestamp_is_split_by_its_day_rule(qm) -> None:  # type: ignore[no-untyped-def]
    mapping, export, landing = qm
    written = import_export(mapping, [export], landing)
    assert [(w.day, w.rows, w.outcome) for w in written] == [
        (date(2026, 10, 1), 2, "written"),
        (date(2026, 10, 2), 1, "written"),
        (date(2026, 10, 3), 0, "written"),  # a quiet day: header only, not a missing delivery
        (date(2026, 10, 4), 1, "written"),
    ]
    assert (landing / "qm" / "qm_20261003.csv").read_text(encoding="utf-8") == "Tanggal;Id;Agen;Kanal;Nilai;Maks\n"
    rows = read_mapped(mapping, landing / "qm" / "qm_20261001.csv", date(2026, 10, 1))
    assert list(rows["evaluation_id"]) == ["E1", "E2"] and list(rows["score"]) == [80.0, 90.0]
    assert all(w.problem is None for w in written)


def test_a_delivery_is_never_overwritten_unless_replaced_and_kept(qm) -> None:  # type: ignore[no-untyped-def]
    mapping, export, landing = qm
    import_export(mapping, [export], landing)
    assert {w.outcome for w in import_export(mapping, [export], landing)} == {"unchanged"}
    export.write_text(QM.replace("E3;A7;voice;70", "E3;A7;voice;75"), encoding="utf-8")  # a corrected export
    before = (landing / "qm" / "qm_20261002.csv").read_bytes()
    with pytest.raises(KawalError, match=r"qm_20261002\.csv: already delivered with other content"):
        import_export(mapping, [export], landing)
    assert (landing / "qm" / "qm_20261002.csv").read_bytes() == before  # nothing half-done
    replaced = {w.day: w.outcome for w in import_export(mapping, [export], landing, replace=True)}
    assert replaced[date(2026, 10, 2)] == "replaced" and replaced[date(2026, 10, 1)] == "unchanged"
    (kept,) = (landing / "qm").glob("qm_20261002.csv.superseded-*")
    assert kept.read_bytes() == before  # the earlier delivery stays, as evidence


def test_a_row_without_a_day_names_its_row(qm, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    _, export, landing = qm
    export.write_text(QM.replace("02/10/2026;E3", ";E3"), encoding="utf-8")
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(landing))
    result = CliRunner().invoke(main, ["import", str(export.parent / "qm.yaml"), str(export)])
    assert result.exit_code == 2
    assert result.output.strip().endswith("qm-oct.csv: row 4: no business day (its timestamp is blank)")
    assert not (landing / "qm").exists() or not any((landing / "qm").iterdir())
