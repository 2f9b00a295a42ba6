"""The bad-input corpus (tests/fixtures/bad_inputs/): every case is one clear line naming the file,
and the row and column where there is one; nothing of the source is computed — the delivery is
quarantined with its reason, the source's KPIs are not_evaluable for the day — and a data incident
is recorded for data engineering. Other good inputs that look odd must pass."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kawal.errors import SourceFileError
from kawal.pipeline.daily import ingest_source_day, open_defects_for_day

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "fixtures" / "bad_inputs"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir())
DAY = date(2026, 10, 1)


def test_the_corpus_has_at_least_25_cases() -> None:
    assert len(CASES) >= 25


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    landing = tmp_path / "landing"
    url = f"sqlite:///{tmp_path / 'kawal.db'}"
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(landing))
    monkeypatch.setenv("KAWAL_DB_URL", url)
    monkeypatch.setenv("KAWAL_MAPPINGS_DIR", str(tmp_path / "no-mappings"))
    return landing, url


UNREACHABLE_DB = "postgresql+psycopg://kawal:corpus-secret-pw@127.0.0.1:1/acd"


def place(case: Path, landing: Path, mappings: Path) -> tuple[str, Path]:
    """Put the case's delivery where the daily DAG looks: a canonical file in landing/<source>/, or a
    vendor export in landing/vendor/ with the case's mapping active. Returns (source, path)."""
    mapping = case / "vendor.yaml"
    exports = sorted(p for p in case.iterdir() if p.name not in ("README", "expect.txt", "vendor.yaml"))
    if not mapping.is_file():
        (export,) = exports
        source = export.name.rsplit("_", 1)[0]
        target = landing / source / export.name
    else:
        from kawal.ingest.mapping import load_mapping

        mappings.mkdir(exist_ok=True)
        shutil.copy(mapping, mappings / "vendor.yaml")
        m = load_mapping(mappings / "vendor.yaml")
        source = m.source
        target = m.day_file(landing, DAY)
        if not exports:  # a SQL source: nothing is delivered as a file
            return source, target
        (export,) = exports
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(export, target)
    return source, target


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_bad_input_is_one_clear_line_and_nothing_is_stored(case: Path, env, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    landing, url = env
    monkeypatch.setenv("KAWAL_MAPPINGS_DIR", str(tmp_path / "mappings"))
    monkeypatch.setenv("KAWAL_TEST_UNREACHABLE_DB", UNREACHABLE_DB)
    source, target = place(case, landing, tmp_path / "mappings")
    expected = [line for line in (case / "expect.txt").read_text().splitlines() if line]

    with pytest.raises(SourceFileError) as err:
        ingest_source_day(source, DAY)
    open_defects_for_day(DAY)  # the defects step opens the data incident from what ingest recorded

    message = str(err.value)
    assert "\n" not in message and message.startswith(str(target))
    for part in expected:
        assert part in message, message
    assert "corpus-secret-pw" not in message
    engine = create_engine(url)
    with engine.connect() as conn:
        statuses = conn.execute(text("SELECT DISTINCT status, value FROM kpi_value WHERE period_type = 'day'")).all()
        batches = conn.execute(text("SELECT state, reason, row_count FROM ingestion_batch")).all()
        incident = conn.execute(text("SELECT kind, subject FROM defect_ticket")).one()
    engine.dispose()
    assert [tuple(s) for s in statuses] == [("not_evaluable", None)]  # nothing half-computed
    if target.is_file():  # a delivery, even an empty one, is kept, quarantined, for audit
        assert len(batches) == 1 and batches[0].state == "quarantined"
        assert batches[0].reason in message
    else:  # nothing was delivered: nothing to keep
        assert batches == []
    assert tuple(incident) == ("data_incident", source)


def test_missing_delivery_is_a_data_incident_too(env) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SourceFileError, match="no interactions file delivered for 2026-10-01"):
        ingest_source_day("interactions", DAY)
    engine = create_engine(os.environ["KAWAL_DB_URL"])
    with engine.connect() as conn:  # ingest records what it found, and opens no ticket itself
        assert conn.execute(text("SELECT count(*) FROM defect_ticket")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM notification")).scalar() == 0
    open_defects_for_day(DAY)
    with engine.connect() as conn:
        (note,) = conn.execute(text("SELECT note FROM defect_occurrence WHERE kind = 'data_incident'")).one()
    engine.dispose()
    assert note == "no interactions file delivered for 2026-10-01"  # what ingest found, word for word


@pytest.mark.parametrize(
    "content",
    [
        "\ufeff" + "interaction_id,channel,queue,arrived_at,outcome,wait_s,talk_s,hold_s,acw_s\n"
        "1,voice,gadai,2026-10-01T09:00:00+07:00,answered,12,180,0,20\n"
        "2,voice,gadai,2026-10-01T21:00:00+07:00,answered,12,180,0,20\n",  # a BOM
        "interaction_id,channel,queue,arrived_at,outcome,wait_s,talk_s,hold_s,acw_s,ani,extra\n"
        "1,voice,gadai,2026-10-01T09:00:00+07:00,answered,12,180,0,20,0812345678,x\n"
        "2,voice,gadai,2026-10-01T21:00:00+07:00,answered,12,180,0,20,0812345679,y\n",  # extra columns
        "interaction_id,channel,queue,arrived_at,outcome,wait_s,talk_s,hold_s,acw_s\n"
        "1,voice,gadai,2026-10-01T02:00:00+00:00,answered,12,180,0,20\n"
        "2,voice,gadai,2026-10-01T23:59:59+07:00,answered,12,180,0,20\n",  # mixed offsets, same WIB day
    ],
    ids=["bom", "extra-columns", "mixed-timezones"],
)
def test_odd_but_good_inputs_pass(content: str, env) -> None:  # type: ignore[no-untyped-def]
    landing, _url = env
    (landing / "interactions").mkdir(parents=True)
    (landing / "interactions" / "interactions_2026-10-01.csv").write_text(content, encoding="utf-8")
    assert ingest_source_day("interactions", DAY).rows >= 1
