"""The minutes as the report's look-alike PDF: context (plain data) → HTML (pure) → PDF.

The template lives next to the report's (``kawal/reports/templates/minutes.html.j2``, package data) and
shares its CSS; the PDF goes through :func:`kawal.rendering.html_to_pdf`, whose URL fetcher serves only
Kawal's assets — people's text in the minutes is escaped by Jinja2's autoescape.

A finalized document is printed as it was frozen (ISO 9001 7.5.3; §4.7, §5.5): each action with the status
it had when the document was finalized. That status is a function of the frozen version alone — the
action's due date (inside the hashed content) and the moment of freezing (``finalized_at``, written by the
same statement as the hash): nothing can be reported done on a draft (:func:`kawal.review.actions.mark_done`),
so at the freeze every action is *open*, or *overdue* if its due day had already passed. Later progress is
printed only in a separate, dated annex ("Lampiran: status per <date>"), never inside the document; the
hashed content (:func:`kawal.review.minutes.content`) is unchanged, so the audit pack's check still holds.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from kawal.notify.catalogue import SITE_LANG
from kawal.register import Register
from kawal.review.actions import action_status
from kawal.review.catalogue import minutes_words
from kawal.review.minutes import content, documents
from kawal.settings import in_site_time, kawal_home
from kawal.store.models import DefectTicket, ReviewAction, ReviewMinutes


def frozen_status(action: ReviewAction, minutes: ReviewMinutes) -> str | None:
    """The action's status as the finalized ``minutes`` froze it (see the module doc); None on a draft."""
    if minutes.state != "final" or minutes.finalized_at is None:
        return None
    return "overdue" if action.due_date < in_site_time(minutes.finalized_at).date() else "open"


def _kpi(register: Register, kpi_id: str, lang: str) -> str:
    if not register.has_kpi(kpi_id):
        return kpi_id
    k = register.kpi(kpi_id)
    return k.name_id if lang == "id" else k.name_en


def _title(session: Session, register: Register, item: dict, lang: str, L: dict[str, str]) -> str:
    """A pre-filled item's title in the rendering's language, from its frozen kind/ticket/KPI; people's
    items (and the site's own language) keep the title as recorded."""
    kind, stored = item["kind"], item["title"]
    if lang == SITE_LANG or kind == "other":
        return stored
    if kind in ("defect", "repeat_defect") and item["ticket_id"] is not None and item["kpi_id"]:
        return L[f"t.{kind}"].format(id=item["ticket_id"], kpi=_kpi(register, item["kpi_id"], lang))
    if kind == "data_incident" and item["ticket_id"] is not None:
        t = session.get(DefectTicket, item["ticket_id"])
        return L["t.data_incident"].format(id=item["ticket_id"], source=t.subject if t else "—")
    if kind == "kpi_at_risk" and item["kpi_id"]:
        return _kpi(register, item["kpi_id"], lang)
    if kind == "overdue_action" and ": " in stored:  # the action's own words follow Kawal's prefix
        what = stored.split(": ", 1)[1]
        ref = item["ref"] or ""
        if ref.startswith("recovery:"):
            return L["t.overdue_recovery"].format(id=item["ticket_id"], what=what)
        month = stored.split(" ")[2] if stored.startswith("Tindakan review ") else "—"
        return L["t.overdue_review"].format(month=month, what=what)
    return stored


def _day(day: date, lang: str) -> str:
    from babel.dates import format_date

    return format_date(day, "d MMMM y", locale=lang)


def minutes_context(session: Session, register: Register, first: date, as_of: date, lang: str = SITE_LANG) -> dict:
    """Everything the rendered minutes say: each document (minutes, addenda) with names resolved, and the
    annex of the actions' status on ``as_of``.

    Per action: ``status``/``state`` on ``as_of`` (what ``kawal review show`` and the board list),
    ``frozen_status``/``frozen_state`` as the finalized document froze it (what its print shows)."""
    from babel.dates import format_date

    L = minutes_words(lang)
    people = register.people
    out = []
    annex = []
    for m in documents(session, first):
        doc = content(session, m)
        progress = {a.id: a for a in session.query(ReviewAction).filter(ReviewAction.minutes_id == m.id)}
        for a in doc["actions"]:
            stored = progress[a["id"]]
            status = action_status(stored, as_of)
            frozen = frozen_status(stored, m)
            a["kind_label"] = L[f"kind.{a['kind']}"]
            a["owner_name"] = people.describe(a["owner"], "role")
            a["status"] = L[f"status.{status}"] + (f" {stored.done_on}" if stored.done_on else "")
            a["state"] = status
            a["frozen_state"] = frozen
            a["frozen_status"] = L[f"status.{frozen}"] if frozen else None
            a["link"] = " · ".join(
                x
                for x in (
                    L["ticket_ref"].format(id=a["ticket_id"]) if a["ticket_id"] is not None else "",
                    _kpi(register, a["kpi_id"], lang) if a["kpi_id"] else "",
                )
                if x
            )
            if frozen:
                annex.append({**a, "document_number": doc["document_number"]})
        for i in doc["items"]:
            i["kind_label"] = L.get(f"item.{i['kind']}", i["kind"])
            i["title_shown"] = _title(session, register, i, lang, L)
        doc["attendee_names"] = [people.describe(p, "role") for p in doc["attendees"]]
        doc["chair_name"] = people.describe(doc["chair"], "role")
        doc["state"] = m.state
        doc["finalized"] = (
            L["finalized_value"].format(
                at=f"{in_site_time(m.finalized_at):%Y-%m-%d %H:%M %Z}", by=people.describe(m.finalized_by or "")
            )
            if m.finalized_at
            else None
        )
        doc["content_sha256"] = m.content_sha256
        # the approval block (§4.7: the Accountable chairs and signs off): who drafted, who approved, when
        preparer, chair = people.person(m.created_by), people.person(m.chair)
        doc["approval"] = {
            "prepared": {
                "name": preparer.name if preparer else m.created_by,
                "role": preparer.role if preparer else "",
                "date": in_site_time(m.created_at).date().isoformat(),
            },
            "approved": {
                "name": chair.name if chair else m.chair,
                "role": L["accountable"] + (f" · {chair.role}" if chair and chair.role else ""),
                "date": in_site_time(m.finalized_at).date().isoformat() if m.finalized_at else None,
            },
        }
        out.append(doc)
    revision = register.revision_in_force(first)
    return {
        "lang": lang,
        "month": first.strftime("%Y-%m"),
        "period": format_date(first, "MMMM y", locale="id_ID" if lang == "id" else "en_GB"),
        "register_rev": revision.rev if revision else None,
        "register_rev_effective": revision.effective_from.isoformat() if revision else "—",
        "documents": out,
        "annex": {"as_of": as_of.isoformat(), "as_of_text": _day(as_of, lang), "actions": annex} if annex else None,
    }


def render_minutes_html(context: dict) -> str:
    from kawal.rendering import document_environment

    L = dict(minutes_words(context.get("lang", SITE_LANG)))
    # "Halaman {page} dari {pages}": the words around the page counters of the CSS margin box
    L["page_before"], rest = L["page"].split("{page}", 1)
    L["page_between"] = rest.split("{pages}", 1)[0]
    return document_environment().get_template("minutes.html.j2").render(ctx=context, L=L)


def render_minutes_pdf(context: dict) -> bytes:
    from kawal.rendering import html_to_pdf

    return html_to_pdf(render_minutes_html(context))


def minutes_pdf_path(first: date, lang: str = SITE_LANG, as_of: date | None = None) -> Path:
    """Where a rendering of the minutes is archived (records retention: minutes, 3 years, §6): one file per
    language and day of its annex — a later rendering is a new file beside it, never over it (§7.5.3)."""
    stem = f"risalah-rapat-{first:%Y-%m}" + ("" if lang == SITE_LANG else f"-{lang}")
    if as_of is not None:
        stem += f"-per-{as_of.isoformat()}"
    return kawal_home() / "reviews" / first.strftime("%Y-%m") / f"{stem}.pdf"


def write_minutes_pdf(context: dict, out: Path, *, archive: bool = False) -> tuple[Path, bool]:
    """Write the PDF; returns (path, written). Into the archive (``archive``) an existing file with the
    same bytes is left as it is, and one that differs is never replaced: the new rendering goes beside it
    (``…-2.pdf``, ``…-3.pdf``). Elsewhere (``--out``, outside every record folder) the file is replaced."""
    pdf = render_minutes_pdf(context)
    out.parent.mkdir(parents=True, exist_ok=True)
    path, n = out, 1
    while archive and path.exists():
        if path.read_bytes() == pdf:
            return path, False
        n += 1
        path = out.with_name(f"{out.stem}-{n}{out.suffix}")
    tmp = path.with_suffix(".pdf.part")
    tmp.write_bytes(pdf)
    tmp.replace(path)  # never a half-written PDF under the final name
    return path, True
