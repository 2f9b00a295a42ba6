"""The monthly KPI report: figures, completeness, escaping, the PDF read back, delivery once."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kawal.ingest.delivery import day_file
from kawal.periods import days_of_month
from kawal.pipeline.monthly import alert_if_report_late, report_month_for_run
from kawal.rendering import html_to_pdf as render_pdf
from kawal.reports.context import build_context
from kawal.reports.deliver import send_report
from kawal.reports.render import render_html
from kawal.store import session_scope
from kawal.store.models import DefectTicket, ReportDelivery
from tests.reports.conftest import MISSING, MONTH, REGISTER, REPO

WIB = ZoneInfo("Asia/Jakarta")
ARTIFACTS = REPO / "var" / "test-artifacts"
# the seeded February (fixtures month_store and store) is tests/reports/conftest.py's


def _id(value: float) -> str:
    """Indonesian one-decimal format, by hand: 96.57 → '96,6'."""
    return f"{value:.1f}".replace(".", ",")


def test_figures_match_an_independent_computation(store, month_store) -> None:  # type: ignore[no-untyped-def]
    _db, landing = month_store
    answered = offered = 0
    for day in days_of_month(MONTH):
        if day == MISSING:
            continue
        with day_file(landing, "interactions", day).open(newline="") as fh:
            for r in csv.DictReader(fh):
                answered += r["outcome"] == "answered"
                offered += not (r["outcome"] == "abandoned" and float(r["wait_s"]) < 5)

    ctx = build_context(store, REGISTER, MONTH)

    performance = next(c for c in ctx.categories if c.key == "performance")
    scr = next(line for line in performance.lines if line.id == "scr")
    assert scr.actual == _id(100 * answered / offered)
    assert scr.days == "27/28"
    assert [line.external for line in performance.lines] == sorted(
        (x.external for x in performance.lines), reverse=True
    )
    assert ctx.period == "Februari 2026" and ctx.document_number == "KWL/LCKB/2026/02"
    assert ctx.kpis_total == 17 and ctx.register_rev == 1
    assert ctx.kpis_met == sum(line.status in ("met", "at_risk") for c in ctx.categories for line in c.lines)
    with session_scope(store) as s:
        tickets = s.scalars(select(DefectTicket.id)).all()
    assert sorted(d.id for d in ctx.defects) == sorted(tickets)  # every ticket with an occurrence this month


def test_missing_day_is_stated_not_hidden(store) -> None:  # type: ignore[no-untyped-def]
    ctx = build_context(store, REGISTER, MONTH)
    assert ctx.complete is False
    assert ctx.caveats == ["interactions: 1 hari hilang (2026-02-10)"]
    quality = {q.source: q for q in ctx.data_quality}
    assert (quality["interactions"].delivered, quality["interactions"].missing) == (27, ["2026-02-10"])
    assert quality["interactions"].incidents == 1  # the data incident opened for the missing file


def _mails(sink, subject: str) -> list:  # type: ignore[no-untyped-def]
    """Mails whose subject contains ``subject`` (the outbox also delivers the month's pending defect mails)."""
    return [m for m in sink.messages() if subject in m["Subject"]]


def _pdf_text(pdf: bytes) -> list[str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def test_pdf_reads_back_with_the_values_and_page_one_renders(store) -> None:  # type: ignore[no-untyped-def]
    import pypdfium2 as pdfium

    ctx = build_context(store, REGISTER, MONTH)
    pdf = render_pdf(render_html(ctx.as_dict()))

    pages = _pdf_text(pdf)
    text = "\n".join(pages)
    assert "Laporan Capaian KPI Bulanan" in pages[0] and "Februari 2026" in pages[0]
    assert "KWL/LCKB/2026/02" in pages[0] and "TIDAK lengkap" in pages[0] and "2026-02-10" in pages[0]
    scr = next(line for c in ctx.categories for line in c.lines if line.id == "scr")
    assert scr.actual in text
    assert f"Halaman 2 dari {len(pages)}" in pages[1]  # running footer with page X of Y
    for heading in ("Ringkasan eksekutif", "Defect bulan ini", "Lampiran: kualitas", "Daftar distribusi"):
        assert heading in text
    # page 1 as PNG for the visual check, kept as a test artifact
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    doc = pdfium.PdfDocument(pdf)
    image = doc[0].render(scale=1.0).to_pil().convert("L")
    doc.close()
    image.save(ARTIFACTS / "report-page1.png")
    assert abs(image.width / image.height - 210 / 297) < 0.01  # A4 portrait
    dark = sum(1 for px in image.tobytes() if px < 100)
    assert 0.002 < dark / (image.width * image.height) < 0.2  # text on a mostly white page


def test_people_input_renders_inert_and_nothing_outside_the_assets_is_fetched(store) -> None:  # type: ignore[no-untyped-def]
    from kawal.defects.lifecycle import PlannedAction
    from kawal.defects.workflow import analyse, decide

    hostile = "<script>alert(1)</script><img src=file:///etc/passwd>"
    with session_scope(store) as s:
        t = s.scalars(select(DefectTicket).where(DefectTicket.kind == "kpi_defect")).first()
        analyse(s, REGISTER, t.id, t.responsible, root_cause="r", coordinated_with="", recommendation="y")
        decide(
            s,
            REGISTER,
            t.id,
            "om",
            [PlannedAction("curative", hostile, "tl_voice", date(2099, 1, 1))],
            today=date(2026, 3, 1),
        )
    html = render_html(build_context(store, REGISTER, MONTH).as_dict())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=file:///etc/passwd&gt;" in html
    assert "<script>" not in html and "<img src=file:///etc/passwd>" not in html

    denied: list[str] = []
    probe = html.replace(
        "</body>", '<img src="file:///etc/passwd"><div style="background: url(http://127.0.0.1:9/x.png)">x</div></body>'
    )
    pdf = render_pdf(probe, denied)
    assert "file:///etc/passwd" in denied and "http://127.0.0.1:9/x.png" in denied
    assert not any(u.endswith("report.css") for u in denied)  # the project's own stylesheet is served
    assert "root:x:0:0" not in "\n".join(_pdf_text(pdf))


def test_the_english_report_mail_has_no_indonesian_words(store) -> None:  # type: ignore[no-untyped-def]
    from kawal.notify.outbox import render
    from kawal.reports.deliver import report_mail

    text, html = render(report_mail(build_context(store, REGISTER, MONTH, lang="en"), MONTH, "en", 1, REGISTER))
    body = " ".join(text.split())
    assert body.startswith("February 2026:") and "Dear Operations Manager" in body
    indonesian = ("Yth", "Yang diharapkan", "Untuk data engineering", "tidak tercapai", "terbuka", "Pesan otomatis")
    assert [w for w in indonesian if w in body or w in html] == []


def test_english_by_configuration(store) -> None:  # type: ignore[no-untyped-def]
    ctx = build_context(store, REGISTER, MONTH, lang="en")
    assert ctx.period == "February 2026" and ctx.labels["title"] == "Monthly KPI Attainment Report"
    scr = next(line for c in ctx.categories for line in c.lines if line.id == "scr")
    assert "." in scr.actual and "," not in scr.actual


def test_delivered_once_to_accountable_and_consulted_and_force_resends(store, mail_sink) -> None:  # type: ignore[no-untyped-def]
    first = send_report(store, REGISTER, MONTH)
    again = send_report(store, REGISTER, MONTH)

    assert (first.new, first.state, again.new, again.edition) == (True, "sent", False, 1)
    (mail,) = _mails(mail_sink, "Laporan Capaian KPI Bulanan")
    assert mail["To"] == "Rina Wulandari <rina.wulandari@kawal-demo.example>"
    for cc in ("fajar.nugroho", "indah.permata", "yusuf.hidayat", "wahyu.saputra"):
        assert cc in mail["Cc"]
    assert mail["Message-ID"] == first.message_id
    attachment, workbook = list(mail.iter_attachments())  # the PDF, then the month's XLSX (test_report_workbook)
    assert workbook.get_filename() == "laporan-kpi-2026-02-id.xlsx"
    pdf = attachment.get_content()
    assert attachment.get_filename() == "laporan-kpi-2026-02-id.pdf"
    assert hashlib.sha256(pdf).hexdigest() == first.sha256
    assert "Februari 2026" in _pdf_text(pdf)[0]
    archived = json.loads((Path(os.environ["KAWAL_HOME"]) / "reports/2026-02/laporan-kpi-2026-02-id.json").read_text())
    assert archived["record"] == {
        "type": "monthly_kpi_report",
        "retention_years": 3,
        "retain_until": "2030-01-01",
        "pdf": "laporan-kpi-2026-02-id.pdf",
        "xlsx": "laporan-kpi-2026-02-id.xlsx",
    }
    assert archived["context"]["document_number"] == "KWL/LCKB/2026/02"
    # #18: the body tells page 1's story: every missed KPI (judged here by hand) with its ticket
    body = " ".join(mail.get_body(("plain",)).get_content().split())
    with session_scope(store) as s:
        tickets = {t.subject: t.id for t in s.scalars(select(DefectTicket).where(DefectTicket.kind == "kpi_defect"))}
    for kpi_id, value in _missed_by_hand(store).items():
        assert REGISTER.kpi(kpi_id).name_id in body and _id(value) in body, kpi_id
        if kpi_id in tickets:
            assert f"#{tickets[kpi_id]}" in body, kpi_id
    assert "KPI tidak tercapai" in body and "nilai di bawah" not in body  # nothing promised "below"

    forced = send_report(store, REGISTER, MONTH, force=True, forced_by="om")

    assert (forced.new, forced.edition) == (True, 2)
    assert len(_mails(mail_sink, "Laporan Capaian KPI Bulanan")) == 2
    with session_scope(store) as s:
        rows = s.scalars(select(ReportDelivery).order_by(ReportDelivery.edition)).all()
        assert [(r.edition, r.forced_by, r.complete) for r in rows] == [(1, None, False), (2, "om", False)]


def test_report_month_is_the_previous_calendar_month_in_wib() -> None:
    assert report_month_for_run(datetime(2026, 11, 2, 7, 0, tzinfo=WIB)) == date(2026, 10, 1)
    assert report_month_for_run(datetime(2026, 1, 2, 7, 0, tzinfo=WIB)) == date(2025, 12, 1)
    # 31 Oct 23:30 UTC is already 1 November in Jakarta: the month to report is October
    assert report_month_for_run(datetime(2026, 10, 31, 23, 30, tzinfo=UTC)) == date(2026, 10, 1)


def test_deadline_alert_tells_accountable_and_data_engineering_once(store, mail_sink) -> None:  # type: ignore[no-untyped-def]
    on_the_5th = datetime(2026, 3, 5, 9, 0, tzinfo=WIB)
    assert alert_if_report_late(on_the_5th)["alerted"] is True
    alert_if_report_late(on_the_5th)
    (mail,) = _mails(mail_sink, "belum terkirim")
    assert "rina.wulandari" in mail["To"] and "tono.wijaya" in mail["To"]
    send_report(store, REGISTER, MONTH)
    assert alert_if_report_late(on_the_5th) == {"month": "2026-02", "delivered": True}


def test_monthly_dag_run_delivers_the_report(store, mail_sink, airflow_db) -> None:  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(REPO / "dags")).get_dag("kawal_monthly_report")

    run = dag.test(logical_date=datetime(2026, 3, 2, 7, 0, tzinfo=WIB))

    assert str(run.state) == "success"
    (mail,) = _mails(mail_sink, "Laporan Capaian KPI Bulanan")
    assert mail["Subject"] == "Laporan Capaian KPI Bulanan Februari 2026"
    sent = len(mail_sink.messages())
    rerun = dag.test(logical_date=datetime(2026, 3, 2, 7, 0, tzinfo=WIB))
    assert str(rerun.state) == "success" and len(mail_sink.messages()) == sent  # a re-run never sends again


def test_deadline_dag_run_alerts_when_nothing_was_delivered(store, mail_sink, airflow_db) -> None:  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(REPO / "dags")).get_dag("kawal_report_deadline")

    run = dag.test(logical_date=datetime(2026, 3, 5, 9, 0, tzinfo=WIB))

    assert str(run.state) == "success"
    (alert,) = _mails(mail_sink, "belum terkirim")
    assert "Laporan Capaian KPI 02/2026" in alert["Subject"]


def _missed_by_hand(store) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The month's missed KPIs from the stored month values and the register's targets, judged here
    (value on the wrong side of the target), not by the report's evaluation."""
    from kawal.register import Direction
    from kawal.store.models import KpiValue

    with session_scope(store) as s:
        rows = s.scalars(
            select(KpiValue).where(
                KpiValue.period_type == "month", KpiValue.scope == "all", KpiValue.period_start == MONTH
            )
        ).all()
        values = {v.kpi_id: v.value for v in rows if v.value is not None}
    missed = {}
    for kpi_id, value in values.items():
        kpi, target = REGISTER.kpi(kpi_id), REGISTER.target_on(kpi_id, MONTH)
        if target is None:
            continue
        higher = kpi.direction is Direction.higher_is_better
        if (value < target.value) if higher else (value > target.value):
            missed[kpi_id] = value
    return missed


def test_page_one_names_every_missed_kpi_with_owner_ticket_and_plan_status(store) -> None:  # type: ignore[no-untyped-def]
    from kawal.store.models import RecoveryAction

    missed = _missed_by_hand(store)
    assert missed, "the fixture month must miss some KPI, or this test proves nothing"
    with session_scope(store) as s:
        tickets = s.scalars(select(DefectTicket).where(DefectTicket.kind == "kpi_defect")).all()
        latest = {}
        for t in sorted(tickets, key=lambda t: (t.opened_on, t.id)):
            latest[t.subject] = (t.id, t.state)
        planned = {a.ticket_id for a in s.scalars(select(RecoveryAction))}

    ctx = build_context(store, REGISTER, MONTH)
    page1 = " ".join(_pdf_text(render_pdf(render_html(ctx.as_dict())))[0].split())
    for kpi_id, value in missed.items():
        kpi = REGISTER.kpi(kpi_id)
        assert kpi.name_id in page1 or kpi.name_id.split(" (")[0] in page1, kpi_id
        assert _id(value) in page1, kpi_id
        assert REGISTER.people.person(kpi.pic).name in page1, kpi_id  # the owner
        if kpi_id in latest:
            ticket_id, _state = latest[kpi_id]
            assert f"#{ticket_id}" in page1, kpi_id
            if ticket_id not in planned:
                assert "belum diputuskan" in page1
    assert [x.id for x in ctx.story if x.status == "breach"] == [
        x.id for c in ctx.categories for x in c.lines if x.id in missed
    ]
    assert f"{len(missed)} KPI tidak tercapai" in page1  # the headline counts the same
    assert ctx.counts["breach"] == len(missed)
    assert sum(ctx.counts.values()) == ctx.kpis_total  # not evaluable is counted apart, never as missed


def test_the_english_page_one_has_no_indonesian_words(store) -> None:  # type: ignore[no-untyped-def]
    ctx = build_context(store, REGISTER, MONTH, lang="en")
    page1 = " ".join(_pdf_text(render_pdf(render_html(ctx.as_dict())))[0].split())
    assert "What needs action" in page1 and "missed" in page1
    indonesian = ("tidak tercapai", "waspada", "terbuka", "belum diputuskan", "detik", "poin", "Pemenuhan SDM", "tiket")
    assert [w for w in indonesian if re.search(rf"\b{w}\b", page1)] == []  # "poin" inside "points" is English


def test_a_month_without_data_or_not_begun_is_refused(store) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from kawal.cli import main
    from kawal.reports.context import EmptyPeriod

    result = CliRunner().invoke(main, ["report", "2025-01"])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "no KPI value is stored for 2025-01" in lines[0], result.output
    with pytest.raises(EmptyPeriod, match="2026-04 has not begun"):
        build_context(store, REGISTER, date(2026, 4, 1), generated_at=datetime(2026, 3, 15, 9, tzinfo=WIB))
    # the month still running is reported, and says so first
    running = build_context(store, REGISTER, MONTH, generated_at=datetime(2026, 2, 20, 9, tzinfo=WIB))
    assert running.in_progress and running.caveats[0].startswith("Bulan masih berjalan")


def test_every_missed_or_at_risk_kpi_has_a_chart_and_a_monthly_kpi_is_charted_by_month(store) -> None:  # type: ignore[no-untyped-def]
    ctx = build_context(store, REGISTER, MONTH)
    charted = {c["kpi"]: c for c in ctx.charts}
    assert {x.id for x in ctx.story} <= set(charted)
    for c in charted.values():
        monthly = REGISTER.kpi(c["kpi"]).period.value == "monthly"
        assert c["period"] == ("month" if monthly else "day")
        if not monthly:  # every day of February on the axis, the missing 10th a gap for interactions KPIs
            assert len(c["points"]) == 28
    scr = charted["scr"]
    assert next(p for p in scr["points"] if p["at"] == MISSING.isoformat())["value"] is None
