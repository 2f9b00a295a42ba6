"""Exports of an active mapping are records like canonical landing files (issue #17 finding 9, §6).

A mapped source's daily export is named by the mapping's own ``file.pattern`` (``calls_20230301.csv``),
not ``<source>_YYYY-MM-DD.csv``; it is objective evidence all the same, listed with its business day
and kept for the retention period of ``source_file``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.security.test_records_authority import kawal

pytestmark = pytest.mark.security


def test_an_active_mappings_exports_are_retention_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "genesys.yaml").write_bytes((REPO / "mappings" / "examples" / "genesys-interactions.yaml").read_bytes())
    exports = tmp_path / "landing" / "genesys"
    exports.mkdir(parents=True)
    for name in ("calls_20230301.csv", "calls_20261001.csv", "notes.txt"):
        (exports / name).write_text("ConversationId\nx\n")
    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("KAWAL_MAPPINGS_DIR", str(mappings))
    monkeypatch.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
    monkeypatch.setenv("KAWAL_DB_URL", f"sqlite:///{tmp_path / 'kawal.db'}")

    listed = kawal("records", "list")

    assert listed.exit_code == 0, listed.output
    lines = [line.split() for line in listed.output.splitlines() if line.startswith("source_file")]
    assert [(w[1], w[3]) for w in lines] == [
        ("genesys/calls_20230301.csv", "2026-01-01"),  # 2 years from the end of 2023
        ("genesys/calls_20261001.csv", "2029-01-01"),
    ]
    planned = json.loads(kawal("records", "dispose", "--dry-run", "--format", "json").output)
    assert [(r["type"], r["ref"]) for r in planned["records"]] == [("source_file", "genesys/calls_20230301.csv")]
