"""Daily aggregates as a shape (issue #16): one row per day with counts, average waits and the
export's own published rate — mapped as a check, so a rate that disagrees with its counts is
refused with both figures instead of silently accepted. Expected values by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kawal.errors import SourceFileError
from kawal.ingest.mapping import load_mapping, read_mapped
from tests.ingest.test_formats import overall

# a public agency's daily statistics: offered, answered, abandoned, average speed of answer, average
# talk, and its published abandonment rate (rounded to one decimal)
TABLE = """Tanggal,Ditawarkan,Dijawab,Ditinggalkan,RataTunggu,RataBicara,TingkatAbandon
2026-10-01,200,180,20,12.5,240,10.0
"""
MAPPING = """source: interactions
shape: aggregates
file: {pattern: "stats.csv"}
columns:
  interval_start: {from: Tanggal, timestamp: "%Y-%m-%d"}
  channel: {value: voice}
  queue: {value: all}
  offered: {from: Ditawarkan}
  answered: {from: Dijawab}
  abandoned: {from: Ditinggalkan}
  answer_wait_avg_s: {from: RataTunggu}
  talk_avg_s: {from: RataBicara}
  published_abandon_rate: {from: TingkatAbandon}
"""


def read(tmp_path: Path, table: str, mapping: str = MAPPING):  # type: ignore[no-untyped-def]
    (tmp_path / "stats.yaml").write_text(mapping, encoding="utf-8")
    (tmp_path / "stats.csv").write_text(table, encoding="utf-8")
    return read_mapped(load_mapping(tmp_path / "stats.yaml"), tmp_path / "stats.csv", date(2026, 10, 1))


def test_a_day_of_counts_and_averages_gives_its_kpis(tmp_path: Path) -> None:
    rows = read(tmp_path, TABLE)
    # By hand: no short-abandon count and no abandon waits → every abandon counts:
    # SCR = 180 / 200 = 90 %; RT = 12.5 (the mean, × 180 / 180); AHT = 240 (talk only: hold and acw unmapped count 0 s)
    assert overall(rows) == pytest.approx({"scr": 90.0, "rt": 12.5, "aht": 240.0})


def test_a_published_rate_that_disagrees_with_the_counts_is_refused_with_both_figures(tmp_path: Path) -> None:
    # 20 / 200 = 10.0 %; the export says 12.0 % (beyond the ±0.05 of one written decimal)
    with pytest.raises(SourceFileError) as err:
        read(tmp_path, TABLE.replace(",10.0\n", ",12.0\n"))
    message = str(err.value)
    assert (
        "row 2 (period 2026-10-01T00:00:00+07:00): the export's abandon_rate 12 disagrees with its own counts"
        in message
    )
    assert "(abandoned / offered × 100 = 10) beyond rounding" in message


def test_a_published_rate_within_its_rounding_passes(tmp_path: Path) -> None:
    # 21 / 200 = 10.5 %; written as "11" (no decimal: ±0.5) is within rounding; "10.4" (±0.05) is not
    table = TABLE.replace("200,180,20", "200,179,21")
    assert len(read(tmp_path, table.replace(",10.0\n", ",11\n"))) > 0
    with pytest.raises(SourceFileError, match=r"abandon_rate 10\.4 disagrees"):
        read(tmp_path, table.replace(",10.0\n", ",10.4\n"))


def test_an_aggregate_without_any_handling_time_is_refused_at_load(tmp_path: Path) -> None:
    from kawal.errors import KawalError

    with pytest.raises(KawalError, match=r"interval field\(s\) talk_s \(or talk_avg_s\) are not mapped"):
        read(tmp_path, TABLE, MAPPING.replace("  talk_avg_s: {from: RataBicara}\n", ""))
