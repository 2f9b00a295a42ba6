"""Bad input: one clear message naming the file (and row/column where there is one)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kawal.errors import SourceFileError
from kawal.ingest.delivery import day_file, locate_day_file
from kawal.ingest.readers import read_source
from kawal.sources import SOURCES

HEADER = "interaction_id,channel,queue,arrived_at,outcome,wait_s,talk_s,hold_s,acw_s\n"
GOOD = "1,voice,gadai,2026-10-01T09:00:00+07:00,answered,12,180,0,20\n"
DAY = date(2026, 10, 1)


def read_interactions(path: Path):  # type: ignore[no-untyped-def]
    return read_source(SOURCES["interactions"], path)


def _write(landing: Path, text: str | bytes) -> Path:
    path = day_file(landing, "interactions", DAY)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_good_file_reads_durations_as_numbers(landing: Path) -> None:
    path = _write(landing, HEADER + GOOD)
    rows = read_interactions(path)
    assert rows["wait_s"].tolist() == [12.0]
    assert rows["talk_s"].dtype == "float64"


def test_missing_file_names_the_expected_path(landing: Path) -> None:
    with pytest.raises(SourceFileError, match=r"interactions_2026-10-01\.csv: no interactions file delivered"):
        locate_day_file(landing, "interactions", DAY)


def test_empty_file(landing: Path) -> None:
    _write(landing, "")
    with pytest.raises(SourceFileError, match="file is empty"):
        locate_day_file(landing, "interactions", DAY)


def test_header_only(landing: Path) -> None:
    path = _write(landing, HEADER)
    with pytest.raises(SourceFileError, match="header only"):
        read_interactions(path)


def test_missing_columns_are_named(landing: Path) -> None:
    path = _write(landing, "interaction_id,channel,queue,arrived_at,outcome,talk_s\n1,voice,q,x,answered,3\n")
    with pytest.raises(SourceFileError) as err:
        read_interactions(path)
    assert str(path) in str(err.value)
    assert "missing required column(s) wait_s, hold_s, acw_s" in str(err.value)


def test_bad_duration_names_row_and_column(landing: Path) -> None:
    path = _write(landing, HEADER + GOOD + GOOD.replace(",12,", ",abc,"))
    with pytest.raises(SourceFileError, match=r"row 3, column wait_s: 'xxx' is not a number from 0"):
        read_interactions(path)


def test_negative_duration_is_refused(landing: Path) -> None:
    path = _write(landing, HEADER + GOOD.replace(",180,", ",-5,"))
    with pytest.raises(SourceFileError, match=r"row 2, column talk_s: '-#'"):
        read_interactions(path)


def test_unknown_outcome_names_row(landing: Path) -> None:
    path = _write(landing, HEADER + GOOD + GOOD.replace("answered", "transferred"))
    with pytest.raises(SourceFileError, match=r"row 3, column outcome: 'xxxxxxxxxxx'"):
        read_interactions(path)


def test_non_utf8_file(landing: Path) -> None:
    path = _write(landing, (HEADER + GOOD.replace("gadai", "keluhan é")).encode("latin-1"))
    with pytest.raises(SourceFileError, match="not UTF-8"):
        read_interactions(path)
