"""Regressions for problems found in review: each test failed before its fix."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kawal.errors import KawalError, SourceFileError, StoreConfigError
from kawal.ingest.readers import read_source
from kawal.redaction import cell
from kawal.sources import SOURCES

REPO = Path(__file__).resolve().parents[2]
HEADER = "interaction_id,channel,queue,arrived_at,outcome,wait_s,talk_s,hold_s,acw_s\n"


def test_customer_numbers_are_masked_in_error_messages(tmp_path: Path) -> None:
    # issue #17: a cell is shown by its shape only (kawal.redaction), whatever it holds
    assert cell("0812-3456-7890") == "'####-####-####'"
    assert cell("+62 812 3456 7890") == "'+## ### #### ####'"
    assert cell("abc") == "'xxx'"
    assert cell("2026-10-01 09:00") == "'####-##-## ##:##'"
    path = tmp_path / "interactions_2026-10-01.csv"
    path.write_text(HEADER + "1,voice,gadai,2026-10-01T09:00:00+07:00,answered,0812-3456-7890,180,0,20\n")
    with pytest.raises(SourceFileError) as err:
        read_source(SOURCES["interactions"], path)
    assert "3456" not in str(err.value) and "row 2, column wait_s: '####-####-####'" in str(err.value)


@pytest.mark.parametrize("value", ["inf", "1e400", "-inf"])
def test_infinite_numbers_are_not_durations(tmp_path: Path, value: str) -> None:
    path = tmp_path / "interactions_2026-10-01.csv"
    path.write_text(HEADER + f"1,voice,gadai,2026-10-01T09:00:00+07:00,answered,{value},180,0,20\n")
    with pytest.raises(SourceFileError, match="column wait_s"):
        read_source(SOURCES["interactions"], path)


def test_unknown_kpi_is_one_clear_error_not_stopiteration() -> None:
    from kawal.register import load_register

    with pytest.raises(KawalError, match="KPI 'csat' is not in the register"):
        load_register(REPO / "kpi_rules").kpi("csat")


def test_malformed_store_url_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from kawal.store import engine_for

    with pytest.raises(StoreConfigError, match="not usable"):
        engine_for("nosuchdialect://user:secret@host/db")


def test_store_url_shown_without_password() -> None:
    from kawal.settings import shown_url

    assert "secret" not in shown_url("postgresql+psycopg://kawal:secret@db:5432/kawal")


def test_duplicate_key_in_procedure_is_refused(tmp_path: Path) -> None:
    from kawal.register.procedure import load_procedure

    (tmp_path / "procedure.yaml").write_text(
        "defects:\n  effectiveness_periods: 3\ndefects:\n  effectiveness_periods: 1\n"
    )
    with pytest.raises(KawalError, match="duplicate key 'defects'"):
        load_procedure(tmp_path)


def test_bad_extra_holiday_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from kawal.defects import calendar

    calendar._holidays.cache_clear()
    monkeypatch.setenv("KAWAL_EXTRA_HOLIDAYS", "2026-12-24,24/12/2026")
    try:
        with pytest.raises(KawalError, match="'24/12/2026' is not a date"):
            calendar.is_working_day(date(2026, 12, 23))
    finally:
        calendar._holidays.cache_clear()


def test_data_incident_mail_names_the_run_that_processes_the_day() -> None:
    from kawal.defects.messages import daily_run_logical_date

    # the run for 16 March fires at 01:00 WIB on 17 March
    assert daily_run_logical_date(date(2026, 3, 16)).isoformat() == "2026-03-17T01:00:00+07:00"
