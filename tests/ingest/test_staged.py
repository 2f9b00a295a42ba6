"""A delivery is read and checked once: ingest stages its typed rows as Parquet keyed by the
delivery's SHA-256, compute aggregates the staged file in DuckDB (issue #21, kawal.ingest.staged).

Expected values by hand: every call of ``calls()`` is answered after 10 s with 150 + 20 + 30 s of
handling, so SCR 100 %, RT 10 s, AHT 200 s. On SQLite and PostgreSQL (``store_url``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kawal.errors import SourceFileError
from kawal.ingest.staged import KEY, staged_path
from kawal.pipeline.daily import compute_source_kpis, ingest_source_day
from tests.ingest.test_quarantine import HEADER, calls, deliver, query

DAY = date(2026, 10, 14)
BY_HAND = {"aht": 200.0, "rt": 10.0, "scr": 100.0}


def day_values(url: str) -> dict[str, float]:
    rows = query(
        url,
        "SELECT kpi_id, value FROM kpi_value WHERE period_type = 'day' AND period_start = :d AND scope = 'all'",
        d=DAY,
    )
    return {r.kpi_id: r.value for r in rows}


def staged_info(url: str, batch_id: int) -> dict:
    (validation,) = query(url, "SELECT validation FROM ingestion_batch WHERE id = :b", b=batch_id)[0]
    return json.loads(validation)["staged"]


def checksum(url: str, batch_id: int) -> str:
    return query(url, "SELECT checksum_sha256 FROM ingestion_batch WHERE id = :b", b=batch_id)[0][0]


def test_compute_takes_the_staged_rows_not_the_landing_file(landing: Path, store_url: str) -> None:
    path = deliver(landing, DAY, calls(DAY, 30, prefix="st1-"))
    batch = ingest_source_day("interactions", DAY, landing=landing, store_url=store_url).batch_id
    staged = staged_path("interactions", checksum(store_url, batch))
    import pyarrow.parquet as pq

    assert pq.read_metadata(staged).metadata[KEY.encode()].decode() == checksum(store_url, batch)
    assert staged_info(store_url, batch)["rows"] == 30
    # the landing file's bytes garbled, its size and modification time kept: compute does not read
    # it (the values come from the staged rows ingest checked), so it still computes them
    stat = path.stat()
    path.write_bytes(b"#" * stat.st_size)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = compute_source_kpis(batch, landing=landing, store_url=store_url)
    assert result["rows"] == 30
    assert day_values(store_url) == BY_HAND


def test_a_removed_or_altered_staged_file_is_rebuilt_from_the_landing_file(landing: Path, store_url: str) -> None:
    deliver(landing, DAY, calls(DAY, 25, prefix="st2-"))
    batch = ingest_source_day("interactions", DAY, landing=landing, store_url=store_url).batch_id
    staged = staged_path("interactions", checksum(store_url, batch))
    first = staged.read_bytes()
    staged.unlink()
    compute_source_kpis(batch, landing=landing, store_url=store_url)
    assert day_values(store_url) == BY_HAND
    assert staged.read_bytes() == first  # the same rows, staged again byte for byte

    altered = bytearray(first)
    altered[len(altered) // 2] ^= 0xFF
    staged.write_bytes(bytes(altered))
    compute_source_kpis(batch, landing=landing, store_url=store_url)
    assert staged.read_bytes() == first
    assert day_values(store_url) == BY_HAND


def test_a_landing_file_changed_since_ingest_stops_compute(landing: Path, store_url: str) -> None:
    path = deliver(landing, DAY, calls(DAY, 20, prefix="st3-"))
    batch = ingest_source_day("interactions", DAY, landing=landing, store_url=store_url).batch_id
    path.write_text(calls(DAY, 21, prefix="st3-"), encoding="utf-8")
    with pytest.raises(SourceFileError, match=f"changed or removed since batch {batch} was ingested"):
        compute_source_kpis(batch, landing=landing, store_url=store_url)
    assert day_values(store_url) == {}


COMPUTE_ALONE = """
import sys
from kawal.pipeline.daily import compute_source_kpis
result = compute_source_kpis(int(sys.argv[1]), landing=__import__("pathlib").Path(sys.argv[2]), store_url=sys.argv[3])
print(result["rows"], "pandas" in sys.modules, "great_expectations" in sys.modules)
"""


def test_the_compute_task_imports_neither_pandas_nor_gx(landing: Path, store_url: str) -> None:
    deliver(landing, DAY, calls(DAY, 20, prefix="st4-"))
    batch = ingest_source_day("interactions", DAY, landing=landing, store_url=store_url).batch_id
    done = subprocess.run(
        [sys.executable, "-c", COMPUTE_ALONE, str(batch), str(landing), store_url],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["20", "False", "False"]
    assert day_values(store_url) == BY_HAND


def test_a_re_run_of_compute_changes_nothing(landing: Path, store_url: str) -> None:
    deliver(landing, DAY, calls(DAY, 40, prefix="st5-"))
    batch = ingest_source_day("interactions", DAY, landing=landing, store_url=store_url).batch_id
    assert compute_source_kpis(batch, landing=landing, store_url=store_url)["values_changed"] > 0
    assert compute_source_kpis(batch, landing=landing, store_url=store_url)["values_changed"] == 0
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM ingestion_batch")).scalar() == 1
    finally:
        engine.dispose()


def test_yesterdays_ids_come_from_its_staged_rows(landing: Path, store_url: str) -> None:
    yesterday, day = DAY, DAY + timedelta(days=1)
    first = deliver(landing, yesterday, calls(yesterday, 20, prefix="st6-"))
    ingest_source_day("interactions", yesterday, landing=landing, store_url=store_url)
    first.write_text(HEADER, encoding="utf-8")  # its landing file no longer says which ids it had
    overlapping = calls(day, 20, prefix="st6-").replace(f"st6-{day:%m%d}-3,", f"st6-{yesterday:%m%d}-3,")
    deliver(landing, day, overlapping)
    with pytest.raises(SourceFileError, match=r"ids_already_delivered: 1 interaction_id\(s\) .* \(first on row 5\)"):
        ingest_source_day("interactions", day, landing=landing, store_url=store_url)
