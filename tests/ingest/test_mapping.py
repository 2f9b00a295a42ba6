"""A vendor export mapped onto the canonical interactions source by configuration only."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from kawal.cli import main
from kawal.errors import KawalError, SourceFileError
from kawal.ingest.mapping import load_mapping, read_mapped

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "mappings" / "examples" / "genesys-interactions.yaml"
HEADER = "ConversationId;QueueName;StartTime;AnswerTime;EndTime;Disposition;TalkTime;HoldTime;WrapUpMs;ANI\n"
ROWS = [
    # answered: wait 12 s, talk 180 + hold 30 + wrap 20 s = 230 s
    "C1;GADAI;01/10/2026 09:00:00;01/10/2026 09:00:12;01/10/2026 09:04:00;ANSWERED;0:03:00;0:00:30;20000;081234567890",
    # abandoned after 40 s (end − start: no answer time)
    "C2;GADAI;01/10/2026 09:01:00;;01/10/2026 09:01:40;ABANDONED;0:00:00;;;081298765432",
    # an internal test call: filtered out
    "C3;TEST;01/10/2026 09:02:00;01/10/2026 09:02:05;01/10/2026 09:03:00;ANSWERED;0:00:55;0:00:00;0;0800",
    # answered: wait 8 s, talk 302 + wrap 10.5 s = 312.5 s (ends after midnight)
    "C4;EMAS;01/10/2026 23:59:50;01/10/2026 23:59:58;02/10/2026 00:05:00;ANSWERED;0:05:02;0:00:00;10500;081211112222",
    # short abandon: 3 s
    "C5;EMAS;01/10/2026 10:00:00;;01/10/2026 10:00:03;SHORT_ABANDON;0:00:00;;;081233334444",
]
PHONES = ("081234567890", "081298765432", "081211112222", "081233334444")
PII_KEY = "test-only-pii-key-0123456789"


@pytest.fixture(autouse=True)
def pii_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAWAL_PII_KEY", PII_KEY)


def export(tmp_path: Path, rows: list[str] = ROWS, name: str = "calls_20261001.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(("\ufeff" + HEADER + "\n".join(rows) + "\n").encode("utf-8"))  # with a BOM
    return path


def test_export_maps_to_canonical_rows(tmp_path: Path) -> None:
    rows = read_mapped(load_mapping(EXAMPLE), export(tmp_path))

    assert list(rows["interaction_id"]) == ["C1", "C2", "C4", "C5"]
    assert list(rows["wait_s"]) == [12.0, 40.0, 8.0, 3.0]
    assert list(rows["talk_s"] + rows["hold_s"] + rows["acw_s"]) == [230.0, 0.0, 312.5, 0.0]
    assert list(rows["outcome"]) == ["answered", "abandoned", "answered", "abandoned"]
    assert rows["arrived_at"].iloc[0] == "2026-10-01T09:00:00+07:00"
    assert set(rows.columns) == {
        "interaction_id",
        "channel",
        "queue",
        "arrived_at",
        "outcome",
        "wait_s",
        "talk_s",
        "hold_s",
        "acw_s",
        "calls",
        "short_abandon",
        "first_contact_resolved",
        "customer_ref",
    }  # the ANI (phone) column is gone: only its keyed hash is kept
    assert list(rows["calls"]) == [1.0] * 4
    import hashlib
    import hmac

    expected = [hmac.new(PII_KEY.encode(), p.encode(), hashlib.sha256).hexdigest()[:32] for p in PHONES]
    assert list(rows["customer_ref"]) == expected  # keyed: the same number, another key → another pseudonym


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ROWS[0].replace("ANSWERED", "TRANSFERRED"),
            "row 2, column Disposition: 'xxxxxxxxxxx' has no entry in the map of outcome (mapping genesys-interactions",
        ),
        (
            ROWS[0].replace("01/10/2026 09:00:00", "2026-10-01 09:00"),
            "row 2, column StartTime: '####-##-## ##:##' is not a timestamp in format '%d/%m/%Y %H:%M:%S'",
        ),
        (
            ROWS[0].replace("0:03:00", "3 menit"),
            "row 2, column talk_s: '# xxxxx' is not a number from 0 to 86400 "
            "[talk_s ← TalkTime, mapping genesys-interactions]",
        ),
    ],
    ids=["unmapped-code", "bad-timestamp", "bad-duration"],
)
def test_bad_rows_name_row_vendor_column_and_mapping(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(SourceFileError) as err:
        read_mapped(load_mapping(EXAMPLE), export(tmp_path, [row]))
    assert message in str(err.value)


def test_missing_vendor_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(HEADER.replace("QueueName", "Queue") + ROWS[0] + "\n")
    with pytest.raises(
        SourceFileError, match="missing column\\(s\\) QueueName that mapping genesys-interactions reads"
    ):
        read_mapped(load_mapping(EXAMPLE), path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace("  queue: {from: QueueName}\n", ""),
            "canonical column(s) queue of interactions are not mapped",
        ),
        (lambda t: t.replace("timezone: Asia/Jakarta", "timezone: Asia/Jakartaa"), "unknown timezone 'Asia/Jakartaa'"),
        (
            lambda t: t.replace("channel: {value: voice}", "channel: {value: voice, from: Channel}"),
            "give exactly one of from, value, between",
        ),
        (lambda t: t.replace("source: interactions", "source: calls"), "field source: unknown source 'calls'"),
    ],
    ids=["unmapped-canonical", "bad-timezone", "two-origins", "unknown-source"],
)
def test_broken_mappings_are_one_line(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.yaml"
    path.write_text(edit(EXAMPLE.read_text()))
    with pytest.raises(KawalError) as err:
        load_mapping(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_daily_steps_read_an_active_mapping_and_no_phone_number_reaches_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kawal.pipeline.daily import compute_source_kpis, ingest_source_day

    mappings = tmp_path / "mappings"
    mappings.mkdir()
    shutil.copy(EXAMPLE, mappings / "genesys.yaml")  # active: feeds the interactions source
    landing = tmp_path / "landing"
    (landing / "genesys").mkdir(parents=True)
    export(landing / "genesys")
    db = tmp_path / "kawal.db"
    monkeypatch.setenv("KAWAL_MAPPINGS_DIR", str(mappings))
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(landing))
    monkeypatch.setenv("KAWAL_DB_URL", f"sqlite:///{db}")

    compute_source_kpis(ingest_source_day("interactions", date(2026, 10, 1)).batch_id)

    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        values = dict(
            conn.execute(text("SELECT kpi_id, value FROM kpi_value WHERE period_type='day' AND scope='all'")).all()
        )
        batch = conn.execute(text("SELECT file_name, row_count FROM ingestion_batch")).one()
    engine.dispose()
    # by hand (see ROWS): SCR 2 / (4 − 1 short) ; RT (12 + 8) / 2 ; AHT (230 + 312.5) / 2
    assert values == pytest.approx({"scr": 100 * 2 / 3, "rt": 10.0, "aht": 271.25})
    assert (batch.file_name, batch.row_count) == ("genesys/calls_20261001.csv", 4)
    stored = db.read_bytes()
    assert not any(phone.encode() in stored for phone in PHONES)


def test_sources_check_cli_reports_mapping_and_kpis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
    ok = CliRunner().invoke(main, ["sources", "check", str(EXAMPLE), str(export(tmp_path))])
    assert ok.exit_code == 0, ok.output
    assert "customer_ref    ← ANI  (keyed hash)" in ok.output
    assert "GX suite interactions: " in ok.output and "all met" in ok.output
    assert "4 row(s) after filters, all valid" in ok.output
    assert "= 66.6667 %" in ok.output and "= 271.25 detik" in ok.output
    assert not any(phone in ok.output for phone in PHONES)

    bad = CliRunner().invoke(
        main, ["sources", "check", str(EXAMPLE), str(export(tmp_path, [ROWS[0].replace("ANSWERED", "XFER")]))]
    )
    assert bad.exit_code == 1 and "FAILED:" in bad.output and "'xxxx' has no entry" in bad.output


def test_a_bad_row_with_a_phone_number_reaches_no_store_log_or_mail_in_the_clear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The phone number shifted into the code column (a broken export) is masked in the incident's
    text, its mail and the logs; the store keeps no phone of the delivery at all."""
    import logging

    from kawal.pipeline.daily import ingest_source_day, open_defects_for_day

    mappings = tmp_path / "mappings"
    mappings.mkdir()
    shutil.copy(EXAMPLE, mappings / "genesys.yaml")
    landing = tmp_path / "landing"
    (landing / "genesys").mkdir(parents=True)
    broken = ROWS[0].replace(";ANSWERED;", ";081299998888;")  # the caller's number in the Disposition column
    export(landing / "genesys", [broken, *ROWS[1:]])
    db = tmp_path / "kawal.db"
    monkeypatch.setenv("KAWAL_MAPPINGS_DIR", str(mappings))
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(landing))
    monkeypatch.setenv("KAWAL_DB_URL", f"sqlite:///{db}")
    caplog.set_level(logging.DEBUG)

    with pytest.raises(SourceFileError) as err:
        ingest_source_day("interactions", date(2026, 10, 1))
    open_defects_for_day(date(2026, 10, 1))

    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        mails = [" ".join(map(str, row)) for row in conn.execute(text("SELECT * FROM notification")).all()]
    engine.dispose()
    assert mails and any("data" in m.lower() for m in mails)  # the incident's mail to data engineering
    phones = (*PHONES, "081299998888")
    for where, content in (
        ("error", str(err.value)),
        ("mails", "\n".join(mails)),
        ("logs", caplog.text),
        ("store", db.read_bytes().decode("utf-8", "replace")),
    ):
        assert not any(p in content for p in phones), where
    assert "'############' has no entry in the map of outcome" in str(err.value)
