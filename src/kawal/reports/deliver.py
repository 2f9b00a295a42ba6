"""Producing, archiving and delivering the monthly report.

- ``produce``: context → HTML → PDF, archived under ``$KAWAL_HOME/reports/YYYY-MM/`` with the JSON
  context it was rendered from (record retention: reports, 3 years, work instruction §6).
- ``send_report``: once per month — the first call produces edition 1, queues one email (To the
  Accountable, Cc the Consulted lists, the PDF and the month's KPI workbook (XLSX, kawal.reports.workbook)
  attached, both SHA-256 recorded) in the outbox and delivers it; every later
  call finds the delivery and sends nothing. ``force=True`` (``kawal report send MONTH --force``)
  produces and sends a new edition on purpose.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from kawal.notify.outbox import Mail, deliver_pending, enqueue
from kawal.register import Register
from kawal.rendering import html_to_pdf
from kawal.reports.context import ReportContext, build_context
from kawal.reports.render import render_html
from kawal.settings import kawal_home
from kawal.store.db import session_scope
from kawal.store.locks import named_lock
from kawal.store.models import Notification, ReportDelivery

#: Work instruction §6: registers and reports are retained for 3 years (counted from the year end).
RETENTION_YEARS = 3


@dataclass(frozen=True)
class Produced:
    pdf: Path
    context: Path
    sha256: str
    ctx: ReportContext
    #: the month's KPI workbook next to the PDF, when asked for (the report mail carries both)
    xlsx: Path | None = None
    xlsx_sha256: str | None = None


def produce(
    engine: Engine,
    register: Register,
    first: date,
    *,
    lang: str = "id",
    out: Path | None = None,
    stem: str | None = None,
    workbook: bool = False,
) -> Produced:
    ctx = build_context(engine, register, first, lang)
    pdf = html_to_pdf(render_html(ctx.as_dict()))
    folder = kawal_home() / "reports" / first.strftime("%Y-%m")
    pdf_path = out or folder / f"{stem or f'laporan-kpi-{first:%Y-%m}-{lang}'}.pdf"
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = pdf_path.with_suffix(".pdf.part")
    tmp.write_bytes(pdf)
    tmp.replace(pdf_path)  # never a half-written PDF under the final name
    context_path = pdf_path.with_suffix(".json")
    # §6: reports are kept 3 years; the retention class travels with the archived record
    retain_until = first.replace(year=first.year + RETENTION_YEARS + 1, month=1, day=1)
    record = {
        "record": {
            "type": "monthly_kpi_report",
            "retention_years": RETENTION_YEARS,
            "retain_until": retain_until.isoformat(),
            "pdf": pdf_path.name,
        },
        "context": ctx.as_dict(),
    }
    xlsx_path = xlsx_sha256 = None
    if workbook:  # from the same context as the PDF: the two never disagree
        from kawal.reports.workbook import workbook_bytes

        xlsx = workbook_bytes(ctx)
        xlsx_path = pdf_path.with_suffix(".xlsx")
        tmp = xlsx_path.with_suffix(".xlsx.part")
        tmp.write_bytes(xlsx)
        tmp.replace(xlsx_path)
        xlsx_sha256 = hashlib.sha256(xlsx).hexdigest()
        record["record"]["xlsx"] = xlsx_path.name
    context_path.write_text(json.dumps(record, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return Produced(pdf_path, context_path, hashlib.sha256(pdf).hexdigest(), ctx, xlsx_path, xlsx_sha256)


@dataclass(frozen=True)
class DeliveryStatus:
    month: str
    edition: int
    pdf: str
    sha256: str
    state: str
    sent_at: str | None
    message_id: str
    to: str
    cc: str
    new: bool
    xlsx_sha256: str | None = None


def _status(d: ReportDelivery, n: Notification, new: bool) -> DeliveryStatus:
    from kawal.settings import in_site_time

    return DeliveryStatus(
        d.month.strftime("%Y-%m"),
        d.edition,
        d.pdf_path,
        d.pdf_sha256,
        n.state,
        in_site_time(n.sent_at).strftime("%Y-%m-%d %H:%M:%S WIB") if n.sent_at else None,
        n.message_id,
        n.to_addrs,
        n.cc_addrs,
        new,
        d.xlsx_sha256,
    )


def send_report(
    engine: Engine,
    register: Register,
    first: date,
    *,
    lang: str = "id",
    force: bool = False,
    forced_by: str | None = None,
) -> DeliveryStatus:
    """Deliver the month's report once (or a new edition when forced). One send of a month at a time
    (kawal.store.locks): a second ``kawal report send`` started meanwhile waits, then finds the delivery
    and sends nothing, as a re-run does — never a second edition 1, never an overwritten archived PDF."""
    with named_lock(engine, f"report-send:{first:%Y-%m}"):
        return _send_report(engine, register, first, lang=lang, force=force, forced_by=forced_by)


def _send_report(
    engine: Engine, register: Register, first: date, *, lang: str, force: bool, forced_by: str | None
) -> DeliveryStatus:
    with session_scope(engine) as s:
        latest = s.scalars(
            select(ReportDelivery).where(ReportDelivery.month == first).order_by(ReportDelivery.edition.desc())
        ).first()
        edition = 1 if latest is None else latest.edition + 1
    new = latest is None or force
    if new:
        stem = f"laporan-kpi-{first:%Y-%m}-{lang}" + (f"-edisi-{edition}" if edition > 1 else "")
        produced = produce(engine, register, first, lang=lang, stem=stem, workbook=True)
        if produced.xlsx is None or produced.xlsx_sha256 is None:  # produce(workbook=True) always writes it
            raise RuntimeError("the month's workbook was not written")
        people = register.people
        with session_scope(engine) as s:
            enqueue(
                s,
                register,
                key=f"report:{first:%Y-%m}:{edition}",
                kind="monthly_report",
                ticket_id=None,
                to=[people.accountable],
                cc=[pid for ids in people.consulted.values() for pid in ids],
                mail=report_mail(produced.ctx, first, lang, edition, register),
                attachment=produced.pdf,
                attachment_sha256=produced.sha256,
                more_attachments=[(produced.xlsx, produced.xlsx_sha256)],
            )
            notification = s.scalars(
                select(Notification).where(Notification.dedup_key == f"report:{first:%Y-%m}:{edition}")
            ).one()
            s.add(
                ReportDelivery(
                    month=first,
                    edition=edition,
                    lang=lang,
                    pdf_path=_relative(produced.pdf),
                    context_path=str(produced.context),
                    pdf_sha256=produced.sha256,
                    xlsx_path=_relative(produced.xlsx),
                    xlsx_sha256=produced.xlsx_sha256,
                    register_rev=produced.ctx.register_rev,
                    complete=produced.ctx.complete,
                    notification_id=notification.id,
                    created_at=datetime.now(UTC),
                    forced_by=forced_by,
                )
            )
    deliver_pending(engine, register)
    with session_scope(engine) as s:
        d = s.scalars(
            select(ReportDelivery).where(ReportDelivery.month == first).order_by(ReportDelivery.edition.desc())
        ).first()
        n = s.get(Notification, d.notification_id)
        return _status(d, n, new)


def _relative(path: Path) -> str:
    """An archived file's path as recorded: relative to KAWAL_HOME when under it."""
    return str(path.relative_to(kawal_home())) if path.is_relative_to(kawal_home()) else str(path)


def delivered(engine: Engine, first: date) -> bool:
    """Was the month's report sent (at least one edition's mail accepted by the SMTP server)?"""
    with session_scope(engine) as s:
        return bool(
            s.scalar(
                select(func.count())
                .select_from(ReportDelivery)
                .join(Notification, Notification.id == ReportDelivery.notification_id)
                .where(ReportDelivery.month == first, Notification.state == "sent")
            )
        )


def report_mail(ctx: ReportContext, first: date, lang: str, edition: int, register: Register) -> Mail:
    """The report mail says what page 1 says (#18): the headline, then every missed and at-risk KPI
    with actual vs target and where its ticket stands, then the data caveats; in the report's language."""
    labels = ctx.labels
    tone = "breach" if ctx.counts.get("breach") else ("at_risk" if ctx.counts.get("at_risk") else "met")
    return Mail(
        subject=labels["mail_subject"].format(period=ctx.period)
        + (f" ({labels['edition']} {edition})" if edition > 1 else ""),
        headline=ctx.headline,
        tone=tone,
        greeting=labels["mail_greeting"],
        intro=labels["mail_intro"].format(period=ctx.period),
        facts=[
            *[
                (
                    f"{x.name} — {x.status_label}",
                    f"{x.actual} ({labels['target'].lower()} {x.target}) · {x.ticket} {x.plan}",
                )
                for x in ctx.story
            ],
            *[
                (f"{labels['category']} {t['label']}", f"{t['met']}/{t['total']} {labels['kpis_met']}")
                for t in ctx.tiles
            ],
            (labels["register_revision"], str(ctx.register_rev)),
            (labels["document_number"], ctx.document_number),
        ],
        expected=labels["complete"] if ctx.complete else labels["mail_incomplete"] + " " + "; ".join(ctx.caveats),
        how_to_act=[f"kawal report {first:%Y-%m} --lang {lang}"],
        lang=lang,
    )
