"""Exports in other shapes: xlsx, Parquet, a SQL table, interval aggregates — each by a mapping only,
each giving the KPI values its calls give by hand; and customer identifiers never in the clear."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from click.testing import CliRunner

from kawal.cli import main
from kawal.errors import KawalError, SourceFileError
from kawal.ingest.mapping import load_mapping, read_mapped
from kawal.kpis.day import kpi_day_rows
from kawal.register import load_register

DAY = date(2026, 10, 1)
WIB = ZoneInfo("Asia/Jakarta")
# Four calls. By hand: answered C1 (wait 12, handling 180+30+20=230), C3 (wait 8, handling 300+0+10=310);
# C2 abandoned after 40 s; C4 abandoned after 3 s (a short abandon, < 5 s).
# SCR = 2 / (4 − 1) = 66.6667 %; RT = (12 + 8) / 2 = 10 s; AHT = (230 + 310) / 2 = 270 s.
CALLS = pd.DataFrame(
    {
        "CallId": ["C1", "C2", "C3", "C4"],
        "Queue": ["GADAI", "GADAI", "EMAS", "EMAS"],
        "Start": [datetime(2026, 10, 1, h, m, tzinfo=WIB) for h, m in ((9, 0), (9, 1), (20, 30), (21, 0))],
        "Result": ["ANS", "ABN", "ANS", "ABN"],
        "WaitSec": [12, 40, 8, 3],
        "TalkSec": [180, 0, 300, 0],
        "HoldSec": [30, 0, 0, 0],
        "WrapSec": [20, 0, 10, 0],
        "Phone": ["081234567890", "081298765432", "081211112222", "081233334444"],
    }
)
EXPECTED = {"scr": 100 * 2 / 3, "rt": 10.0, "aht": 270.0}
PII_KEY = "a-test-key-of-enough-length"


def mapping_text(file_block: str, extra: str = "") -> str:
    return f"""source: interactions
file:
{file_block}
timezone: Asia/Jakarta
columns:
  interaction_id: {{from: CallId}}
  channel: {{value: voice}}
  queue: {{from: Queue}}
  arrived_at: {{from: Start}}
  outcome: {{from: Result, map: {{ANS: answered, ABN: abandoned}}}}
  wait_s: {{from: WaitSec}}
  talk_s: {{from: TalkSec}}
  hold_s: {{from: HoldSec}}
  acw_s: {{from: WrapSec}}
  customer_ref: {{from: Phone, pseudonymise: true}}
{extra}"""


def overall(rows: pd.DataFrame) -> dict[str, float]:
    register = load_register()
    return {
        r.kpi_id: r.value
        for r in kpi_day_rows(register.for_source("interactions"), rows, DAY, None)
        if r.scope == "all"
    }


@pytest.fixture(autouse=True)
def pii_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAWAL_PII_KEY", PII_KEY)


def write_mapping(tmp_path: Path, text: str, name: str = "acd") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_xlsx_export_with_several_sheets_reads_the_named_one(tmp_path: Path) -> None:
    export = tmp_path / "calls.xlsx"
    with pd.ExcelWriter(export, engine="openpyxl") as book:
        pd.DataFrame({"note": ["summary"]}).to_excel(book, sheet_name="Ringkasan", index=False)
        CALLS.assign(Start=CALLS["Start"].dt.strftime("%Y-%m-%dT%H:%M:%S%z")).to_excel(
            book, sheet_name="Detail", index=False
        )
    unnamed = load_mapping(write_mapping(tmp_path, mapping_text('  pattern: "calls.xlsx"\n  format: xlsx')))
    with pytest.raises(SourceFileError, match=r"workbook has 2 sheets \(Ringkasan, Detail\): set file.sheet"):
        read_mapped(unnamed, export, DAY)
    named = load_mapping(
        write_mapping(tmp_path, mapping_text('  pattern: "calls.xlsx"\n  format: xlsx\n  sheet: Detail'))
    )
    assert overall(read_mapped(named, export, DAY)) == pytest.approx(EXPECTED)


def test_parquet_export_maps_like_csv(tmp_path: Path) -> None:
    export = tmp_path / "calls.parquet"
    CALLS.to_parquet(export)
    mapping = load_mapping(write_mapping(tmp_path, mapping_text('  pattern: "calls.parquet"\n  format: parquet')))
    rows = read_mapped(mapping, export, DAY)
    assert overall(rows) == pytest.approx(EXPECTED)
    assert not rows["customer_ref"].isin(CALLS["Phone"]).any()
    assert rows["customer_ref"].str.fullmatch(r"[0-9a-f]{32}").all()


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"PK\x03\x04 not really a zip", "not a readable xlsx workbook"), (b"PAR1garbage", "not a readable Parquet")],
    ids=["xlsx", "parquet"],
)
def test_corrupt_binary_exports_are_one_clear_line(tmp_path: Path, content: bytes, message: str) -> None:
    fmt = "xlsx" if "xlsx" in message else "parquet"
    export = tmp_path / f"calls.{fmt}"
    export.write_bytes(content)
    mapping = load_mapping(write_mapping(tmp_path, mapping_text(f'  pattern: "calls.{fmt}"\n  format: {fmt}')))
    with pytest.raises(SourceFileError) as err:
        read_mapped(mapping, export, DAY)
    assert str(err.value).startswith(str(export)) and message in str(err.value) and "\n" not in str(err.value)


def test_sql_table_is_extracted_into_the_landing_folder(tmp_path: Path, postgres_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    engine = create_engine(postgres_url)
    other_day = CALLS.iloc[:1].assign(CallId="C0", Start=datetime(2026, 9, 30, 23, 0, tzinfo=WIB))
    pd.concat([CALLS, other_day]).to_sql("acd_calls", engine, index=False)
    engine.dispose()
    monkeypatch.setenv("ACD_DB_URL", postgres_url)
    sql = (
        'sql:\n  url_env: ACD_DB_URL\n  query: "SELECT * FROM acd_calls WHERE \\"Start\\" >= :day_start '
        'AND \\"Start\\" < :day_end ORDER BY \\"CallId\\""'
    )
    mapping = load_mapping(
        write_mapping(tmp_path, mapping_text('  pattern: "acd_{date:%Y-%m-%d}.csv"', sql), name="acd")
    )
    from kawal.ingest.delivery import locate_and_read

    landing = tmp_path / "landing"
    mappings = tmp_path
    monkeypatch.setenv("KAWAL_MAPPINGS_DIR", str(mappings))
    found, rows = locate_and_read("interactions", DAY, landing)
    assert found.path == landing / "acd" / "acd_2026-10-01.csv" and found.path.is_file()
    assert list(rows["interaction_id"]) == ["C1", "C2", "C3", "C4"]  # the 30 September call stays out
    assert overall(rows) == pytest.approx(EXPECTED)
    assert mapping.sql is not None


def test_unreachable_sql_source_names_mapping_and_server_not_password(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ACD_DB_URL", "postgresql+psycopg://kawal:s3cret-pw@127.0.0.1:1/acd")
    sql = 'sql:\n  url_env: ACD_DB_URL\n  query: "SELECT * FROM calls WHERE t >= :day_start AND t < :day_end"'
    write_mapping(tmp_path, mapping_text('  pattern: "acd_{date:%Y-%m-%d}.csv"', sql), name="acd")
    monkeypatch.setenv("KAWAL_MAPPINGS_DIR", str(tmp_path))
    from kawal.ingest.delivery import locate_and_read

    with pytest.raises(SourceFileError) as err:
        locate_and_read("interactions", DAY, tmp_path / "landing")
    message = str(err.value)
    assert "mapping acd: database postgresql+psycopg://kawal:***@127.0.0.1:1/acd could not be read" in message
    assert "s3cret-pw" not in message and "\n" not in message


INTERVALS = """Interval;Queue;Offered;Answered;Abandoned;ShortAbn;AnsWait;AbnWait;Talk;Hold;Wrap
01/10/2026 09:00;GADAI;2;1;1;0;12;40;180;30;20
01/10/2026 20:30;EMAS;1;1;0;0;8;0;300;0;10
01/10/2026 21:00;EMAS;2;0;1;1;0;3;0;0;0
"""
INTERVAL_MAPPING = """source: interactions
shape: intervals
file: {pattern: "intervals.csv", delimiter: ";"}
columns:
  interval_start: {from: Interval, timestamp: "%d/%m/%Y %H:%M"}
  channel: {value: voice}
  queue: {from: Queue}
  offered: {from: Offered}
  answered: {from: Answered}
  abandoned: {from: Abandoned}
  short_abandoned: {from: ShortAbn}
  answer_wait_s: {from: AnsWait}
  abandon_wait_s: {from: AbnWait}
  talk_s: {from: Talk}
  hold_s: {from: Hold}
  acw_s: {from: Wrap}
"""


def test_interval_aggregates_give_the_kpis_of_their_calls(tmp_path: Path) -> None:
    """The same four calls as 30-minute intervals (one offered call still queued at 21:30)."""
    export = tmp_path / "intervals.csv"
    export.write_text(INTERVALS, encoding="utf-8")
    rows = read_mapped(load_mapping(write_mapping(tmp_path, INTERVAL_MAPPING)), export, DAY)
    assert list(rows["calls"]) == [1.0, 1.0, 1.0, 1.0]
    assert overall(rows) == pytest.approx(EXPECTED)


def test_interval_counts_that_contradict_each_other_are_named(tmp_path: Path) -> None:
    export = tmp_path / "intervals.csv"
    export.write_text(INTERVALS.replace("GADAI;2;1;1", "GADAI;1;1;1"), encoding="utf-8")
    with pytest.raises(SourceFileError) as err:
        read_mapped(load_mapping(write_mapping(tmp_path, INTERVAL_MAPPING)), export, DAY)
    assert "row 2: answered + abandoned (2) is greater than offered (1)" in str(err.value)


def test_a_clear_customer_identifier_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clear = mapping_text('  pattern: "calls.csv"').replace("{from: Phone, pseudonymise: true}", "{from: Phone}")
    with pytest.raises(KawalError, match=r"columns.customer_ref: holds a customer identifier; add `pseudonymise"):
        load_mapping(write_mapping(tmp_path, clear))
    monkeypatch.delenv("KAWAL_PII_KEY")
    export = tmp_path / "calls.csv"
    CALLS.to_csv(export, index=False)
    mapping = load_mapping(write_mapping(tmp_path, mapping_text('  pattern: "calls.csv"')))
    with pytest.raises(KawalError, match=r"no PII hashing key: .* set KAWAL_PII_KEY"):
        read_mapped(mapping, export, DAY)
    # a canonical file (no mapping) with a phone number where the pseudonym belongs
    from kawal.ingest.readers import check_rows
    from kawal.sources import SOURCES

    raw = pd.DataFrame({c: ["x"] for c in SOURCES["csi_responses"].required_columns} | {"customer_ref": ["0812345678"]})
    raw["rating"] = "5"
    with pytest.raises(SourceFileError, match=r"customer_ref: '#+' is not a keyed hash"):
        check_rows(SOURCES["csi_responses"], raw, tmp_path / "csi.csv")


def test_sources_check_runs_the_suite_on_an_xlsx_export(tmp_path: Path) -> None:
    export = tmp_path / "calls.xlsx"
    CALLS.assign(Start=CALLS["Start"].dt.strftime("%Y-%m-%dT%H:%M:%S%z")).to_excel(export, index=False)
    mapping = write_mapping(tmp_path, mapping_text('  pattern: "calls.xlsx"\n  format: xlsx'))
    out = CliRunner().invoke(main, ["sources", "check", str(mapping), str(export), "--day", "2026-10-01"])
    assert out.exit_code == 0, out.output
    assert "4 row(s) after filters, all valid" in out.output and "all met" in out.output
    assert "= 66.6667 %" in out.output
    assert not any(p in out.output for p in CALLS["Phone"])
