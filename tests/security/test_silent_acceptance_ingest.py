"""Nothing in the landing folder is accepted or ignored without a word (issue #17, finding 9, ingest).

- A corrected file saved beside the day's delivery under another name (``…_v2.csv``, ``… (1).csv``)
  is read by no pattern: the ingest task says so in one line naming it, in its log and in the
  batch's recorded validation; when it is the only file of the day, the "not delivered" line names
  it.
- A business day after today (the site clock in the site's time zone) is refused at ingest with one
  line, and nothing is recorded for it.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kawal.errors import KawalError, SourceFileError
from kawal.pipeline.daily import ingest_source_day

pytestmark = pytest.mark.security

DAY = date(2026, 10, 1)
HEADER = "interaction_id,channel,queue,arrived_at,outcome,wait_s,talk_s,hold_s,acw_s\n"


def calls(day: date, n: int = 20) -> str:
    return HEADER + "".join(
        f"{day:%m%d}-{i},voice,gadai,{day.isoformat()}T{8 + i % 13:02d}:00:00+07:00,answered,12,180,0,20\n"
        for i in range(1, n + 1)
    )


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    landing = tmp_path / "landing"
    (landing / "interactions").mkdir(parents=True)
    url = f"sqlite:///{tmp_path / 'kawal.db'}"
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
            return [
                tuple(r) for r in conn.execute(text("SELECT business_date, state, validation FROM ingestion_batch"))
            ]
    finally:
        engine.dispose()


def _warnings(caplog) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.getMessage() for r in caplog.records if r.name == "kawal.pipeline.daily" and r.levelno >= logging.WARNING]


@pytest.mark.parametrize("corrected", ["interactions_2026-10-01_v2.csv", "interactions_2026-10-01 (1).csv"])
def test_a_corrected_file_under_another_name_is_reported_not_ignored(env, caplog, corrected: str) -> None:  # type: ignore[no-untyped-def]
    landing, url = env
    folder = landing / "interactions"
    (folder / "interactions_2026-10-01.csv").write_text(calls(DAY), encoding="utf-8")
    (folder / corrected).write_text(calls(DAY, 25), encoding="utf-8")  # the vendor's correction, misnamed

    with caplog.at_level(logging.WARNING, logger="kawal.pipeline.daily"):
        result = ingest_source_day("interactions", DAY)
    assert result.rows == 20  # the delivery under its own name is what is read
    assert _warnings(caplog) == [
        f"{folder / corrected} matches no delivery pattern; a corrected delivery replaces "
        "interactions_2026-10-01.csv under its own name"
    ]
    ((_day, state, validation),) = _batches(url)
    assert state == "received" and json.loads(validation)["unmatched_files"] == [corrected]


def test_a_corrected_file_alone_is_named_by_the_not_delivered_line(env) -> None:  # type: ignore[no-untyped-def]
    landing, url = env
    (landing / "interactions" / "interactions_2026-10-01_v2.csv").write_text(calls(DAY), encoding="utf-8")

    with pytest.raises(SourceFileError) as err:
        ingest_source_day("interactions", DAY)
    assert str(err.value).endswith(
        "no interactions file delivered for 2026-10-01 (interactions_2026-10-01_v2.csv matches no delivery "
        "pattern: a delivery is read under its own name)"
    )
    assert _batches(url) == []


def test_files_in_flight_and_superseded_copies_are_not_reported(env, caplog) -> None:  # type: ignore[no-untyped-def]
    landing, url = env
    folder = landing / "interactions"
    (folder / "interactions_2026-10-01.csv").write_text(calls(DAY), encoding="utf-8")
    (folder / "interactions_2026-10-01.csv.superseded-0123456789ab").write_text(calls(DAY, 5), encoding="utf-8")
    (folder / ".interactions_2026-10-01.csv.tmp").write_text(HEADER, encoding="utf-8")
    (folder / "interactions_2026-10-02.csv").write_text(calls(date(2026, 10, 2)), encoding="utf-8")  # another day

    with caplog.at_level(logging.WARNING, logger="kawal.pipeline.daily"):
        ingest_source_day("interactions", DAY)
    assert _warnings(caplog) == []
    ((_day, _state, validation),) = _batches(url)
    assert "unmatched_files" not in json.loads(validation)


@pytest.mark.parametrize(
    ("now", "day", "refused"),
    [
        ("2026-12-01T09:00:00+07:00", date(2026, 12, 2), True),  # tomorrow, WIB
        ("2026-12-01T09:00:00+07:00", date(2026, 12, 1), False),  # today: not in the future
        ("2026-12-01T23:30:00+00:00", date(2026, 12, 2), False),  # 06:30 on 2 December in WIB
        ("2026-12-01T23:30:00+00:00", date(2026, 12, 3), True),
    ],
    ids=["tomorrow", "today", "utc-evening-is-wib-morning", "the-day-after"],
)
def test_a_business_day_in_the_future_is_refused_in_site_time(  # type: ignore[no-untyped-def]
    env, monkeypatch, now: str, day: date, refused: bool
) -> None:
    landing, url = env
    monkeypatch.setenv("KAWAL_NOW", now)  # the site clock, pinned (no wall clock)
    (landing / "interactions" / f"interactions_{day.isoformat()}.csv").write_text(calls(day), encoding="utf-8")

    if not refused:
        assert ingest_source_day("interactions", day).rows == 20
        return
    with pytest.raises(KawalError) as err:
        ingest_source_day("interactions", day)
    today = {"2026-12-01T09:00:00+07:00": "2026-12-01", "2026-12-01T23:30:00+00:00": "2026-12-02"}[now]
    assert str(err.value) == (
        f"interactions {day.isoformat()}: a business day in the future (today is {today} WIB, the site's "
        "time zone); refused"
    )
    assert _batches(url) == []


def test_any_file_of_the_folder_that_no_pattern_reads_is_reported(env, caplog) -> None:  # type: ignore[no-untyped-def]
    """Not only the day's look-alikes: a hand-renamed file, another day's correction — each is said
    once per ingest of the folder, until someone puts it right."""
    landing, url = env
    folder = landing / "interactions"
    (folder / "interactions_2026-10-01.csv").write_text(calls(DAY), encoding="utf-8")
    (folder / "interactions-2026-10-02.csv").write_text(calls(date(2026, 10, 2)), encoding="utf-8")
    (folder / "interactions_2026-09-30_v2.csv").write_text(calls(date(2026, 9, 30)), encoding="utf-8")
    (folder / "interactions_2026-09-29.csv").write_text(calls(date(2026, 9, 29)), encoding="utf-8")  # a delivery

    with caplog.at_level(logging.WARNING, logger="kawal.pipeline.daily"):
        ingest_source_day("interactions", DAY)
    assert _warnings(caplog) == [
        f"{folder / 'interactions-2026-10-02.csv'} matches no delivery pattern of its folder; it is not read",
        f"{folder / 'interactions_2026-09-30_v2.csv'} matches no delivery pattern of its folder; it is not read",
    ]
    ((_day, _state, validation),) = _batches(url)
    assert json.loads(validation)["unmatched_files"] == [
        "interactions-2026-10-02.csv",
        "interactions_2026-09-30_v2.csv",
    ]


def test_a_mapped_folder_is_judged_by_its_mappings_pattern(env, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    landing, _url = env
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "acd.yaml").write_text(
        """source: interactions
file: {pattern: "acd_{date:%Y%m%d}.csv"}
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
    folder = landing / "acd"
    folder.mkdir()
    day_rows = "Id,Arrived\n" + "".join(f"C{i},2026-10-01T{8 + i % 12:02d}:00:00+07:00\n" for i in range(20))
    (folder / "acd_20261001.csv").write_text(day_rows, encoding="utf-8")
    (folder / "acd_20261002.csv").write_text(day_rows.replace("2026-10-01", "2026-10-02"), encoding="utf-8")
    (folder / "acd_20261001 (1).csv").write_text(day_rows, encoding="utf-8")

    with caplog.at_level(logging.WARNING, logger="kawal.pipeline.daily"):
        ingest_source_day("interactions", DAY)
    assert _warnings(caplog) == [
        f"{folder / 'acd_20261001 (1).csv'} matches no delivery pattern; a corrected delivery replaces "
        "acd_20261001.csv under its own name"
    ]
