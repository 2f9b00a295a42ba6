"""The minutes as the report's look-alike PDF: context (plain data) → HTML (pure) → PDF.

The template lives next to the report's (``kawal/reports/templates/minutes.html.j2``, package data) and
shares its CSS; the PDF goes through :func:`kawal.rendering.html_to_pdf`, whose URL fetcher serves only
Kawal's assets — people's text in the minutes is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from kawal.register import Register
from kawal.review.actions import action_status
from kawal.review.minutes import content, documents
from kawal.review.terms import ACTION_KIND_LABEL, ITEM_KIND_LABEL, STATUS_LABEL
from kawal.settings import in_site_time, kawal_home
from kawal.store.models import ReviewAction


def minutes_context(session: Session, register: Register, first: date, as_of: date) -> dict:
    """Everything the rendered minutes say: each document (minutes, addenda) with names resolved."""
    from babel.dates import format_date

    people = register.people
    out = []
    for m in documents(session, first):
        doc = content(session, m)
        progress = {a.id: a for a in session.query(ReviewAction).filter(ReviewAction.minutes_id == m.id)}
        for a in doc["actions"]:
            stored = progress[a["id"]]
            status = action_status(stored, as_of)
            a["kind_label"] = ACTION_KIND_LABEL[a["kind"]]
            a["owner_name"] = people.describe(a["owner"], "role")
            a["status"] = STATUS_LABEL[status] + (f" {stored.done_on}" if stored.done_on else "")
            a["state"] = status
            a["link"] = " · ".join(
                x
                for x in (
                    f"tiket #{a['ticket_id']}" if a["ticket_id"] is not None else "",
                    (register.kpi(a["kpi_id"]).name_id if register.has_kpi(a["kpi_id"]) else a["kpi_id"])
                    if a["kpi_id"]
                    else "",
                )
                if x
            )
        for i in doc["items"]:
            i["kind_label"] = ITEM_KIND_LABEL.get(i["kind"], i["kind"])
        doc["attendee_names"] = [people.describe(p, "role") for p in doc["attendees"]]
        doc["chair_name"] = people.describe(doc["chair"], "role")
        doc["state"] = m.state
        doc["finalized"] = (
            f"{in_site_time(m.finalized_at):%Y-%m-%d %H:%M %Z} oleh {people.describe(m.finalized_by or '')}"
            if m.finalized_at
            else None
        )
        doc["content_sha256"] = m.content_sha256
        out.append(doc)
    revision = register.revision_in_force(first)
    return {
        "month": first.strftime("%Y-%m"),
        "period": format_date(first, "MMMM y", locale="id_ID"),
        "register_rev": revision.rev if revision else None,
        "register_rev_effective": revision.effective_from.isoformat() if revision else "—",
        "documents": out,
    }


def render_minutes_html(context: dict) -> str:
    from kawal.rendering import document_environment

    return document_environment().get_template("minutes.html.j2").render(ctx=context)


def render_minutes_pdf(context: dict) -> bytes:
    from kawal.rendering import html_to_pdf

    return html_to_pdf(render_minutes_html(context))


def minutes_pdf_path(first: date) -> Path:
    """Where rendered minutes are archived (records retention: minutes, 3 years, §6)."""
    return kawal_home() / "reviews" / first.strftime("%Y-%m") / f"risalah-rapat-{first:%Y-%m}.pdf"


def write_minutes_pdf(context: dict, out: Path) -> Path:
    pdf = render_minutes_pdf(context)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".pdf.part")
    tmp.write_bytes(pdf)
    tmp.replace(out)  # never a half-written PDF under the final name
    return out
