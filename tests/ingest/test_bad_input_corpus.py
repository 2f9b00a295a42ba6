"""The bad-input corpus (tests/fixtures/bad_inputs/): every case is one clear line naming the file,
and the row and column where there is one; nothing of the source is stored; a data incident is
recorded for data engineering. Other good inputs that look odd must pass."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kawal.errors import SourceFileError
from kawal.pipeline.daily import ingest_source_day

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


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_bad_input_is_one_clear_line_and_nothing_is_stored(case: Path, env) -> None:  # type: ignore[no-untyped-def]
    landing, url = env
    (export,) = case.glob("*.csv")
    source = export.name.rsplit("_", 1)[0]
    (landing / source).mkdir(parents=True)
    shutil.copy(export, landing / source / export.name)
    expected = [line for line in (case / "expect.txt").read_text().splitlines() if line]

    with pytest.raises(SourceFileError) as err:
        ingest_source_day(source, DAY)

    message = str(err.value)
    assert "\n" not in message and message.startswith(str(landing / source / export.name))
    for part in expected:
        assert part in message, message
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM kpi_value")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM ingestion_batch")).scalar_one() == 0
        incident = conn.execute(text("SELECT kind, subject FROM defect_ticket")).one()
    engine.dispose()
    assert tuple(incident) == ("data_incident", source)


def test_missing_delivery_is_a_data_incident_too(env) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SourceFileError, match="no interactions file delivered for 2026-10-01"):
        ingest_source_day("interactions", DAY)


@pytest.mark.parametrize(
    "content",
    [
        "\ufeff" + "interaction_id,channel,queue,arrived_at,outcome,wait_s,talk_s,hold_s,acw_s\n"
        "1,voice,gadai,2026-10-01T09:00:00+07:00,answered,12,180,0,20\n",  # a BOM
        "interaction_id,channel,queue,arrived_at,outcome,wait_s,talk_s,hold_s,acw_s,ani,extra\n"
        "1,voice,gadai,2026-10-01T09:00:00+07:00,answered,12,180,0,20,0812345678,x\n",  # extra columns
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
