"""``kawal review …``: draft, fill, finalize and render the monthly review minutes (§4.7, §5.5).

Who acts is given with ``--as PERSON_ID`` (kpi_rules/people.yaml). The Accountable chairs: only they
finalize or open an addendum. A finalized document is frozen; commands that would change it refuse
with one line saying to open an addendum.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from kawal.cli.context import date_option, lang_option, month_option, store_context, today
from kawal.errors import KawalError


def _w(lang: str, key: str, **fields: object) -> str:
    """One of the CLI's own lines in ``lang`` (the minutes catalogue, kawal.review.catalogue)."""
    from kawal.review.catalogue import minutes_words

    return minutes_words(lang)[key].format(**fields)


MONTH = click.argument("month", callback=month_option, metavar="YYYY-MM")
AS = click.option("--as", "person", required=True, help="person id (kpi_rules/people.yaml) doing this")


@click.group("review")
def review() -> None:
    """Monthly review minutes (Risalah Rapat, §4.7, §5.5): new, attendees, item, action, finalize, render."""


@review.command("new")
@MONTH
@AS
@click.option("--meeting-date", callback=date_option, default=None, help="YYYY-MM-DD; default today (site time)")
@click.option("--place", default=None, help="where the meeting is held")
@lang_option
def new(month: date, person: str, meeting_date: date | None, place: str | None, lang: str) -> None:
    """Draft the minutes of MONTH, pre-filled with its defects, repeat breaches, overdue actions, KPIs at risk."""
    from kawal.review.minutes import draft_minutes
    from kawal.review.terms import document_number
    from kawal.store import session_scope

    register, engine = store_context()
    with session_scope(engine) as s:
        minutes, added = draft_minutes(s, register, month, person, meeting_date or today(), place)
        number = document_number(minutes.month, minutes.sequence)
    click.echo(_w(lang, "cli.drafted", number=number, n=added, month=f"{month:%Y-%m}"))


@review.command("show")
@MONTH
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@lang_option
def show(month: date, fmt: str, lang: str) -> None:
    """The minutes of MONTH and their addenda, with each action's status today."""
    from sqlalchemy.orm import Session

    from kawal.review.render import minutes_context

    register, engine = store_context()
    with Session(engine) as s:
        ctx = minutes_context(s, register, month, today(), lang)
    if not ctx["documents"]:
        raise KawalError(_w(lang, "cli.no_minutes", month=f"{month:%Y-%m}"))
    if fmt == "json":
        click.echo(json.dumps(ctx, indent=2, ensure_ascii=False))
        return
    for doc in ctx["documents"]:
        state = _w(lang, "cli.final" if doc["state"] == "final" else "cli.draft")
        click.echo(
            _w(lang, "cli.header", number=doc["document_number"], state=state, meeting=doc["meeting_date"],
               chair=doc["chair_name"])
        )  # fmt: skip
        if doc["reason"]:
            click.echo(_w(lang, "cli.reason", reason=doc["reason"]))
        click.echo(_w(lang, "cli.present", names=", ".join(doc["attendee_names"]) or "—"))
        for i in doc["items"]:
            click.echo(f"  [{i['number']}] {i['kind_label']}: {i['title_shown']}")
            if i["facts"]:
                click.echo(_w(lang, "cli.facts", facts=i["facts"]))
            click.echo(_w(lang, "cli.discussion", text=i["discussion"] or "—"))
            click.echo(_w(lang, "cli.decision", text=i["decision"] or "—"))
        for a in doc["actions"]:  # today's status (the print of a final document shows it as frozen)
            click.echo(
                _w(lang, "cli.action", id=a["id"], kind=a["kind_label"], what=a["description"], owner=a["owner_name"],
                   due=a["due_date"], link=a["link"], status=a["status"])
            )  # fmt: skip


@review.command("attendees")
@MONTH
@AS
@click.argument("people", nargs=-1, required=True)
@lang_option
def attendees(month: date, person: str, people: tuple[str, ...], lang: str) -> None:
    """Record who attended (person ids)."""
    from kawal.review.minutes import set_attendees
    from kawal.store import session_scope

    register, engine = store_context()
    with session_scope(engine) as s:
        present = set_attendees(s, register, month, person, list(people))
    click.echo(_w(lang, "cli.attendees", n=len(present), ids=", ".join(present)))


@review.command("item")
@MONTH
@AS
@click.option("--item", "numbers", type=int, multiple=True, help="item number to fill (repeatable)")
@click.option("--title", default=None, help="add a new item with this title")
@click.option("--discussion", default=None)
@click.option("--decision", default=None)
@click.option("--ticket", "ticket_id", type=int, default=None, help="a new item's defect ticket")
@click.option("--kpi", "kpi_id", default=None, help="a new item's KPI id")
@lang_option
def item(
    month: date, person: str, numbers: tuple[int, ...], title, discussion, decision, ticket_id, kpi_id, lang
) -> None:  # type: ignore[no-untyped-def]
    """Record the discussion and decision of item(s), or add a new item (--title)."""
    from kawal.review.minutes import record_item
    from kawal.store import session_scope

    register, engine = store_context()
    with session_scope(engine) as s:
        items = record_item(
            s,
            register,
            month,
            person,
            numbers=list(numbers),
            title=title,
            discussion=discussion,
            decision=decision,
            ticket_id=ticket_id,
            kpi_id=kpi_id,
        )
        done = [i.number for i in items]
    click.echo(_w(lang, "cli.items", numbers=", ".join(map(str, done))))


@review.command("action")
@MONTH
@AS
@click.option("--kind", required=True, help="preventive (mitigating) or curative (corrective)")
@click.option("--what", required=True, help="what will be done")
@click.option("--owner", required=True, help="person id responsible")
@click.option("--due", required=True, callback=date_option, help="YYYY-MM-DD")
@click.option("--item", "item_number", type=int, default=None, help="the agenda item it answers")
@click.option("--ticket", "ticket_id", type=int, default=None, help="defect ticket it is linked to")
@click.option("--kpi", "kpi_id", default=None, help="KPI it is linked to")
@lang_option
def action(
    month: date, person: str, kind: str, what: str, owner: str, due: date, item_number, ticket_id, kpi_id, lang
) -> None:  # type: ignore[no-untyped-def]
    """Record an action decided in the review (linked to a defect ticket or KPI)."""
    from kawal.review.minutes import add_action
    from kawal.store import session_scope

    register, engine = store_context()
    with session_scope(engine) as s:
        a = add_action(
            s,
            register,
            month,
            person,
            kind=kind,
            description=what,
            owner=owner,
            due=due,
            item_number=item_number,
            ticket_id=ticket_id,
            kpi_id=kpi_id,
        )
        click.echo(
            _w(lang, "cli.action_added", id=a.id, kind=_w(lang, f"kind.{a.kind}"), owner=a.owner, due=a.due_date)
        )


@review.command("finalize")
@MONTH
@AS
@lang_option
def finalize_cmd(month: date, person: str, lang: str) -> None:
    """Freeze the open minutes (or addendum): no edits after, only a new addendum."""
    from kawal.review.minutes import finalize
    from kawal.review.terms import document_number
    from kawal.store import session_scope

    register, engine = store_context()
    with session_scope(engine) as s:
        m = finalize(s, register, month, person)
        click.echo(_w(lang, "cli.finalized", number=document_number(m.month, m.sequence), sha=m.content_sha256))


@review.command("addendum")
@MONTH
@AS
@click.option("--reason", required=True, help="why the finalized minutes need an addendum")
@click.option("--meeting-date", callback=date_option, default=None, help="YYYY-MM-DD; default today (site time)")
@lang_option
def addendum_cmd(month: date, person: str, reason: str, meeting_date: date | None, lang: str) -> None:
    """Open an addendum to the finalized minutes of MONTH (the only way to change them)."""
    from kawal.review.minutes import addendum
    from kawal.review.terms import document_number
    from kawal.store import session_scope

    register, engine = store_context()
    with session_scope(engine) as s:
        m = addendum(s, register, month, person, reason, meeting_date or today())
        click.echo(_w(lang, "cli.addendum", number=document_number(m.month, m.sequence)))


@review.command("done")
@click.argument("action_id", type=int)
@AS
@click.option("--on", "done_on", callback=date_option, default=None, help="YYYY-MM-DD; default today (site time)")
@click.option("--note", default=None)
@lang_option
def done(action_id: int, person: str, done_on: date | None, note: str | None, lang: str) -> None:
    """Report a decided action done (its status shows in the next monthly report)."""
    from kawal.review.actions import mark_done
    from kawal.store import session_scope

    register, engine = store_context()
    with session_scope(engine) as s:
        a = mark_done(s, register, action_id, person, done_on or today(), note)
        click.echo(_w(lang, "cli.done", id=a.id, date=a.done_on))


@review.command("render")
@MONTH
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="PDF path")
@lang_option
def render(month: date, out: Path | None, lang: str) -> None:
    """Render the minutes of MONTH (with their addenda) to PDF, the report's look: each finalized document as
    frozen, today's progress of its actions in a dated annex. Archived as a new file per language and day."""
    from sqlalchemy.orm import Session

    from kawal.review.render import minutes_context, minutes_pdf_path, write_minutes_pdf

    if out is not None:  # never over final minutes or any other record (ISO 9001 §7.5.3.2)
        from kawal.records.folders import outside_record_folders

        outside_record_folders(out)
    register, engine = store_context()
    with Session(engine) as s:
        ctx = minutes_context(s, register, month, today(), lang)
    if not ctx["documents"]:
        raise KawalError(_w(lang, "cli.no_minutes", month=f"{month:%Y-%m}"))
    if out is not None and not out.parent.is_dir():
        raise KawalError(f"--out {out}: folder {out.parent} does not exist")
    path, written = (
        write_minutes_pdf(ctx, out) if out is not None
        else write_minutes_pdf(ctx, minutes_pdf_path(month, lang, today()), archive=True)
    )  # fmt: skip
    click.echo(_w(lang, "cli.wrote" if written else "cli.unchanged", path=path))
