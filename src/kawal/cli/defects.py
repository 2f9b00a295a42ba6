"""``kawal defects …`` and ``kawal notify send``: the defect workflow for people and scripts.

Who acts is given with ``--as PERSON_ID`` (an id of kpi_rules/people.yaml); the lifecycle checks the
role (the KPI's PIC, the Accountable, data engineering) and refuses with one clear line otherwise.
"""

from __future__ import annotations

import json
from datetime import date

import click
from sqlalchemy import func, select

from kawal.cli.context import date_option, lang_option, store_context, today
from kawal.errors import KawalError

#: the lines ``kawal defects …`` prints, per ``--lang``/``KAWAL_LANG`` (#18); states, kinds, severities
#: and action kinds are shown by their label from the mail catalogue (kawal.notify.catalogue)
WORDS: dict[str, dict[str, str]] = {
    "id": {
        "queued": "notifikasi diantrekan, belum terkirim: {error}",
        "sent": "{n} notifikasi terkirim",
        "retry": "{n} notifikasi diantrekan untuk dicoba lagi: {error}",
        "none": "tidak ada tiket",
        "header": "{id:>4}  {kind:<13} {subject:<26} {state:<24} {sev:<9} {opened:<11} {n:>4}  PIC",
        "h.kind": "jenis",
        "h.subject": "KPI/sumber",
        "h.state": "status",
        "h.sev": "sev.",
        "h.opened": "dibuka",
        "h.n": "kali",
        "kind.kpi_defect": "defect KPI",
        "kind.data_incident": "insiden data",
        "scope.all": "semua",
        "show.head": "Tiket #{id} · {kind} · {subject} ({scope}) · {state} · severity {severity}",
        "show.who": "  penanggung jawab {who}; dibuka {opened}; analisis paling lambat {due}",
        "show.repeat": "  ↻ berulang: masuk agenda review bulanan (§5.5)",
        "show.root_cause": "akar masalah",
        "show.coordinated": "koordinasi",
        "show.recommendation": "rekomendasi",
        "show.monitoring": "  pemantauan sejak {since}: {streak}/{needed} periode berturut-turut on target",
        "show.occurrences": "  kejadian:",
        "show.value": "nilai {value}, target {target} (rev {rev})",
        "show.plan": "  recovery plan:",
        "show.done": "selesai {day}",
        "show.due": "tenggat {day}",
        "show.history": "  riwayat:",
        "period.day": "hari",
        "period.month": "bulan",
        "event.opened": "dibuka",
        "event.occurrence_added": "kejadian ditambahkan",
        "event.analysed": "dianalisis",
        "event.plan_decided": "plan diputuskan",
        "event.verified": "kuratif selesai",
        "event.closed": "ditutup",
        "event.reopened": "dibuka kembali",
        "event.escalated": "dieskalasi",
        "event.action_overdue": "tindakan terlambat",
        "event.severity_raised": "severity naik",
        "now": "tiket #{id} sekarang {state}",
        "notify": "{sent} terkirim, {failed} masih tertunda",
    },
    "en": {
        "queued": "notification queued, not sent now: {error}",
        "sent": "{n} notification(s) sent",
        "retry": "{n} notification(s) queued for retry: {error}",
        "none": "no tickets",
        "header": "{id:>4}  {kind:<13} {subject:<26} {state:<24} {sev:<9} {opened:<11} {n:>4}  PIC",
        "h.kind": "kind",
        "h.subject": "KPI/source",
        "h.state": "state",
        "h.sev": "sev.",
        "h.opened": "opened",
        "h.n": "times",
        "kind.kpi_defect": "KPI defect",
        "kind.data_incident": "data incident",
        "scope.all": "all",
        "show.head": "Ticket #{id} · {kind} · {subject} ({scope}) · {state} · severity {severity}",
        "show.who": "  responsible {who}; opened {opened}; analysis due by {due}",
        "show.repeat": "  ↻ repeat: on the monthly review's agenda (§5.5)",
        "show.root_cause": "root cause",
        "show.coordinated": "coordinated with",
        "show.recommendation": "recommendation",
        "show.monitoring": "  monitored since {since}: {streak}/{needed} consecutive periods on target",
        "show.occurrences": "  occurrences:",
        "show.value": "value {value}, target {target} (rev {rev})",
        "show.plan": "  recovery plan:",
        "show.done": "done {day}",
        "show.due": "due {day}",
        "show.history": "  history:",
        "period.day": "day",
        "period.month": "month",
        "event.opened": "opened",
        "event.occurrence_added": "occurrence added",
        "event.analysed": "analysed",
        "event.plan_decided": "plan decided",
        "event.verified": "curative done",
        "event.closed": "closed",
        "event.reopened": "reopened",
        "event.escalated": "escalated",
        "event.action_overdue": "action overdue",
        "event.severity_raised": "severity raised",
        "now": "ticket #{id} is now {state}",
        "notify": "{sent} sent, {failed} still pending",
    },
}


def _w(lang: str, key: str, **fields: object) -> str:
    return WORDS[lang][key].format(**fields)


def _label(lang: str, key: str) -> str:
    """A stored id (state, severity, action kind) as people read it, from the mail catalogue."""
    from kawal.notify.catalogue import MAIL

    return MAIL[lang].get(key, key.split(".", 1)[-1])


def _responsible(register, lang: str, t) -> str:  # type: ignore[no-untyped-def]
    """Who answers for a ticket: the person's name, or data engineering (never the raw role id)."""
    if t.responsible == "data_engineering":
        return "data engineering"
    return register.people.describe(t.responsible, "id")


def _subject(register, lang: str, t) -> str:  # type: ignore[no-untyped-def]
    if t.kind == "kpi_defect" and register.has_kpi(t.subject):
        k = register.kpi(t.subject)
        return (k.name_id if lang == "id" else k.name_en).split(" (")[0]
    return t.subject


def _deliver(register, engine, lang: str) -> None:  # type: ignore[no-untyped-def]
    from kawal.notify.outbox import deliver_pending

    try:
        report = deliver_pending(engine, register)
    except KawalError as exc:
        click.echo(_w(lang, "queued", error=exc), err=True)
        return
    if report.sent:
        click.echo(_w(lang, "sent", n=report.sent))
    if report.failed:
        click.echo(_w(lang, "retry", n=report.failed, error=report.errors[0]), err=True)


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
@lang_option
def list_tickets(show_all: bool, state: str | None, fmt: str, lang: str) -> None:
    """Tickets, newest first (active ones unless --all)."""
    from sqlalchemy.orm import Session

    from kawal.store.models import DefectOccurrence, DefectTicket

    register, engine = store_context()
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
        click.echo(_w(lang, "none"))
        return
    heads = {k: _w(lang, f"h.{k}") for k in ("kind", "subject", "state", "sev", "opened", "n")}
    click.echo(_w(lang, "header", id="#", **heads))
    for t, r in zip(tickets, rows, strict=True):
        flag = " ↻" if r["repeat_flag"] else ""
        line = _w(
            lang, "header", id=r["id"], kind=_w(lang, f"kind.{t.kind}"), subject=_subject(register, lang, t),
            state=_label(lang, f"state.{t.state}"), sev=_label(lang, f"severity.{t.severity}"), opened=r["opened_on"],
            n=r["occurrences"],
        )  # fmt: skip
        click.echo(line.removesuffix("PIC") + _responsible(register, lang, t) + flag)


@defects.command("show")
@click.argument("ticket_id", type=int)
@lang_option
def show(ticket_id: int, lang: str) -> None:
    """One ticket: occurrences, recovery plan and its full history."""
    from sqlalchemy.orm import Session

    from kawal.defects.tickets import effectiveness, ticket
    from kawal.settings import in_site_time
    from kawal.store.models import DefectEvent, DefectOccurrence, RecoveryAction

    register, engine = store_context()
    with Session(engine) as session:
        t = ticket(session, ticket_id)
        click.echo(
            _w(lang, "show.head", id=t.id, kind=_w(lang, f"kind.{t.kind}"), subject=_subject(register, lang, t),
               scope=WORDS[lang].get(f"scope.{t.scope}", t.scope), state=_label(lang, f"state.{t.state}"),
               severity=_label(lang, f"severity.{t.severity}"))
        )  # fmt: skip
        who = _responsible(register, lang, t)
        click.echo(_w(lang, "show.who", who=who, opened=t.opened_on, due=t.analysis_due))
        if t.repeat_flag:
            click.echo(_w(lang, "show.repeat"))
        for label, text in (
            ("show.root_cause", t.root_cause),
            ("show.coordinated", t.coordinated_with),
            ("show.recommendation", t.recommendation),
        ):
            if text:
                click.echo(f"  {_w(lang, label)}: {text}")
        if t.kind == "kpi_defect" and t.monitoring_since:
            streak, needed = effectiveness(session, register, t)
            click.echo(_w(lang, "show.monitoring", since=t.monitoring_since, streak=streak, needed=needed))
        click.echo(_w(lang, "show.occurrences"))
        for o in session.scalars(
            select(DefectOccurrence).where(DefectOccurrence.ticket_id == t.id).order_by(DefectOccurrence.period_start)
        ):
            shown = o.note if o.note else _w(lang, "show.value", value=f"{o.value:.2f}", target=f"{o.target:g}",
                                             rev=o.register_rev)  # fmt: skip
            click.echo(f"    {WORDS[lang].get(f'period.{o.period_type}', o.period_type)} {o.period_start}: {shown}")
        actions = session.scalars(select(RecoveryAction).where(RecoveryAction.ticket_id == t.id)).all()
        if actions:
            click.echo(_w(lang, "show.plan"))
            for a in actions:
                done = _w(lang, "show.done", day=a.done_on) if a.done_on else _w(lang, "show.due", day=a.due_date)
                kind = _label(lang, f"action.{a.kind}")
                click.echo(f"    [{kind}] #{a.id} {a.description} — {register.people.describe(a.owner, 'id')}, {done}")
        click.echo(_w(lang, "show.history"))
        for e in session.scalars(select(DefectEvent).where(DefectEvent.ticket_id == t.id).order_by(DefectEvent.id)):
            to = _label(lang, f"state.{e.to_state}")
            move = f"{_label(lang, f'state.{e.from_state}')} → {to}" if e.from_state != e.to_state else to
            what = WORDS[lang].get(f"event.{e.action}", e.action)  # by its label; an unknown one as recorded
            click.echo(f"    {in_site_time(e.at):%Y-%m-%d %H:%M %Z} {e.actor:<16} {what:<20} {move}")


def _act(fn, *args, lang: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
    from kawal.store import session_scope

    register, engine = store_context()
    with session_scope(engine) as session:
        t = fn(session, register, *args, **kwargs)
        click.echo(_w(lang, "now", id=t.id, state=_label(lang, f"state.{t.state}")))
    _deliver(register, engine, lang)


@defects.command("analyse")
@click.argument("ticket_id", type=int)
@click.option("--as", "person", required=True, help="person id (the KPI's PIC)")
@click.option("--root-cause", required=True)
@click.option("--coordinated-with", default="", help="staff coordinated with (§4.5)")
@click.option("--recommendation", required=True)
@lang_option
def analyse_cmd(
    ticket_id: int, person: str, root_cause: str, coordinated_with: str, recommendation: str, lang: str
) -> None:
    """The PIC's analysis and recommendation (§5.3.1)."""
    from kawal.defects.workflow import analyse

    _act(
        analyse,
        ticket_id,
        person,
        root_cause=root_cause,
        coordinated_with=coordinated_with,
        recommendation=recommendation,
        lang=lang,
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
@lang_option
def decide_cmd(
    ticket_id: int,
    person: str,
    actions: tuple[str, ...],
    preventive: tuple[str, ...],
    decided_on: date | None,
    lang: str,
) -> None:
    """The Accountable's recovery plan (§5.3.2)."""
    from kawal.defects.workflow import decide

    plan = [_planned("curative", a) for a in actions] + [_planned("preventive", p) for p in preventive]
    _act(decide, ticket_id, person, plan, today=today(), on=decided_on, lang=lang)


@defects.command("verify")
@click.argument("ticket_id", type=int)
@click.option("--as", "person", required=True, help="person id (the PIC or the Accountable)")
@click.option("--done-on", default=None, help="date the curative actions were completed, YYYY-MM-DD (default: today)")
@click.option("--note", default="")
@lang_option
def verify_cmd(ticket_id: int, person: str, done_on: str | None, note: str, lang: str) -> None:
    """Curative actions carried out: the effectiveness monitoring starts on the day they were done."""
    from kawal.defects.workflow import verify

    now = today()
    try:
        day = date.fromisoformat(done_on) if done_on else now
    except ValueError:
        raise KawalError(f"--done-on {done_on!r} is not a date YYYY-MM-DD") from None
    # not in the future, not before the plan was decided: the workflow checks (the board's form alike)
    _act(verify, ticket_id, person, done_on=day, note=note, today=now, lang=lang)


@defects.command("close")
@click.argument("ticket_id", type=int)
@click.option("--as", "person", required=True, help="person id (the Accountable; data engineering for data incidents)")
@click.option("--note", default="")
@lang_option
def close_cmd(ticket_id: int, person: str, note: str, lang: str) -> None:
    """Close after the effectiveness check."""
    from kawal.defects.workflow import close

    _act(close, ticket_id, person, note=note, lang=lang)


@click.group("notify")
def notify() -> None:
    """The notification outbox."""


@notify.command("send")
@lang_option
def notify_send(lang: str) -> None:
    """Deliver every pending notification now."""
    from kawal.notify.outbox import deliver_pending

    register, engine = store_context()
    report = deliver_pending(engine, register)
    click.echo(_w(lang, "notify", sent=report.sent, failed=report.failed))
    for error in report.errors:
        click.echo(error, err=True)
