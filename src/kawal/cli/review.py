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

from kawal.cli.context import date_option, month_option, store_context, today
from kawal.errors import KawalError

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
def new(month: date, person: str, meeting_date: date | None, place: str | None) -> None:
    """Draft the minutes of MONTH, pre-filled with its defects, repeat breaches, overdue actions, KPIs at risk."""
    from kawal.review.minutes import draft_minutes
    from kawal.review.terms import document_number
    from kawal.store import session_scope

    register, engine = store_context()
    with session_scope(engine) as s:
        minutes, added = draft_minutes(s, register, month, person, meeting_date or today(), place)
        number = document_number(minutes.month, minutes.sequence)
    click.echo(f"{number}: draft, {added} agenda item(s) added — see `kawal review show {month:%Y-%m}`")


@review.command("show")
@MONTH
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def show(month: date, fmt: str) -> None:
    """The minutes of MONTH and their addenda, with each action's status today."""
    from sqlalchemy.orm import Session

    from kawal.review.render import minutes_context

    register, engine = store_context()
    with Session(engine) as s:
        ctx = minutes_context(s, register, month, today())
    if not ctx["documents"]:
        raise KawalError(f"no review minutes for {month:%Y-%m}: draft them with `kawal review new {month:%Y-%m}`")
    if fmt == "json":
        click.echo(json.dumps(ctx, indent=2, ensure_ascii=False))
        return
    for doc in ctx["documents"]:
        state = "FINAL" if doc["state"] == "final" else "DRAF"
        click.echo(f"{doc['document_number']}  [{state}]  rapat {doc['meeting_date']}  pimpinan {doc['chair_name']}")
        if doc["reason"]:
            click.echo(f"  alasan addendum: {doc['reason']}")
        click.echo(f"  hadir: {', '.join(doc['attendee_names']) or '—'}")
        for i in doc["items"]:
            click.echo(f"  [{i['number']}] {i['kind_label']}: {i['title']}")
            if i["facts"]:
                click.echo(f"      fakta: {i['facts']}")
            click.echo(f"      pembahasan: {i['discussion'] or '—'}")
            click.echo(f"      keputusan: {i['decision'] or '—'}")
        for a in doc["actions"]:
            click.echo(
                f"  tindakan {a['id']} ({a['kind_label']}) {a['description']} — {a['owner_name']}, tenggat "
                f"{a['due_date']}, {a['link']}: {a['status']}"
            )


@review.command("attendees")
@MONTH
@AS
@click.argument("people", nargs=-1, required=True)
def attendees(month: date, person: str, people: tuple[str, ...]) -> None:
    """Record who attended (person ids)."""
    from kawal.review.minutes import set_attendees
    from kawal.store import session_scope

    register, engine = store_context()
    with session_scope(engine) as s:
        present = set_attendees(s, register, month, person, list(people))
    click.echo(f"hadir ({len(present)}): {', '.join(present)}")


@review.command("item")
@MONTH
@AS
@click.option("--item", "numbers", type=int, multiple=True, help="item number to fill (repeatable)")
@click.option("--title", default=None, help="add a new item with this title")
@click.option("--discussion", default=None)
@click.option("--decision", default=None)
@click.option("--ticket", "ticket_id", type=int, default=None, help="a new item's defect ticket")
@click.option("--kpi", "kpi_id", default=None, help="a new item's KPI id")
def item(month: date, person: str, numbers: tuple[int, ...], title, discussion, decision, ticket_id, kpi_id) -> None:  # type: ignore[no-untyped-def]
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
    click.echo(f"item {', '.join(map(str, done))} recorded")


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
def action(
    month: date, person: str, kind: str, what: str, owner: str, due: date, item_number, ticket_id, kpi_id
) -> None:  # type: ignore[no-untyped-def]
    """Record an action decided in the review (linked to a defect ticket or KPI)."""
    from kawal.review.minutes import add_action
    from kawal.review.terms import ACTION_KIND_LABEL
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
        click.echo(f"tindakan {a.id} ({ACTION_KIND_LABEL[a.kind]}) dicatat: {a.owner}, tenggat {a.due_date}")


@review.command("finalize")
@MONTH
@AS
def finalize_cmd(month: date, person: str) -> None:
    """Freeze the open minutes (or addendum): no edits after, only a new addendum."""
    from kawal.review.minutes import finalize
    from kawal.review.terms import document_number
    from kawal.store import session_scope

    register, engine = store_context()
    with session_scope(engine) as s:
        m = finalize(s, register, month, person)
        click.echo(f"{document_number(m.month, m.sequence)} final · SHA-256 isi {m.content_sha256}")


@review.command("addendum")
@MONTH
@AS
@click.option("--reason", required=True, help="why the finalized minutes need an addendum")
@click.option("--meeting-date", callback=date_option, default=None, help="YYYY-MM-DD; default today (site time)")
def addendum_cmd(month: date, person: str, reason: str, meeting_date: date | None) -> None:
    """Open an addendum to the finalized minutes of MONTH (the only way to change them)."""
    from kawal.review.minutes import addendum
    from kawal.review.terms import document_number
    from kawal.store import session_scope

    register, engine = store_context()
    with session_scope(engine) as s:
        m = addendum(s, register, month, person, reason, meeting_date or today())
        click.echo(f"{document_number(m.month, m.sequence)}: draft addendum opened")


@review.command("done")
@click.argument("action_id", type=int)
@AS
@click.option("--on", "done_on", callback=date_option, default=None, help="YYYY-MM-DD; default today (site time)")
@click.option("--note", default=None)
def done(action_id: int, person: str, done_on: date | None, note: str | None) -> None:
    """Report a decided action done (its status shows in the next monthly report)."""
    from kawal.review.actions import mark_done
    from kawal.store import session_scope

    register, engine = store_context()
    with session_scope(engine) as s:
        a = mark_done(s, register, action_id, person, done_on or today(), note)
        click.echo(f"tindakan {a.id} selesai {a.done_on}")


@review.command("render")
@MONTH
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="PDF path")
def render(month: date, out: Path | None) -> None:
    """Render the minutes of MONTH (with their addenda) to PDF, the report's look."""
    from sqlalchemy.orm import Session

    from kawal.review.render import minutes_context, minutes_pdf_path, write_minutes_pdf

    if out is not None:  # never over final minutes or any other record (ISO 9001 §7.5.3.2)
        from kawal.records.folders import outside_record_folders

        outside_record_folders(out)
    register, engine = store_context()
    with Session(engine) as s:
        ctx = minutes_context(s, register, month, today())
    if not ctx["documents"]:
        raise KawalError(f"no review minutes for {month:%Y-%m}: draft them with `kawal review new {month:%Y-%m}`")
    if out is not None and not out.parent.is_dir():
        raise KawalError(f"--out {out}: folder {out.parent} does not exist")
    path = write_minutes_pdf(ctx, out or minutes_pdf_path(month))
    click.echo(f"wrote {path}")
