"""``kawal defects …`` and ``kawal notify send``: the defect workflow for people and scripts.

Who acts is given with ``--as PERSON_ID`` (an id of kpi_rules/people.yaml); the lifecycle checks the
role (the KPI's PIC, the Accountable, data engineering) and refuses with one clear line otherwise.
"""

from __future__ import annotations

import json
from datetime import date

import click
from sqlalchemy import func, select

from kawal.cli.context import date_option, store_context, today
from kawal.errors import KawalError


def _deliver(register, engine) -> None:  # type: ignore[no-untyped-def]
    from kawal.notify.outbox import deliver_pending

    try:
        report = deliver_pending(engine, register)
    except KawalError as exc:
        click.echo(f"notification queued, not sent now: {exc}", err=True)
        return
    if report.sent:
        click.echo(f"{report.sent} notification(s) sent")
    if report.failed:
        click.echo(f"{report.failed} notification(s) queued for retry: {report.errors[0]}", err=True)


@click.group("defects")
def defects() -> None:
    """Defect tickets and data incidents (§5.3): list, show, analyse, decide, verify, close."""


@defects.command("list")
@click.option("--all", "show_all", is_flag=True, help="closed tickets too")
@click.option(
    "--state",
    default=None,
    help="only tickets in this state",
    type=click.Choice(["open", "analysed", "plan_decided", "monitoring", "closed", "reopened"]),
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_tickets(show_all: bool, state: str | None, fmt: str) -> None:
    """Tickets, newest first (active ones unless --all)."""
    from sqlalchemy.orm import Session

    from kawal.store.models import DefectOccurrence, DefectTicket

    _register, engine = store_context()
    with Session(engine) as session:
        query = select(DefectTicket).order_by(DefectTicket.id.desc())
        if state:
            query = query.where(DefectTicket.state == state)
        elif not show_all:
            query = query.where(DefectTicket.active_key.is_not(None))
        tickets = session.scalars(query).all()
        counts = dict(
            session.execute(select(DefectOccurrence.ticket_id, func.count()).group_by(DefectOccurrence.ticket_id)).all()
        )
    rows = [
        {
            "id": t.id,
            "kind": t.kind,
            "subject": t.subject,
            "scope": t.scope,
            "state": t.state,
            "severity": t.severity,
            "responsible": t.responsible,
            "opened_on": t.opened_on.isoformat(),
            "analysis_due": t.analysis_due.isoformat(),
            "occurrences": counts.get(t.id, 0),
            "repeat_flag": t.repeat_flag,
            "external": t.external,
        }
        for t in tickets
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no tickets")
        return
    click.echo(f"{'#':>4}  {'jenis':<13} {'KPI/sumber':<26} {'status':<13} {'sev.':<9} {'dibuka':<11} {'kali':>4}  PIC")
    for r in rows:
        flag = " ↻" if r["repeat_flag"] else ""
        click.echo(
            f"{r['id']:>4}  {r['kind']:<13} {r['subject']:<26} {r['state']:<13} {r['severity']:<9} "
            f"{r['opened_on']:<11} {r['occurrences']:>4}  {r['responsible']}{flag}"
        )


@defects.command("show")
@click.argument("ticket_id", type=int)
def show(ticket_id: int) -> None:
    """One ticket: occurrences, recovery plan and its full history."""
    from sqlalchemy.orm import Session

    from kawal.defects.tickets import effectiveness, ticket
    from kawal.settings import in_site_time
    from kawal.store.models import DefectEvent, DefectOccurrence, RecoveryAction

    register, engine = store_context()
    with Session(engine) as session:
        t = ticket(session, ticket_id)
        click.echo(f"Tiket #{t.id} · {t.kind} · {t.subject} ({t.scope}) · {t.state} · severity {t.severity}")
        click.echo(f"  penanggung jawab {t.responsible}; dibuka {t.opened_on}; analisis paling lambat {t.analysis_due}")
        if t.repeat_flag:
            click.echo("  ↻ berulang: masuk agenda review bulanan (§5.5)")
        for label, text in (
            ("akar masalah", t.root_cause),
            ("koordinasi", t.coordinated_with),
            ("rekomendasi", t.recommendation),
        ):
            if text:
                click.echo(f"  {label}: {text}")
        if t.kind == "kpi_defect" and t.monitoring_since:
            streak, needed = effectiveness(session, register, t)
            click.echo(f"  pemantauan sejak {t.monitoring_since}: {streak}/{needed} periode berturut-turut on target")
        click.echo("  kejadian:")
        for o in session.scalars(
            select(DefectOccurrence).where(DefectOccurrence.ticket_id == t.id).order_by(DefectOccurrence.period_start)
        ):
            shown = o.note if o.note else f"nilai {o.value:.2f}, target {o.target:g} (rev {o.register_rev})"
            click.echo(f"    {o.period_type} {o.period_start}: {shown}")
        actions = session.scalars(select(RecoveryAction).where(RecoveryAction.ticket_id == t.id)).all()
        if actions:
            click.echo("  recovery plan:")
            for a in actions:
                done = f"selesai {a.done_on}" if a.done_on else f"tenggat {a.due_date}"
                click.echo(f"    [{a.kind}] #{a.id} {a.description} — {a.owner}, {done}")
        click.echo("  riwayat:")
        for e in session.scalars(select(DefectEvent).where(DefectEvent.ticket_id == t.id).order_by(DefectEvent.id)):
            move = f"{e.from_state} → {e.to_state}" if e.from_state != e.to_state else e.to_state
            click.echo(f"    {in_site_time(e.at):%Y-%m-%d %H:%M %Z} {e.actor:<16} {e.action:<20} {move}")


def _act(fn, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    from kawal.store import session_scope

    register, engine = store_context()
    with session_scope(engine) as session:
        t = fn(session, register, *args, **kwargs)
        click.echo(f"ticket #{t.id} is now {t.state}")
    _deliver(register, engine)


@defects.command("analyse")
@click.argument("ticket_id", type=int)
@click.option("--as", "person", required=True, help="person id (the KPI's PIC)")
@click.option("--root-cause", required=True)
@click.option("--coordinated-with", default="", help="staff coordinated with (§4.5)")
@click.option("--recommendation", required=True)
def analyse_cmd(ticket_id: int, person: str, root_cause: str, coordinated_with: str, recommendation: str) -> None:
    """The PIC's analysis and recommendation (§5.3.1)."""
    from kawal.defects.workflow import analyse

    _act(
        analyse,
        ticket_id,
        person,
        root_cause=root_cause,
        coordinated_with=coordinated_with,
        recommendation=recommendation,
    )


def _planned(kind: str, text: str):  # type: ignore[no-untyped-def]
    from kawal.defects.lifecycle import PlannedAction

    parts = [p.strip() for p in text.split("|")]
    if len(parts) != 3:
        raise KawalError(
            f"--{'action' if kind == 'curative' else 'preventive'} {text!r}: expected 'description|owner|YYYY-MM-DD'"
        )
    try:
        due = date.fromisoformat(parts[2])
    except ValueError:
        raise KawalError(f"{text!r}: due date {parts[2]!r} is not YYYY-MM-DD") from None
    return PlannedAction(kind, parts[0], parts[1], due)


@defects.command("decide")
@click.argument("ticket_id", type=int)
@click.option("--as", "person", required=True, help="person id (the Accountable)")
@click.option("--action", "actions", multiple=True, required=True, help="curative: 'description|owner|YYYY-MM-DD'")
@click.option("--preventive", multiple=True, help="preventive: 'description|owner|YYYY-MM-DD'")
@click.option(
    "--on",
    "decided_on",
    default=None,
    callback=date_option,
    help="day the plan was decided, YYYY-MM-DD (default: today; not in the future, not before the defect)",
)
def decide_cmd(
    ticket_id: int, person: str, actions: tuple[str, ...], preventive: tuple[str, ...], decided_on: date | None
) -> None:
    """The Accountable's recovery plan (§5.3.2)."""
    from kawal.defects.workflow import decide

    plan = [_planned("curative", a) for a in actions] + [_planned("preventive", p) for p in preventive]
    _act(decide, ticket_id, person, plan, today=today(), on=decided_on)


@defects.command("verify")
@click.argument("ticket_id", type=int)
@click.option("--as", "person", required=True, help="person id (the PIC or the Accountable)")
@click.option("--done-on", default=None, help="date the curative actions were completed, YYYY-MM-DD (default: today)")
@click.option("--note", default="")
def verify_cmd(ticket_id: int, person: str, done_on: str | None, note: str) -> None:
    """Curative actions carried out: the effectiveness monitoring starts on the day they were done."""
    from kawal.defects.workflow import verify

    now = today()
    try:
        day = date.fromisoformat(done_on) if done_on else now
    except ValueError:
        raise KawalError(f"--done-on {done_on!r} is not a date YYYY-MM-DD") from None
    # not in the future, not before the plan was decided: the workflow checks (the board's form alike)
    _act(verify, ticket_id, person, done_on=day, note=note, today=now)


@defects.command("close")
@click.argument("ticket_id", type=int)
@click.option("--as", "person", required=True, help="person id (the Accountable; data engineering for data incidents)")
@click.option("--note", default="")
def close_cmd(ticket_id: int, person: str, note: str) -> None:
    """Close after the effectiveness check."""
    from kawal.defects.workflow import close

    _act(close, ticket_id, person, note=note)


@click.group("notify")
def notify() -> None:
    """The notification outbox."""


@notify.command("send")
def notify_send() -> None:
    """Deliver every pending notification now."""
    from kawal.notify.outbox import deliver_pending

    register, engine = store_context()
    report = deliver_pending(engine, register)
    click.echo(f"{report.sent} sent, {report.failed} still pending")
    for error in report.errors:
        click.echo(error, err=True)
