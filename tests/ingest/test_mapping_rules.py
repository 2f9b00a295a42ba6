"""Mapping rules for real exports as they are (issue #16): columns joined (an id from two columns, a
timestamp from a date and a time of day, two-digit years), row conditions over several columns with
all/any/not in filters and in cases, and one export read by two mappings. Expected rows are written
by hand from the export text below."""

from __future__ import annotations

from pathlib import Path

import pytest

from kawal.errors import KawalError
from kawal.ingest.mapping import load_mapping, read_mapped
from tests.ingest.test_formats import DAY, overall

# A tab-separated ACD export: the call number is unique per site only; date (dd/mm/yy) and time in two
# columns; HANGUP with no queue time = hung up in the IVR (never offered to an agent: dropped);
# HANGUP with a queue time = abandoned in the queue.
EXPORT = (
    "Site\tCallNo\tTanggal\tJam\tResult\tQueueTime\tWait\tTalk\n"
    "JKT\t1\t01/10/26\t08:00:00\tANS\t08:00:09\t9\t120\n"
    "SBY\t1\t01/10/26\t08:05:00\tANS\t08:05:20\t20\t200\n"
    "JKT\t2\t01/10/26\t09:00:00\tHANGUP\t\t\t0\n"  # IVR hang-up: dropped
    "JKT\t3\t01/10/26\t10:00:00\tHANGUP\t10:00:04\t30\t0\n"  # abandoned after 30 s
    "SBY\t2\t01/10/26\t23:59:59\tABN\t23:59:59\t2\t0\n"  # abandoned after 2 s: short
)
MAPPING = """source: interactions
file: {pattern: "calls.tsv", delimiter: "\\t"}
columns:
  interaction_id: {from: [Site, CallNo], join: "-"}
  channel: {value: voice}
  queue: {from: Site}
  arrived_at: {from: [Tanggal, Jam], timestamp: "%d/%m/%y %H:%M:%S"}
  outcome:
    cases:
      - {when: {all: [{column: Result, op: "==", value: HANGUP}, {column: QueueTime, op: not_blank}]}, value: abandoned}
    from: Result
    map: {ANS: answered, ABN: abandoned}
  wait_s: {from: Wait}
  talk_s: {from: Talk}
  hold_s: {value: "0"}
  acw_s: {value: "0"}
filters:
  - not: {all: [{column: Result, op: "==", value: HANGUP}, {column: QueueTime, op: blank}]}
"""


def read(tmp_path: Path, mapping: str = MAPPING, export: str = EXPORT):  # type: ignore[no-untyped-def]
    (tmp_path / "acd.yaml").write_text(mapping, encoding="utf-8")
    (tmp_path / "calls.tsv").write_text(export, encoding="utf-8")
    return read_mapped(load_mapping(tmp_path / "acd.yaml"), tmp_path / "calls.tsv", DAY)


def test_joined_columns_conditions_and_two_digit_years(tmp_path: Path) -> None:
    rows = read(tmp_path)
    assert list(rows["interaction_id"]) == ["JKT-1", "SBY-1", "JKT-3", "SBY-2"]
    assert list(rows["arrived_at"]) == [
        "2026-10-01T08:00:00+07:00",
        "2026-10-01T08:05:00+07:00",
        "2026-10-01T10:00:00+07:00",
        "2026-10-01T23:59:59+07:00",
    ]
    assert list(rows["outcome"]) == ["answered", "answered", "abandoned", "abandoned"]
    # By hand: offered 4 (the IVR hang-up is not offered), answered 2, short 1 (SBY-2, 2 s)
    # SCR = 2 / (4 − 1); RT = (9 + 20) / 2; AHT = (120 + 200) / 2
    assert overall(rows) == pytest.approx({"scr": 100 * 2 / 3, "rt": 14.5, "aht": 160.0})


def test_any_and_in_conditions(tmp_path: Path) -> None:
    mapping = MAPPING.replace(
        '  - not: {all: [{column: Result, op: "==", value: HANGUP}, {column: QueueTime, op: blank}]}',
        "  - any: [{column: Result, op: in, value: [ANS, ABN]}, {column: QueueTime, op: not_blank}]",
    )
    assert list(read(tmp_path, mapping)["interaction_id"]) == ["JKT-1", "SBY-1", "JKT-3", "SBY-2"]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("{column: Result}", "condition on 'Result': give op"),
        ("{column: Result, op: blank, value: x}", "op 'blank' takes no value"),
        ("{column: Result, op: in, value: x}", "op 'in' needs a list of values"),
        ("{all: []}", "all / any need at least one condition"),
        ("{all: [{column: A, op: blank}], column: B, op: blank}", "give exactly one of column (with op and value)"),
        ("{nor: [{column: A, op: blank}]}", "nor"),
    ],
)
def test_a_bad_condition_is_named(tmp_path: Path, rule: str, expected: str) -> None:
    mapping = MAPPING.split("filters:")[0] + f"filters:\n  - {rule}\n"
    with pytest.raises(KawalError) as err:
        read(tmp_path, mapping)
    assert "acd.yaml: field filters" in str(err.value) and expected in str(err.value)


def test_one_export_feeds_two_sources_without_a_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Calls and satisfaction ratings on the same rows of one workbook folder: both mappings name
    ``folder: acd`` and read landing/acd/ — one delivered file, two sources."""
    from kawal.ingest.delivery import locate_and_read

    mappings = tmp_path / "mappings"
    mappings.mkdir()
    export = EXPORT.replace("Talk\n", "Talk\tRating\n")
    lines = export.splitlines()
    export = "\n".join([lines[0], *[line + ("\t5" if i % 2 else "\t") for i, line in enumerate(lines[1:])]]) + "\n"
    (mappings / "acd-calls.yaml").write_text(
        MAPPING.replace('file: {pattern: "calls.tsv"', 'folder: acd\nfile: {pattern: "calls_{date:%Y%m%d}.tsv"'),
        encoding="utf-8",
    )
    (mappings / "acd-ratings.yaml").write_text(
        """source: csi_responses
folder: acd
file: {pattern: "calls_{date:%Y%m%d}.tsv", delimiter: "\\t"}
columns:
  response_id: {from: [Site, CallNo], join: "-"}
  channel: {value: voice}
  rating: {from: Rating}
filters:
  - {column: Rating, op: not_blank}
""",
        encoding="utf-8",
    )
    landing = tmp_path / "landing"
    (landing / "acd").mkdir(parents=True)
    (landing / "acd" / "calls_20261001.tsv").write_text(export, encoding="utf-8")
    monkeypatch.setenv("KAWAL_MAPPINGS_DIR", str(mappings))
    calls_file, calls = locate_and_read("interactions", DAY, landing)
    ratings_file, ratings = locate_and_read("csi_responses", DAY, landing)
    assert calls_file == ratings_file  # the same delivery, checksummed once per source
    assert len(calls) == 4
    # ratings on rows 2 and 4 of the export (odd positions): SBY-1 and JKT-3
    assert list(ratings["response_id"]) == ["SBY-1", "JKT-3"] and list(ratings["rating"]) == [5.0, 5.0]
