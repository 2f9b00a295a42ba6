"""Retention (§6): the table, a dry run on data aged past its period, the real disposal with its log,
legal holds honoured, and a re-run that disposes of nothing twice.

Expected expired records are recomputed by walking the landing folder and with plain SQL (a
different route from the inventory under test); checksums with hashlib over the original bytes.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from kawal.errors import KawalError
from kawal.records.retention import RECORD_TYPES, load_retention
from tests.records.demo_month import REPO, kawal, sql_rows

AS_OF = "2029-06-01"  # 2026's objective evidence (2 years from year end) has expired; 2026's reports have not


def test_shipped_table_follows_the_work_instruction() -> None:
    table = load_retention(REPO / "kpi_rules" / "retention.yaml")

    years = {name: rule.years for name, rule in table.record_types.items()}
    assert years == {
        "register_revision": 3,
        "monthly_report": 3,
        "review_minutes": 3,
        "defect_ticket": 3,
        "source_file": 2,
        "validation_result": 2,
        "quarantined_batch": 2,
    }
    assert table.retain_until("monthly_report", date(2026, 10, 31)) == date(2030, 1, 1)
    assert table.retain_until("source_file", date(2026, 1, 1)) == date(2029, 1, 1)


def test_counting_from_the_record_date_is_configurable(tmp_path: Path) -> None:
    text_ = (
        (REPO / "kpi_rules" / "retention.yaml")
        .read_text()
        .replace("count_from: end_of_year", "count_from: record_date")
    )
    (tmp_path / "retention.yaml").write_text(text_)

    table = load_retention(tmp_path / "retention.yaml")

    assert table.retain_until("defect_ticket", date(2026, 3, 15)) == date(2029, 3, 15)
    assert table.retain_until("source_file", date(2024, 2, 29)) == date(2026, 2, 28)  # no 29 Feb in 2026


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("  source_file:\n    years: 2\n", "  source_file:\n    years: 0\n"),
         "record type source_file field years: Input should be greater than or equal to 1"),
        (lambda t: t.replace("  source_file:\n    years: 2\n", "  source_file:\n    years: two\n"),
         "record type source_file field years"),
        (lambda t: t.replace("  quarantined_batch:", "  chat_transcripts:\n    years: 1\n    description: x\n"
                             "  quarantined_batch:"), "record type chat_transcripts: unknown"),
        (lambda t: t.split("  quarantined_batch:")[0], "record type quarantined_batch: missing"),
        (lambda t: t.replace("count_from: end_of_year", "count_from: forever"), "field count_from"),
        (lambda t: t + "\n  : [", "not valid YAML"),
    ],
    ids=["zero-years", "years-not-a-number", "unknown-type", "missing-type", "bad-count-from", "not-yaml"],
)  # fmt: skip
def test_a_bad_table_is_one_line_naming_file_entry_and_field(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "retention.yaml"
    path.write_text(edit((REPO / "kpi_rules" / "retention.yaml").read_text()))

    with pytest.raises(KawalError) as err:
        load_retention(path)

    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)
    assert "\n" not in str(err.value)


def _age_some_records(home: Path) -> tuple[str, str]:
    """Records of 2025, three years old by 2029: a closed ticket and a delivered report month."""
    (ticket,) = sql_rows(home, "SELECT id FROM defect_ticket ORDER BY id LIMIT 1")
    sql_rows(
        home,
        "UPDATE defect_ticket SET state='closed', active_key=NULL, closed_at='2025-06-30 03:00:00.000000' WHERE id=:t",
        t=ticket.id,
    )
    # the demo month's delivered report, as if it had been May 2025's: archive folder and delivery rows
    (home / "reports" / "2026-02").rename(home / "reports" / "2025-05")
    sql_rows(
        home,
        "UPDATE report_delivery SET month='2025-05-01', pdf_path=replace(pdf_path, '2026-02/', '2025-05/'), "
        "context_path=replace(context_path, '2026-02/', '2025-05/')",
    )
    return f"ticket-{ticket.id}", "2025-05"


def _expected_expired(home: Path, ticket_ref: str, report_ref: str) -> set[tuple[str, str]]:
    landing = home / "landing"
    files = {
        ("source_file", p.relative_to(landing).as_posix())
        for p in landing.rglob("*.csv")
        # 2 years counted from the end of the year in the file's name (…_YYYY-MM-DD.csv)
        if date(int(p.name[-14:-10]) + 2 + 1, 1, 1) <= date.fromisoformat(AS_OF)
    }
    validations = {
        ("validation_result", f"batch-{r.id}")
        for r in sql_rows(
            home, "SELECT id FROM ingestion_batch WHERE validation IS NOT NULL AND state != 'quarantined'"
        )
    }
    quarantined = {
        ("quarantined_batch", f"batch-{r.id}")
        for r in sql_rows(home, "SELECT id FROM ingestion_batch WHERE state='quarantined'")
    }
    return files | validations | quarantined | {("defect_ticket", ticket_ref), ("monthly_report", report_ref)}


def _dry_run() -> dict:
    result = kawal("records", "dispose", "--dry-run", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _state(home: Path) -> tuple:
    files = sorted((p.relative_to(home).as_posix(), p.read_bytes()) for p in home.rglob("*") if p.is_file())
    tables = tuple(
        tuple(sql_rows(home, f"SELECT * FROM {t} ORDER BY id"))
        for t in ("defect_ticket", "defect_event", "ingestion_batch", "report_delivery", "disposal_log", "kpi_value")
    )
    return tuple(f for f in files if not f[0].endswith("kawal.db")), tables


def test_dry_run_lists_exactly_the_expired_and_the_real_run_disposes_of_them_honouring_holds(
    demo_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a real disposal judges expiry on today at the latest (issue #17): the site clock stands on AS_OF
    monkeypatch.setenv("KAWAL_NOW", f"{AS_OF}T09:00:00+07:00")
    ticket_ref, report_ref = _age_some_records(demo_home)
    (delivery,) = sql_rows(demo_home, "SELECT pdf_sha256, notification_id FROM report_delivery")
    expected = _expected_expired(demo_home, ticket_ref, report_ref)
    assert {t for t, _ in expected} >= {"source_file", "defect_ticket", "monthly_report"}
    landing = demo_home / "landing"
    digests = {
        p.relative_to(landing).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in landing.rglob("*.csv")
    }
    assert kawal("records", "hold", "--type", "source_file", "--ref", "interactions/*", "--reason", "sengketa SLA",
                 "--as", "om").exit_code == 0  # fmt: skip
    assert kawal("records", "hold", "--type", "defect_ticket", "--ref", ticket_ref, "--reason", "audit eksternal",
                 "--as", "om").exit_code == 0  # fmt: skip
    held = {("source_file", r) for r in digests if r.startswith("interactions/")} | {("defect_ticket", ticket_ref)}

    def staged(ref: str) -> list[Path]:  # the delivery's typed rows staged for compute (a cache, not a record)
        return list((demo_home / "staged").glob(f"*/{digests[ref]}.parquet"))

    staged_before = {ref for ref in digests if staged(ref)}
    assert {r for _, r in expected if r in staged_before} - {r for _, r in held}  # some expire with staged rows
    before = _state(demo_home)

    planned = _dry_run()

    assert {(r["type"], r["ref"]) for r in planned["records"]} == expected
    assert {(r["type"], r["ref"]) for r in planned["records"] if r["action"] == "held"} == held
    assert planned["disposed"] == 0 and _state(demo_home) == before  # a dry run changes nothing

    real = kawal("records", "dispose", "--as-of", AS_OF, "--as", "om")

    assert real.exit_code == 0, real.output
    log = sql_rows(demo_home, "SELECT record_type, ref, checksum_sha256, details, actor, reason FROM disposal_log")
    assert sorted((e.record_type, e.ref) for e in log) == sorted(expected - held)  # one entry each
    for e in log:
        details = json.loads(e.details)
        doc = {"files": details["files"], "rows": details["rows"]}
        assert (
            e.checksum_sha256
            == hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        )
        assert e.actor == "om" and "IK §6" in e.reason
        if e.record_type == "source_file":
            assert details["files"] == [
                {"path": e.ref, "sha256": digests[e.ref], "bytes": details["files"][0]["bytes"]}
            ]
            assert not (landing / e.ref).exists()
            assert not staged(e.ref)  # disposed of with its landing file
    assert all((landing / ref).exists() for t, ref in held if t == "source_file")
    assert all(staged(ref) for t, ref in held if t == "source_file" and ref in staged_before)
    assert sql_rows(demo_home, "SELECT count(*) AS n FROM defect_ticket WHERE id=:t", t=int(ticket_ref[7:]))[0].n == 1
    assert not (demo_home / "reports" / report_ref).exists()
    assert sql_rows(demo_home, "SELECT count(*) AS n FROM report_delivery")[0].n == 0
    assert (
        sql_rows(demo_home, "SELECT count(*) AS n FROM notification WHERE id=:n", n=delivery.notification_id)[0].n == 0
    )
    report_entry = json.loads(next(e.details for e in log if e.record_type == "monthly_report"))
    assert [r["pdf_sha256"] for r in report_entry["rows"]["report_delivery"]] == [delivery.pdf_sha256]
    assert delivery.pdf_sha256 in {f["sha256"] for f in report_entry["files"]}  # the PDF as it was delivered
    assert sql_rows(demo_home, "SELECT count(*) AS n FROM ingestion_batch WHERE state='quarantined'")[0].n == 0
    assert sql_rows(demo_home, "SELECT count(*) AS n FROM ingestion_batch WHERE validation IS NOT NULL")[0].n == 0

    # idempotent: a second run finds only the held records and writes nothing
    after = _state(demo_home)
    assert kawal("records", "dispose", "--as-of", AS_OF, "--as", "om").exit_code == 0
    assert _state(demo_home) == after
    assert {(r["type"], r["ref"]) for r in _dry_run()["records"]} == held

    # releasing a hold lets the next run dispose of what it held
    (hold,) = sql_rows(demo_home, "SELECT id FROM legal_hold WHERE record_type='defect_ticket'")
    assert kawal("records", "release", str(hold.id), "--as", "om").exit_code == 0
    assert kawal("records", "dispose", "--as-of", AS_OF, "--as", "om").exit_code == 0
    assert sql_rows(demo_home, "SELECT count(*) AS n FROM defect_ticket WHERE id=:t", t=int(ticket_ref[7:]))[0].n == 0
    assert (
        sql_rows(demo_home, "SELECT count(*) AS n FROM defect_event WHERE ticket_id=:t", t=int(ticket_ref[7:]))[0].n
        == 0
    )
    assert ("defect_ticket", ticket_ref) in {
        (e.record_type, e.ref) for e in sql_rows(demo_home, "SELECT * FROM disposal_log")
    }


def test_register_revisions_are_listed_not_disposed(demo_home: Path) -> None:
    planned = json.loads(kawal("records", "dispose", "--dry-run", "--as-of", "2030-01-01", "--format", "json").output)

    revisions = [r for r in planned["records"] if r["type"] == "register_revision"]

    assert revisions == [
        {"type": "register_revision", "ref": "rev-1", "retain_until": "2030-01-01", "action": "manual"}
    ]
    assert {r["type"] for r in planned["records"]} <= set(RECORD_TYPES)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("dispose", "--as-of", AS_OF), "--as PERSON"),
        (("dispose", "--as-of", AS_OF, "--as", "ghost"), "--as 'ghost' is not among the people"),
        (("hold", "--type", "emails", "--ref", "*", "--reason", "x", "--as", "om"), "--type 'emails'"),
        (("hold", "--type", "*", "--ref", "*", "--reason", " ", "--as", "om"), "--reason is empty"),
        (("release", "99", "--as", "om"), "legal hold 99 does not exist"),
        (("verify-pack", "/nonexistent/pack.zip"), "no such audit pack"),
    ],
    ids=["no-actor", "unknown-actor", "unknown-type", "no-reason", "unknown-hold", "no-pack"],
)
def test_bad_records_commands_are_one_clear_line(demo_home: Path, args: tuple[str, ...], message: str) -> None:
    result = kawal("records", *args)

    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1, result.output
