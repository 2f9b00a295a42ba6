"""The audit evidence pack of the demo month: it opens, its manifest checks out (recomputed here with
hashlib), and it holds the report with its delivery proof, the minutes, every ticket of the month
with its history, the validation results and the register revision; what is absent is stated."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date
from pathlib import Path

from kawal.register import load_register
from tests.records.demo_month import MONTH, REPO, kawal, sql_rows

REGISTER = load_register(REPO / "kpi_rules")


def _finalized_minutes() -> None:
    from kawal.review.minutes import draft_minutes, finalize, record_item, set_attendees
    from kawal.store import engine_for, session_scope

    with session_scope(engine_for()) as s:
        _m, _added = draft_minutes(s, REGISTER, MONTH, "om", date(2026, 3, 4))
        set_attendees(s, REGISTER, MONTH, "om", ["om", "pic_hr"])
    with session_scope(engine_for()) as s:
        from kawal.review.minutes import add_action, content, current_draft

        doc = content(s, current_draft(s, MONTH))
        numbers = [i["number"] for i in doc["items"]]
        if numbers:
            record_item(s, REGISTER, MONTH, "om", numbers=numbers, discussion="dibahas")
        for i in doc["items"]:
            if i["kind"] == "repeat_defect":
                add_action(s, REGISTER, MONTH, "om", kind="preventive", description="cegah", owner="pic_hr",
                           due=date(2026, 4, 1), item_number=i["number"])  # fmt: skip
        finalize(s, REGISTER, MONTH, "om")


def _pack(home: Path) -> tuple[Path, dict[str, bytes]]:
    result = kawal("audit-pack", "2026-02")
    assert result.exit_code == 0, result.output
    path = home / "audit" / "audit-pack-2026-02.zip"
    with zipfile.ZipFile(path) as zf:
        return path, {n.removeprefix("audit-pack-2026-02/"): zf.read(n) for n in zf.namelist()}


def test_audit_pack_holds_the_months_evidence_and_its_manifest_checks_out(demo_home: Path) -> None:
    import pypdfium2 as pdfium

    _finalized_minutes()

    path, files = _pack(demo_home)

    manifest = json.loads(files.pop("MANIFEST.json"))
    assert {f["path"] for f in manifest["files"]} == set(files)
    for f in manifest["files"]:
        assert hashlib.sha256(files[f["path"]]).hexdigest() == f["sha256"] and len(files[f["path"]]) == f["bytes"]
    assert kawal("records", "verify-pack", str(path)).exit_code == 0
    # the report exactly as delivered, and the proof of its delivery
    (delivery,) = sql_rows(demo_home, "SELECT pdf_path, pdf_sha256, notification_id FROM report_delivery")
    pdf_name = Path(delivery.pdf_path).name
    assert files[f"laporan/{pdf_name}"] == (demo_home / delivery.pdf_path).read_bytes()
    assert hashlib.sha256(files[f"laporan/{pdf_name}"]).hexdigest() == delivery.pdf_sha256
    (mail,) = sql_rows(demo_home, "SELECT message_id, state FROM notification WHERE id=:n", n=delivery.notification_id)
    proof = json.loads(files["laporan/bukti-pengiriman.json"])["deliveries"][0]
    assert proof["email"]["message_id"] == mail.message_id and proof["email"]["state"] == mail.state == "sent"
    assert proof["pdf_archived_matches"] is True
    # the minutes, frozen and intact, readable as PDF
    minutes = json.loads(files["risalah/risalah-rapat-2026-02.json"])
    assert [(d["document_number"], d["state"], d["frozen_content_intact"]) for d in minutes["documents"]] == [
        ("KWL/RR/2026/02", "final", True)
    ]
    doc = pdfium.PdfDocument(files["risalah/risalah-rapat-2026-02.pdf"])
    assert "KWL/RR/2026/02" in doc[0].get_textpage().get_text_range()
    doc.close()
    # every ticket of the month with its full history
    expected = {
        r.id
        for r in sql_rows(
            demo_home,
            "SELECT DISTINCT t.id FROM defect_ticket t LEFT JOIN defect_occurrence o ON o.ticket_id = t.id "
            "WHERE o.period_start BETWEEN '2026-02-01' AND '2026-02-28' "
            "OR t.opened_on BETWEEN '2026-02-01' AND '2026-02-28'",
        )
    }
    tickets = {int(n[len("defect/tiket-") : -5]): json.loads(b) for n, b in files.items() if n.startswith("defect/")}
    assert expected and set(tickets) == expected
    for tid, history in tickets.items():
        (events,) = sql_rows(demo_home, "SELECT count(*) AS n FROM defect_event WHERE ticket_id=:t", t=tid)
        (occurrences,) = sql_rows(demo_home, "SELECT count(*) AS n FROM defect_occurrence WHERE ticket_id=:t", t=tid)
        assert (len(history["events"]), len(history["occurrences"])) == (events.n, occurrences.n)
    # validation results and the register revision in force
    batches = json.loads(files["validasi/batch-ingestion.json"])["batches"]
    (n_batches,) = sql_rows(
        demo_home, "SELECT count(*) AS n FROM ingestion_batch WHERE business_date BETWEEN '2026-02-01' AND '2026-02-28'"
    )
    assert len(batches) == n_batches.n > 0
    revision = json.loads(files["register/revisi.json"])
    assert revision["in_force"]["rev"] == 1 and revision["in_force"]["author"] == "om"
    assert manifest["register_revision"] == 1
    assert files["register/register.yaml"] == (REPO / "kpi_rules" / "register.yaml").read_bytes()
    # what is not there is said, not hidden
    assert any("Data Docs" in line for line in manifest["absent"])
    assert not any(line.startswith("risalah") for line in manifest["absent"])


def test_data_docs_are_included_when_present_and_a_tampered_pack_fails(demo_home: Path) -> None:
    docs = demo_home / "gx-docs" / "local_site"
    docs.mkdir(parents=True)
    (docs / "index.html").write_text("<html>validation</html>")

    path, files = _pack(demo_home)

    manifest = json.loads(files["MANIFEST.json"])
    assert files["validasi/gx-docs/local_site/index.html"] == b"<html>validation</html>"
    assert not any("Data Docs" in line for line in manifest["absent"])
    assert any("belum ada risalah" in line for line in manifest["absent"])  # no minutes recorded yet
    # tamper with one entry: the check names it
    tampered = path.with_name("tampered.zip")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("register/revisi.json"):
                data = data.replace(b'"rev": 1', b'"rev": 2')
            dst.writestr(info, data)
    result = kawal("records", "verify-pack", str(tampered))
    assert result.exit_code == 1 and "register/revisi.json: checksum or size differs" in result.output
