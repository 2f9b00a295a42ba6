"""Truncated deliveries are not loaded as whole days (issue #17, finding 8).

- A row with fewer (or more) fields than the header is an error naming the file and the row — in
  the whole-file reader, in a mapped export, and in the streaming reader (which drops the stream and
  lets the whole-file route name it). A last row two fields short used to load, its missing flags
  read as "unknown" (SCR 98.170 instead of 98.198 in the adversarial pass).
- Completeness is explicit: a delivery is written under a temporary name and renamed when whole
  (``*.part``, ``*.filepart``, ``*.tmp``, ``*.crdownload``, dot-files: rsync's, WinSCP's, a browser's,
  Kawal's own extract). An in-flight file is never read: the day is "not delivered yet" and the line
  names the file in flight — a file cut at a row boundary mid-transfer is never loaded.
- A file that changes while it is read (an exporter writing in place) is refused, not half-loaded.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kawal.errors import SourceFileError
from kawal.ingest import stream
from kawal.pipeline.daily import ingest_source_day

pytestmark = pytest.mark.reliability

DAY = date(2026, 10, 1)
WIDE_HEADER = (
    "interaction_id,channel,queue,arrived_at,outcome,wait_s,talk_s,hold_s,acw_s,short_abandon,first_contact_resolved\n"
)


def wide_day(n: int) -> list[str]:
    """n calls with the two optional flags at the end of each row (blank flags: "unknown")."""
    return [
        f"{i},voice,gadai,2026-10-01T{8 + i * 13 // n:02d}:{i % 60:02d}:00+07:00,"
        f"{'abandoned' if i % 7 == 0 else 'answered'},{10 + i % 30},{'' if i % 7 == 0 else 180},0,20,,1\n"
        for i in range(1, n + 1)
    ]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str) -> tuple[Path, str]:
    """A private landing folder and store, SQLite and PostgreSQL (what is recorded is checked)."""
    landing = tmp_path / "landing"
    (landing / "interactions").mkdir(parents=True)
    url = store_url
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(landing))
    monkeypatch.setenv("KAWAL_DB_URL", url)
    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAWAL_MAPPINGS_DIR", str(tmp_path / "mappings"))
    from kawal.store import engine_for

    engine_for(url).dispose()
    return landing, url


def _batches(url: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT state, row_count FROM ingestion_batch"))]
    finally:
        engine.dispose()


def _cut_last_row(rows: list[str], fields: int) -> list[str]:
    """The last row without its last ``fields`` fields (the transfer stopped at a field boundary)."""
    return [*rows[:-1], ",".join(rows[-1].rstrip("\n").split(",")[:-fields]) + "\n"]


@pytest.mark.parametrize("streamed", [False, True], ids=["whole-file", "streamed"])
def test_a_last_row_two_fields_short_is_refused_naming_the_row(env, monkeypatch, streamed: bool) -> None:  # type: ignore[no-untyped-def]
    landing, url = env
    if streamed:  # every delivery streams, in 4 KiB blocks: the short row lies many batches in
        monkeypatch.setattr(stream, "STREAM_FROM_BYTES", 0)
        monkeypatch.setattr(stream, "BLOCK_BYTES", 4096)
    rows = _cut_last_row(wide_day(400), 2)
    path = landing / "interactions" / "interactions_2026-10-01.csv"
    path.write_text(WIDE_HEADER + "".join(rows), encoding="utf-8")

    with pytest.raises(SourceFileError) as err:
        ingest_source_day("interactions", DAY)
    assert str(err.value) == (
        f"{path}: row 401 has 9 field(s) but the header names 11: a row cut short "
        "(a truncated delivery) or a delimiter inside a value; refused"
    )
    assert _batches(url) == [("quarantined", 0)]  # kept for audit, never loaded


def test_a_row_with_a_field_too_many_is_refused_naming_the_row(env) -> None:  # type: ignore[no-untyped-def]
    landing, _url = env
    rows = wide_day(50)
    rows[9] = rows[9].rstrip("\n") + ",x\n"
    path = landing / "interactions" / "interactions_2026-10-01.csv"
    path.write_text(WIDE_HEADER + "".join(rows), encoding="utf-8")

    with pytest.raises(SourceFileError, match=r": row 11 has 12 field\(s\) but the header names 11: "):
        ingest_source_day("interactions", DAY)


def test_a_mapped_export_with_a_short_last_row_is_refused(env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    landing, _url = env
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "acd.yaml").write_text(
        """source: interactions
file: {pattern: "acd_{date:%Y%m%d}.csv", delimiter: ";"}
columns:
  interaction_id: {from: Id}
  channel: {value: voice}
  queue: {from: Queue}
  arrived_at: {from: Arrived}
  outcome: {from: Result, map: {ANS: answered, ABN: abandoned}}
  wait_s: {from: Wait}
  talk_s: {from: Talk}
  hold_s: {value: "0"}
  acw_s: {value: "0"}
  first_contact_resolved: {from: FCR}
""",
        encoding="utf-8",
    )
    lines = [f"C{i};q1;2026-10-01T{8 + i % 12:02d}:00:00+07:00;ANS;12;180;1\n" for i in range(1, 31)]
    lines[-1] = "C30;q1;2026-10-01T19:00:00+07:00;ANS;12\n"  # Talk and FCR lost with the end of the transfer
    path = landing / "acd" / "acd_20261001.csv"
    path.parent.mkdir()
    path.write_text("Id;Queue;Arrived;Result;Wait;Talk;FCR\n" + "".join(lines), encoding="utf-8")

    with pytest.raises(SourceFileError, match=r"acd_20261001\.csv: row 31 has 5 field\(s\) but the header names 7"):
        ingest_source_day("interactions", DAY)


@pytest.mark.parametrize(
    "in_flight",
    [
        "interactions_2026-10-01.csv.part",
        "interactions_2026-10-01.csv.filepart",
        "interactions_2026-10-01.csv.tmp",
        "interactions_2026-10-01.csv.crdownload",
        ".interactions_2026-10-01.csv.Xa81Qz",
    ],
)
def test_a_delivery_cut_at_a_row_boundary_in_flight_is_never_read(env, in_flight: str) -> None:  # type: ignore[no-untyped-def]
    """The documented convention (write, then rename): the transfer stopped at a row boundary, late in
    the day, under its temporary name. Its rows are well formed — only the convention says the day is
    not whole — and nothing of it is loaded."""
    landing, url = env
    whole = wide_day(1200)
    partial = landing / "interactions" / in_flight
    partial.write_text(WIDE_HEADER + "".join(whole[:1150]), encoding="utf-8")  # cut after row 1151, ~20:40

    with pytest.raises(SourceFileError) as err:
        ingest_source_day("interactions", DAY)
    assert str(err.value) == (
        f"{landing / 'interactions' / 'interactions_2026-10-01.csv'}: no interactions file delivered for "
        f"2026-10-01 ({in_flight} is still in flight: a delivery is read once renamed to its own name)"
    )
    assert _batches(url) == []  # not delivered yet: no batch of the partial file

    # once renamed, whole, the day loads (the rename is what says "complete")
    (landing / "interactions" / "interactions_2026-10-01.csv").write_text(WIDE_HEADER + "".join(whole))
    partial.unlink()
    assert ingest_source_day("interactions", DAY).rows == 1200


def test_a_file_that_grows_while_it_is_read_is_refused(env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An exporter that writes in place, caught mid-write: the file's size moves during the read."""
    from kawal.ingest import readers

    landing, url = env
    path = landing / "interactions" / "interactions_2026-10-01.csv"
    rows = wide_day(300)
    path.write_text(WIDE_HEADER + "".join(rows[:200]), encoding="utf-8")
    original = readers.read_csv_strings

    def read_while_the_exporter_writes(*args, **kwargs):  # type: ignore[no-untyped-def]
        frame = original(*args, **kwargs)
        with path.open("a", encoding="utf-8") as fh:
            fh.write("".join(rows[200:]))
        return frame

    monkeypatch.setattr(readers, "read_csv_strings", read_while_the_exporter_writes)
    with pytest.raises(SourceFileError, match=r"changed while it was read \(still being written\?\)"):
        ingest_source_day("interactions", DAY)
    assert [state for state, _ in _batches(url)] in ([], ["quarantined"])


def test_an_export_written_in_place_waits_for_its_done_marker(env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The other documented convention, for an export job that writes in place and cannot rename
    (``file.done_marker: true``): its file, cut at a row boundary late in the day, is not read until
    the job writes ``<file>.done`` beside it; then the whole file is."""
    landing, url = env
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "acd.yaml").write_text(
        """source: interactions
file: {pattern: "acd_{date:%Y%m%d}.csv", done_marker: true}
columns:
  interaction_id: {from: Id}
  channel: {value: voice}
  queue: {value: q1}
  arrived_at: {from: Arrived}
  outcome: {value: answered}
  wait_s: {value: "12"}
  talk_s: {value: "180"}
  hold_s: {value: "0"}
  acw_s: {value: "0"}
""",
        encoding="utf-8",
    )
    rows = [f"C{i},2026-10-01T{8 + i * 14 // 1200:02d}:{i % 60:02d}:00+07:00\n" for i in range(1200)]
    path = landing / "acd" / "acd_20261001.csv"
    path.parent.mkdir()
    path.write_text("Id,Arrived\n" + "".join(rows[:1150]), encoding="utf-8")  # the job is still writing

    with pytest.raises(SourceFileError) as err:
        ingest_source_day("interactions", DAY)
    assert str(err.value) == (
        f"{path}.done: no done-marker yet: mapping acd reads acd_20261001.csv once its export job writes "
        "acd_20261001.csv.done (file.done_marker)"
    )
    assert _batches(url) == []

    path.write_text("Id,Arrived\n" + "".join(rows), encoding="utf-8")
    Path(f"{path}.done").touch()
    assert ingest_source_day("interactions", DAY).rows == 1200
