"""The month's KPI table as XLSX (#18): read back with openpyxl, its figures checked against numbers
worked out here from the seeded month's own CSV files (never from the report's code), and the report
mail carrying the PDF and the workbook through a real SMTP server."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from kawal.ingest.delivery import day_file
from kawal.periods import days_of_month
from kawal.reports.context import build_context
from kawal.reports.deliver import send_report
from kawal.reports.workbook import month_workbook, workbook_bytes
from kawal.store import session_scope
from kawal.store.models import Notification, ReportDelivery
from tests.reports.conftest import MISSING, MONTH, REGISTER


def _scr_by_hand(landing: Path) -> dict[str, tuple[int, int]]:
    """(answered, offered − short abandons) of February per channel and overall ('all'), from the CSVs."""
    counts: dict[str, list[int]] = {}
    for day in days_of_month(MONTH):
        if day == MISSING:
            continue
        with day_file(landing, "interactions", day).open(newline="") as fh:
            for r in csv.DictReader(fh):
                answered = r["outcome"] == "answered"
                offered = not (r["outcome"] == "abandoned" and float(r["wait_s"]) < 5)  # register: short_abandon_s 5
                for key in ("all", f"channel={r['channel']}"):
                    c = counts.setdefault(key, [0, 0])
                    c[0] += answered
                    c[1] += offered
    return {k: (a, o) for k, (a, o) in counts.items()}


def _rows(ws) -> list[dict]:  # type: ignore[no-untyped-def]
    header = [c.value for c in ws[1]]
    return [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]


def _cells(ws, kpi_id: str) -> dict:  # type: ignore[no-untyped-def]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == kpi_id)  # column B: the KPI's id
    return dict(zip(header, row, strict=True))


def test_the_kpi_sheet_has_the_months_figures_as_numbers(store, month_store) -> None:  # type: ignore[no-untyped-def]
    by_hand = _scr_by_hand(month_store[1])
    answered, offered = by_hand["all"]

    xlsx = month_workbook(store, REGISTER, MONTH, "id")

    book = load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames == ["KPI", "Rincian", "Keterangan"]
    kpis = book["KPI"]
    assert [c.value for c in kpis[1]][:12] == [
        "Kategori", "ID KPI", "KPI", "Lingkup", "Satuan", "Arah", "Pembilang", "Penyebut", "Aktual", "Target",
        "Batas waspada", "Status",
    ]  # fmt: skip
    scr = _cells(kpis, "scr")
    assert (scr["Pembilang"].value, scr["Penyebut"].value) == (answered, offered)
    assert scr["Aktual"].value == pytest.approx(100 * answered / offered)
    assert (scr["Target"].value, scr["Batas waspada"].value) == (95, 96)  # kpi_rules/register.yaml
    value = 100 * answered / offered
    expected = "tidak tercapai" if value < 95 else ("waspada" if value < 96 else "tercapai")
    assert scr["Status"].value == expected
    for name in ("Pembilang", "Penyebut", "Aktual", "Target", "Batas waspada"):
        assert isinstance(scr[name].value, int | float), name  # numbers, never text
        assert scr[name].number_format != "General", name
    assert scr["Kategori"].value == "Performance" and scr["Lingkup"].value == "eksternal"
    # every KPI of the register, once (17 reported at the demo site), and no person's name anywhere
    ids = [r["ID KPI"] for r in _rows(kpis)]
    assert len(ids) == len(set(ids)) == 17
    names = [p.name for p in REGISTER.people.people]
    text = " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value is not None)
    assert [n for n in names if n in text] == []


def test_the_breakdown_sheet_has_each_channel(store, month_store) -> None:  # type: ignore[no-untyped-def]
    by_hand = _scr_by_hand(month_store[1])

    book = load_workbook(io.BytesIO(month_workbook(store, REGISTER, MONTH, "id")))

    rows = {r["Rincian"]: r for r in _rows(book["Rincian"]) if r["ID KPI"] == "scr"}
    channels = {k for k in by_hand if k != "all"}
    assert set(rows) == channels
    for scope in channels:
        answered, offered = by_hand[scope]
        assert (rows[scope]["Pembilang"], rows[scope]["Penyebut"]) == (answered, offered), scope
        assert rows[scope]["Aktual"] == pytest.approx(100 * answered / offered), scope


def test_english_headers_and_the_same_bytes_twice(store) -> None:  # type: ignore[no-untyped-def]
    ctx = build_context(store, REGISTER, MONTH, "en")

    first, second = workbook_bytes(ctx), workbook_bytes(ctx.as_dict())

    assert first == second  # deterministic: the same context, the same SHA-256
    book = load_workbook(io.BytesIO(first))
    assert book.sheetnames == ["KPIs", "Breakdowns", "About"]
    header = [c.value for c in book["KPIs"][1]]
    assert header[:12] == [
        "Category", "KPI id", "KPI", "Scope", "Unit", "Direction", "Numerator", "Denominator", "Actual", "Target",
        "Warning", "Status",
    ]  # fmt: skip
    scr = _cells(book["KPIs"], "scr")
    assert scr["KPI"].value == "Success Call Ratio" and scr["Scope"].value == "external"


def test_the_cli_writes_the_workbook_and_refuses_another_suffix(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from kawal.cli import main

    out = tmp_path / "out" / "kpi-2026-02.xlsx"
    result = CliRunner().invoke(main, ["report", "workbook", "2026-02", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert load_workbook(out).sheetnames == ["KPI", "Rincian", "Keterangan"]
    refused = CliRunner().invoke(main, ["report", "workbook", "2026-02", "--out", str(tmp_path / "k.csv")])
    lines = [line for line in refused.output.splitlines() if line.strip()]
    assert refused.exit_code != 0 and len(lines) == 1 and ".xlsx" in lines[0], refused.output


def test_the_report_mail_carries_the_pdf_and_the_workbook_once(store, mail_sink) -> None:  # type: ignore[no-untyped-def]
    first = send_report(store, REGISTER, MONTH)
    again = send_report(store, REGISTER, MONTH)

    assert (first.new, first.state, again.new) == (True, "sent", False)
    (mail,) = [m for m in mail_sink.messages() if "Laporan Capaian KPI Bulanan" in m["Subject"]]
    pdf, xlsx = list(mail.iter_attachments())
    assert (pdf.get_filename(), xlsx.get_filename()) == ("laporan-kpi-2026-02-id.pdf", "laporan-kpi-2026-02-id.xlsx")
    assert xlsx.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    pdf_bytes, xlsx_bytes = pdf.get_content(), xlsx.get_content()
    with session_scope(store) as s:
        delivery = s.scalars(select(ReportDelivery)).one()
        notification = s.get(Notification, delivery.notification_id)
        # the delivery proof: both files' SHA-256 as recorded, and as sent
        assert hashlib.sha256(pdf_bytes).hexdigest() == delivery.pdf_sha256 == first.sha256
        assert hashlib.sha256(xlsx_bytes).hexdigest() == delivery.xlsx_sha256 == first.xlsx_sha256
        assert notification.more_attachments == [
            {"path": notification.attachment_path.removesuffix(".pdf") + ".xlsx", "sha256": delivery.xlsx_sha256}
        ]
    assert _cells(load_workbook(io.BytesIO(xlsx_bytes))["KPI"], "scr")["Pembilang"].value > 0


def test_a_workbook_changed_after_queueing_is_not_sent(store, mail_sink, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import kawal.reports.deliver as deliver
    from kawal.notify.outbox import deliver_pending

    with monkeypatch.context() as queue_only:
        queue_only.setattr(deliver, "deliver_pending", lambda *a, **k: None)
        status = send_report(store, REGISTER, MONTH)
    with session_scope(store) as s:
        n = s.scalars(select(Notification).where(Notification.kind == "monthly_report")).one()
        Path(n.more_attachments[0]["path"]).write_bytes(b"tampered")

    report = deliver_pending(store, REGISTER)

    assert status.state == "pending"
    assert any("SHA-256 differs" in r and "report:2026-02:1" in r for r in report.refused), report
    assert [m for m in mail_sink.messages() if "Laporan Capaian" in m["Subject"]] == []
