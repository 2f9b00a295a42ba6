"""How long a missing export is waited for (#19): kpi_rules/site.yaml ``export_cutoff``, judged by hand."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kawal.errors import ExportAwaited, KawalError
from kawal.pipeline.lateness import wait_for_export
from kawal.site import load_site

REPO = Path(__file__).resolve().parents[2]
WIB = ZoneInfo("Asia/Jakarta")
DAY = date(2026, 3, 16)


def _site(tmp_path: Path, cutoff: str) -> Path:
    text = (REPO / "kpi_rules" / "site.yaml").read_text(encoding="utf-8")
    start = text.index("export_cutoff:")
    end = text.index("\n# ", start)
    (tmp_path / "site.yaml").write_text(text[:start] + cutoff + text[end:], encoding="utf-8")
    return tmp_path


def test_the_shipped_site_waits_until_six_the_next_morning() -> None:
    assert load_site(REPO / "kpi_rules").export_cutoff_for("interactions", DAY) == datetime(2026, 3, 17, 6, tzinfo=WIB)


def test_a_source_can_have_its_own_cut_off(tmp_path: Path) -> None:
    site = load_site(_site(tmp_path, 'export_cutoff:\n  default: "05:00"\n  agent_days: "07:30"'))
    assert site.export_cutoff_for("agent_days", DAY) == datetime(2026, 3, 17, 7, 30, tzinfo=WIB)
    assert site.export_cutoff_for("interactions", DAY) == datetime(2026, 3, 17, 5, tzinfo=WIB)


@pytest.mark.parametrize(
    ("cutoff", "field"),
    [
        ("export_cutoff:\n  default: 6:00", "export_cutoff.default"),  # YAML 1.1 reads it as 360 (sexagesimal)
        ('export_cutoff:\n  default: "25:00"', "export_cutoff.default"),
        ('export_cutoff:\n  default: "00:30"', "export_cutoff.default"),  # before the 01:00 run
        ('export_cutoff:\n  payroll: "06:00"', "export_cutoff"),
    ],
    ids=["unquoted", "no-such-hour", "before-the-run", "unknown-source"],
)
def test_a_cut_off_that_cannot_work_is_one_line_naming_the_field(tmp_path: Path, cutoff: str, field: str) -> None:
    with pytest.raises(KawalError) as refused:
        load_site(_site(tmp_path, cutoff))
    assert f"field {field}:" in str(refused.value) and "\n" not in str(refused.value)


def test_before_the_cut_off_the_export_is_awaited_after_it_it_is_missing() -> None:
    with pytest.raises(ExportAwaited) as waiting:
        wait_for_export("interactions", DAY, now=datetime(2026, 3, 17, 5, 59, tzinfo=WIB))
    assert waiting.value.cutoff == datetime(2026, 3, 17, 6, tzinfo=WIB)
    assert wait_for_export("interactions", DAY, now=datetime(2026, 3, 17, 6, 0, tzinfo=WIB)) is None


def test_the_daily_run_must_be_due_after_every_cut_off(tmp_path: Path) -> None:
    site = load_site(_site(tmp_path, 'export_cutoff:\n  default: "06:00"'))
    assert site.daily_run_due_by.strftime("%H:%M") == "08:00"
    late = 'export_cutoff:\n  default: "06:00"\n  agent_days: "09:30"'
    with pytest.raises(KawalError, match="field daily_run_due_by: 08:00 is not after the latest export cut-off"):
        load_site(_site(tmp_path, late))
