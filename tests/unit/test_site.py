"""kpi_rules/site.yaml (kawal.site): one line naming the field for each mistake; the business day
follows the site's time zone."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kawal.errors import KawalError, SourceFileError
from kawal.site import Site, load_site
from kawal.sources import SOURCES


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "site.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_no_file_means_every_source_in_wib(tmp_path: Path) -> None:
    site = load_site(tmp_path)
    assert site == Site() and site.timezone == "Asia/Jakarta" and site.sources == tuple(SOURCES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("timezone: Asia/Jakrta\n", "field timezone: not an IANA time zone"),
        ("sources: [interactions, calls]\n", "field sources: 'calls' is not a canonical source"),
        ("sources: []\n", "field sources: must list the sources this site delivers"),
        ("sources: [interactions, interactions]\n", "field sources: a source is listed twice"),
        ("history_starts: last year\n", "field history_starts: must be a date, YYYY-MM-DD"),
        ("name: ''\n", "field name: must be the site's name"),
        ("timezon: UTC\n", "field timezon: unknown field (expected: name, timezone, sources"),
        ("opt_in_kpis: sl_offered\n", "field opt_in_kpis: must be a list of KPI ids"),
    ],
)
def test_a_mistake_is_one_line_naming_the_field(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(KawalError) as err:
        load_site(write(tmp_path, text))
    assert f"site.yaml: {expected}" in str(err.value) and "\n" not in str(err.value)


def test_the_sources_keep_the_catalogues_order(tmp_path: Path) -> None:
    assert load_site(write(tmp_path, "sources: [agent_days, interactions]\n")).sources == ("interactions", "agent_days")


def test_the_business_day_is_the_sites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A site in WITA (UTC+8): 23:30 WIB on 1 October is 00:30 on 2 October there — another day."""
    from kawal.ingest.readers import check_rows

    monkeypatch.setenv("KAWAL_RULES_DIR", str(write(tmp_path, "timezone: Asia/Makassar\n")))
    import pandas as pd

    rows = pd.DataFrame(
        {
            "interaction_id": ["a", "b"],
            "channel": ["voice", "voice"],
            "queue": ["q", "q"],
            "arrived_at": ["2026-10-01T08:00:00+08:00", "2026-10-01T23:30:00+07:00"],
            "outcome": ["answered", "answered"],
            "wait_s": ["5", "5"],
            "talk_s": ["60", "60"],
            "hold_s": ["0", "0"],
            "acw_s": ["0", "0"],
        }
    )
    with pytest.raises(SourceFileError) as err:
        check_rows(SOURCES["interactions"], rows, tmp_path / "calls.csv", date(2026, 10, 1))
    assert "row 3, column arrived_at" in str(err.value) and "is not on 2026-10-01 (WITA)" in str(err.value)
    assert len(check_rows(SOURCES["interactions"], rows.iloc[:1], tmp_path / "calls.csv", date(2026, 10, 1))) == 1
