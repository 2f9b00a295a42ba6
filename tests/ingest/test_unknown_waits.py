"""An unknown wait is unknown: never 0, never a short abandon (issue #16, "silent SCR 100 %").

Each expected value is counted by hand from the rows written here, not taken from the code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kawal.errors import KawalError
from kawal.ingest.mapping import load_mapping, read_mapped
from tests.ingest.test_formats import DAY, PII_KEY, overall

# Five calls, call-level, semicolon-separated. C2 and C4 are abandoned with a blank wait (the ACD did
# not record it); C5 is abandoned after 2 s (a short abandon by the 5-second rule).
# By hand: answered C1, C3 → 2; offered 5; short abandons: C5 only (an unknown wait is never short).
# SCR = 2 / (5 − 1) = 50 %. RT: C1 waited 10, C3's wait is blank (unknown) → RT = 10 / 1 = 10 s.
CALLS = """CallId;Start;Result;Wait;Talk
C1;2026-10-01 09:00:00;ANS;10;100
C2;2026-10-01 09:05:00;ABN;;0
C3;2026-10-01 10:00:00;ANS;;200
C4;2026-10-01 11:00:00;ABN;;0
C5;2026-10-01 12:00:00;ABN;2;0
"""

MAPPING = """source: interactions
file: {{pattern: "calls.csv", delimiter: ";"}}
columns:
  interaction_id: {{from: CallId}}
  channel: {{value: voice}}
  queue: {{value: main}}
  arrived_at: {{from: Start, timestamp: "%Y-%m-%d %H:%M:%S"}}
  outcome: {{from: Result, map: {{ANS: answered, ABN: abandoned}}}}
  wait_s: {{from: Wait{wait_extra}}}
  talk_s: {{from: Talk}}
  hold_s: {{value: "0"}}
  acw_s: {{value: "0"}}
"""


@pytest.fixture(autouse=True)
def pii_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAWAL_PII_KEY", PII_KEY)


def _read(tmp_path: Path, mapping: str, export: str, name: str = "acd") -> object:
    (tmp_path / f"{name}.yaml").write_text(mapping, encoding="utf-8")
    (tmp_path / "calls.csv").write_text(export, encoding="utf-8")
    return read_mapped(load_mapping(tmp_path / f"{name}.yaml"), tmp_path / "calls.csv", DAY)


def test_blank_waits_are_unknown_and_abandons_of_unknown_wait_count_as_offered(tmp_path: Path) -> None:
    rows = _read(tmp_path, MAPPING.format(wait_extra=""), CALLS)
    assert rows["wait_s"].isna().sum() == 3  # kept unknown, not 0
    values = overall(rows)
    assert values["scr"] == pytest.approx(100 * 2 / 4)
    assert values["rt"] == pytest.approx(10.0)


def test_a_default_of_zero_on_the_wait_is_refused_unless_the_mapping_says_it_is_known(tmp_path: Path) -> None:
    with pytest.raises(KawalError) as err:
        _read(tmp_path, MAPPING.format(wait_extra=', default: "0"'), CALLS)
    message = str(err.value)
    assert "acd.yaml: columns.wait_s: `default` would turn an unknown wait_s into a known one" in message
    assert "default_is_known: true" in message and "\n" not in message
    # said explicitly: the site's blank means 0 s, so C2 and C4 are short abandons too.
    # By hand: SCR = 2 / (5 − 3) = 100 %; RT = (10 + 0) / 2 = 5 s.
    rows = _read(tmp_path, MAPPING.format(wait_extra=', default: "0", default_is_known: true'), CALLS)
    values = overall(rows)
    assert values["scr"] == pytest.approx(100.0)
    assert values["rt"] == pytest.approx(5.0)


def test_an_export_may_say_which_abandons_are_short(tmp_path: Path) -> None:
    """A vendor flag wins over the 5-second rule: C2 flagged short, C5 (2 s) flagged not short."""
    export = CALLS.replace("Wait;Talk", "Wait;Talk;Short").replace("\n", ";\n")
    export = export.replace("Wait;Talk;Short;", "Wait;Talk;Short")
    lines = export.splitlines()
    lines[2] += "Y"  # C2
    lines[5] += "N"  # C5
    mapping = MAPPING.format(wait_extra="") + "  short_abandon: {from: Short, map: {Y: '1', N: '0', '': ''}}\n"
    rows = _read(tmp_path, mapping, "\n".join(lines) + "\n")
    # By hand: short = C2 only (C4: no flag, unknown wait → not short; C5: flag N) → SCR = 2 / (5 − 1)
    assert overall(rows)["scr"] == pytest.approx(100 * 2 / 4)
    assert list(rows["short_abandon"].fillna(-1)) == [-1, 1, -1, -1, 0]


# An interval report with neither short abandons nor abandon waits (many ACDs give only counts).
# By hand: offered 10 + 6, answered 8 + 5, abandoned 2 + 1 → every abandon counts:
# SCR = 13 / 16 = 81.25 % (it was 100 %: an abandon's unknown wait was read as 0 s, i.e. short).
INTERVALS = """Interval;Offered;Answered;Abandoned;AnsWait;Talk
2026-10-01 09:00;10;8;2;80;1600
2026-10-01 09:30;6;5;1;25;900
"""
INTERVAL_MAPPING = """source: interactions
shape: intervals
file: {pattern: "calls.csv", delimiter: ";"}
columns:
  interval_start: {from: Interval, timestamp: "%Y-%m-%d %H:%M"}
  channel: {value: voice}
  queue: {value: main}
  offered: {from: Offered}
  answered: {from: Answered}
  abandoned: {from: Abandoned}
  answer_wait_s: {from: AnsWait}
  talk_s: {from: Talk}
"""


def test_an_interval_report_without_short_abandons_or_abandon_waits_counts_every_abandon(tmp_path: Path) -> None:
    rows = _read(tmp_path, INTERVAL_MAPPING, INTERVALS, name="intervals")
    values = overall(rows)
    assert values["scr"] == pytest.approx(100 * 13 / 16)
    assert values["rt"] == pytest.approx((80 + 25) / 13)
    assert values["aht"] == pytest.approx((1600 + 900) / 13)


def test_an_interval_reports_own_short_abandons_are_short_whatever_the_waits(tmp_path: Path) -> None:
    export = INTERVALS.replace("Abandoned;", "Abandoned;Short;").replace(";2;80", ";2;1;80").replace(";1;25", ";1;0;25")
    mapping = INTERVAL_MAPPING + "  short_abandoned: {from: Short}\n  abandon_wait_s: {value: '0'}\n"
    rows = _read(tmp_path, mapping, export, name="intervals")
    # By hand: one short abandon (09:00); the others count, though their Σ wait is 0 s → 13 / (16 − 1)
    assert overall(rows)["scr"] == pytest.approx(100 * 13 / 15)


def test_sources_check_prints_the_counts_and_warns_on_an_all_short_scr(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kawal.cli import main

    runner = CliRunner()
    (tmp_path / "calls.csv").write_text(CALLS, encoding="utf-8")
    (tmp_path / "acd.yaml").write_text(MAPPING.format(wait_extra=""), encoding="utf-8")
    ok = runner.invoke(main, ["sources", "check", str(tmp_path / "acd.yaml"), str(tmp_path / "calls.csv")])
    assert ok.exit_code == 0, ok.output
    # by hand (CALLS above): 5 offered, 2 answered, 3 abandoned, 1 short (C5); unknown: C3 answered, C2 and C4 abandoned
    assert "offered 5 · answered 2 · abandoned 3 (short 1)" in ok.output
    assert "unknown wait: 1 answered (left out of RT), 2 abandoned (counted as offered, never short)" in ok.output
    assert "WARNING" not in ok.output
    # the site says a blank wait is 0 s: every abandon is then short, and SCR 100 % is called out
    (tmp_path / "acd.yaml").write_text(
        MAPPING.format(wait_extra=', default: "0", default_is_known: true'), encoding="utf-8"
    )
    warned = runner.invoke(main, ["sources", "check", str(tmp_path / "acd.yaml"), str(tmp_path / "calls.csv")])
    assert warned.exit_code == 0, warned.output
    assert "WARNING: every one of the 3 abandons counts as short, so SCR is 100 %" in warned.output
    assert "scr" in warned.output and "= 100 %" in warned.output
