"""What each notification says, to whom, in the reader's language (issue #18).

Every builder enqueues into the outbox under a key that names the event, so each person is told
about each event exactly once however often the pipeline re-runs. Every sentence comes from the
mail catalogue (:mod:`kawal.notify.catalogue`); a person's ``lang`` (``kpi_rules/people.yaml``,
default the site's, Indonesian) chooses it. Recipients who read different languages get one mail per
language: the first To's language keeps the event's key, the others' copy is keyed ``<key>:<lang>``
(one mail per person per event still; a group with only Cc readers gets its copy addressed To them).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from kawal.notify.catalogue import SITE_LANG, Words
from kawal.notify.outbox import Mail, enqueue
from kawal.periods import daily_run_logical_date
from kawal.register import Direction, Kpi, Register
from kawal.store.models import DefectTicket, KpiValue, RecoveryAction

if TYPE_CHECKING:
    from kawal.kpis.values import KpiValueRow


def person_lang(register: Register, person_id: str) -> str:
    """The language ``person_id`` reads: their ``lang`` in people.yaml, else the site's."""
    p = register.people.person(person_id)
    return (p.lang if p is not None else None) or SITE_LANG


def _send(
    session: Session,
    register: Register,
    *,
    key: str,
    kind: str,
    ticket_id: int | None,
    to: list[str],
    cc: list[str],
    build: Callable[[Words], Mail],
) -> bool:
    """Queue the event's mail once per language its recipients read; True if the first To's was new."""
    everyone = list(dict.fromkeys([*to, *cc]))
    langs = list(dict.fromkeys(person_lang(register, p) for p in everyone)) or [SITE_LANG]
    first = person_lang(register, to[0]) if to else langs[0]
    queued_first = False
    for lang in sorted(langs, key=lambda x: x != first):
        group_to = [p for p in to if person_lang(register, p) == lang]
        group_cc = [p for p in cc if person_lang(register, p) == lang and p not in to]
        if not group_to:  # only Cc readers of this language: their copy is addressed to them
            group_to, group_cc = group_cc, []
        queued = enqueue(
            session,
            register,
            key=key if lang == first else f"{key}:{lang}",
            kind=kind,
            ticket_id=ticket_id,
            to=group_to,
            cc=group_cc,
            mail=build(Words(lang)),
        )
        queued_first = queued_first or (queued and lang == first)
    return queued_first


def _kpi_name(w: Words, kpi: Kpi) -> str:
    return kpi.name_id if w.lang == "id" else kpi.name_en


def _short(w: Words, kpi: Kpi) -> str:
    """The KPI's name without its gloss: "Response Time (rata-rata waktu jawab)" → "Response Time"."""
    return _kpi_name(w, kpi).split(" (")[0]


def _unit(w: Words, kpi: Kpi) -> str:
    return w(f"unit.{kpi.unit.value}")


def _target(w: Words, kpi: Kpi, target: float | None) -> str:
    sign = "≥" if kpi.direction is Direction.higher_is_better else "≤"
    return "—" if target is None else f"{sign} {w.number(target)} {_unit(w, kpi)}"


def _value(w: Words, kpi: Kpi, value: float | None) -> str:
    return f"{w.number(value)} {_unit(w, kpi)}"


def _link(register: Register, t: DefectTicket) -> str | None:
    base = register.procedure.notifications.ui_base_url
    return f"{base.rstrip('/')}/defects/{t.id}" if base else None


def _recent(session: Session, w: Words, kpi: Kpi, scope: str, day: date) -> list[tuple[str, str, str]]:
    """The KPI's last values as its PIC judges it: the last 7 days of a daily KPI, the last 6 months
    of a monthly one (attrition is never shown as daily "met" rows under a missed month, #18)."""
    from kawal.register import Period

    monthly = kpi.period is Period.monthly
    since = (day.replace(day=1) - timedelta(days=160)).replace(day=1) if monthly else day - timedelta(days=6)
    rows = session.scalars(
        select(KpiValue)
        .where(
            KpiValue.kpi_id == kpi.id,
            KpiValue.scope == scope,
            KpiValue.period_type == ("month" if monthly else "day"),
            KpiValue.period_start >= since,
            KpiValue.period_start <= day,
        )
        .order_by(KpiValue.period_start)
    ).all()
    return [
        (r.period_start.strftime("%m/%Y") if monthly else r.period_start.isoformat(), w.number(r.value),
         w(f"status.{r.evaluation}"))
        for r in rows
    ]  # fmt: skip


def _recent_title(w: Words, kpi: Kpi) -> str:
    return w("recent.months") if kpi.period.value == "monthly" else w("recent.days")


def _ticket(w: Words, t: DefectTicket) -> str:
    return f"#{t.id} ({w(f'severity.{t.severity}')})"


def _facts(w: Words, register: Register, t: DefectTicket, kpi: Kpi, row: KpiValueRow) -> list[tuple[str, str]]:
    period = w.day(row.period_start) if row.period_type == "day" else row.period_start.strftime("%m/%Y")
    return [
        (w("f.ticket"), _ticket(w, t)),
        (w("f.kpi"), f"{_kpi_name(w, kpi)} ({kpi.id})"),
        (w("f.scope"), w(f"scope.{kpi.scope.value}")),
        (w("f.period"), period),
        (w("f.value"), _value(w, kpi, row.value)),
        (w("f.target"), w("target_rev", target=_target(w, kpi, row.target), rev=row.register_rev)),
        (w("f.pic"), register.people.describe(kpi.pic)),
    ]


def _breach_words(w: Words, t: DefectTicket, kpi: Kpi, row: KpiValueRow) -> dict[str, object]:
    """What a breach mail's subject and headline name (#18): the ticket, the KPI, how bad, by how much."""
    value, target = _value(w, kpi, row.value), _target(w, kpi, row.target)
    return {
        "id": t.id,
        "kpi": _short(w, kpi),
        "severity": w(f"severity.{t.severity}"),
        "value": value,
        "target": target,
        "vs": w("vs", value=value, target=target),
        "day": row.period_start.isoformat(),
    }


def _cc_accountable(register: Register, t: DefectTicket) -> list[str]:
    return [register.people.accountable] if t.external else []


def _analyse_cli(t: DefectTicket, person: str) -> str:
    return f'kawal defects analyse {t.id} --as {person} --root-cause "…" --coordinated-with "…" --recommendation "…"'


def defect_opened(session: Session, register: Register, t: DefectTicket, kpi: Kpi, row: KpiValueRow) -> None:
    def build(w: Words) -> Mail:
        b = _breach_words(w, t, kpi, row)
        return Mail(
            # #18: the subject alone says which ticket, which KPI, how bad and by how much
            subject=w("opened.subject", **b),
            headline=w("opened.headline", **b),
            tone="breach",
            greeting=w("greeting", name=register.people.describe(kpi.pic)),
            intro=w("opened.intro", id=t.id),
            facts=_facts(w, register, t, kpi, row),
            recent=_recent(session, w, kpi, row.scope, row.period_start),
            recent_title=_recent_title(w, kpi),
            expected=w("opened.expected", due=w.day(t.analysis_due)),
            how_to_act=[f"kawal defects show {t.id}", _analyse_cli(t, kpi.pic)],
            link=_link(register, t),
            link_label=w("link.ticket", id=t.id),
            lang=w.lang,
        )

    _send(
        session, register, key=f"defect-opened:{t.id}", kind="defect_opened", ticket_id=t.id,
        to=[kpi.pic], cc=_cc_accountable(register, t), build=build,
    )  # fmt: skip


def severity_raised(
    session: Session, register: Register, t: DefectTicket, kpi: Kpi, row: KpiValueRow, was: str
) -> None:
    """A ticket whose severity rises (a wider gap, more occurrences) is told, once per level (#18)."""

    def build(w: Words) -> Mail:
        b = _breach_words(w, t, kpi, row) | {"was": w(f"severity.{was}"), "now": w(f"severity.{t.severity}")}
        return Mail(
            subject=w("raised.subject", **b),
            headline=w("raised.headline", **b),
            tone="breach",
            greeting=w("greeting", name=register.people.describe(kpi.pic)),
            intro=w("raised.intro", **b),
            facts=_facts(w, register, t, kpi, row),
            recent=_recent(session, w, kpi, row.scope, row.period_start),
            recent_title=_recent_title(w, kpi),
            expected=w("raised.expected", due=w.day(t.analysis_due)),
            how_to_act=[f"kawal defects show {t.id}"],
            link=_link(register, t),
            link_label=w("link.ticket", id=t.id),
            lang=w.lang,
        )

    _send(
        session, register, key=f"severity-raised:{t.id}:{t.severity}", kind="severity_raised", ticket_id=t.id,
        to=[kpi.pic], cc=[register.people.accountable] if t.severity == "critical" or t.external else [],
        build=build,
    )  # fmt: skip


def defect_reopened(session: Session, register: Register, t: DefectTicket, kpi: Kpi, row: KpiValueRow) -> None:
    def build(w: Words) -> Mail:
        b = _breach_words(w, t, kpi, row)
        return Mail(
            subject=w("reopened.subject", **b),
            headline=w("reopened.headline", **b),
            tone="breach",
            greeting=w("greeting", name=register.people.describe(kpi.pic)),
            intro=w("reopened.intro", since=w.day(t.monitoring_since)),
            facts=_facts(w, register, t, kpi, row),
            recent=_recent(session, w, kpi, row.scope, row.period_start),
            recent_title=_recent_title(w, kpi),
            expected=w("reopened.expected", due=w.day(t.analysis_due)),
            how_to_act=[_analyse_cli(t, kpi.pic)],
            link=_link(register, t),
            link_label=w("link.ticket", id=t.id),
            lang=w.lang,
        )

    _send(
        session, register, key=f"defect-reopened:{t.id}:{row.period_start.isoformat()}", kind="defect_reopened",
        ticket_id=t.id, to=[kpi.pic], cc=[register.people.accountable], build=build,
    )  # fmt: skip


def analysis_submitted(session: Session, register: Register, t: DefectTicket) -> None:
    kpi = register.kpi(t.subject)
    accountable = register.people.accountable

    def build(w: Words) -> Mail:
        plan = w("analysed.cli_plan")
        return Mail(
            subject=w("analysed.subject", id=t.id, kpi=_kpi_name(w, kpi)),
            greeting=w("greeting", name=register.people.describe(accountable)),
            intro=w("analysed.intro", pic=register.people.describe(kpi.pic), id=t.id),
            facts=[
                (w("f.ticket"), _ticket(w, t)),
                (w("f.kpi"), f"{_kpi_name(w, kpi)} ({kpi.id})"),
                (w("f.root_cause"), t.root_cause or ""),
                (w("f.coordinated"), t.coordinated_with or "—"),
                (w("f.recommendation"), t.recommendation or ""),
            ],
            expected=w("analysed.expected"),
            how_to_act=[f'kawal defects decide {t.id} --as {accountable} --action "{plan}" [--preventive "{plan}"]'],
            link=_link(register, t),
            link_label=w("link.ticket", id=t.id),
            lang=w.lang,
        )

    _send(
        session, register, key=f"defect-analysed:{t.id}:{t.notified_on.isoformat()}", kind="analysis_submitted",
        ticket_id=t.id, to=[accountable], cc=[kpi.pic], build=build,
    )  # fmt: skip


def plan_decided(session: Session, register: Register, t: DefectTicket) -> None:
    kpi = register.kpi(t.subject)
    actions = session.scalars(select(RecoveryAction).where(RecoveryAction.ticket_id == t.id)).all()
    owners = [a.owner for a in actions]

    def build(w: Words) -> Mail:
        return Mail(
            subject=w("plan.subject", id=t.id, kpi=_kpi_name(w, kpi)),
            greeting=w("plan.greeting"),
            intro=w("plan.intro", id=t.id),
            facts=[(w("f.kpi"), f"{_kpi_name(w, kpi)} ({kpi.id})")]
            + [
                (
                    f"{w(f'action.{a.kind}_title')} #{a.id}",
                    w(
                        "plan.action",
                        what=a.description,
                        owner=register.people.describe(a.owner),
                        due=w.day(a.due_date),
                    ),
                )
                for a in actions
            ],
            expected=w("plan.expected"),
            how_to_act=[f'kawal defects verify {t.id} --as {kpi.pic} --note "…"'],
            link=_link(register, t),
            link_label=w("link.ticket", id=t.id),
            lang=w.lang,
        )

    _send(
        session, register, key=f"defect-plan:{t.id}:{t.notified_on.isoformat()}", kind="plan_decided",
        ticket_id=t.id, to=[kpi.pic, *owners], cc=[register.people.accountable], build=build,
    )  # fmt: skip


def analysis_overdue(session: Session, register: Register, t: DefectTicket, as_of: date) -> bool:
    kpi = register.kpi(t.subject)
    accountable = register.people.accountable

    def build(w: Words) -> Mail:
        words = {
            "id": t.id,
            "kpi": _short(w, kpi),
            "severity": w(f"severity.{t.severity}"),
            "due_iso": t.analysis_due.isoformat(),
            "due": w.day(t.analysis_due),
        }
        return Mail(
            subject=w("escalation.subject", **words),
            headline=w("escalation.headline", **words),
            tone="at_risk",
            greeting=w("greeting", name=register.people.describe(kpi.pic)),
            intro=w("escalation.intro", **words, days=register.procedure.defects.analysis_due_working_days),
            facts=[
                (w("f.ticket"), _ticket(w, t)),
                (w("f.kpi"), f"{_kpi_name(w, kpi)} ({kpi.id})"),
                (w("f.pic"), register.people.describe(kpi.pic)),
                (w("f.opened"), w.day(t.notified_on)),
            ],
            expected=w("escalation.expected", accountable=register.people.describe(accountable)),
            how_to_act=[f"kawal defects show {t.id}"],
            link=_link(register, t),
            link_label=w("link.ticket", id=t.id),
            lang=w.lang,
        )

    # the PIC is reminded; the Accountable reads every escalation of the day in one digest (#18)
    return _send(
        session, register, key=f"escalation-analysis:{t.id}:{t.notified_on.isoformat()}", kind="escalation",
        ticket_id=t.id, to=[kpi.pic], cc=[], build=build,
    )  # fmt: skip


def _subject_name(w: Words, register: Register, t: DefectTicket) -> str:
    """A ticket's subject as people read it: the KPI's name, or "data <source>" — never the raw id."""
    if t.kind == "data_incident":
        return w("closed.data_name", source=t.subject)
    return _kpi_name(w, register.kpi(t.subject)) if register.has_kpi(t.subject) else t.subject


def action_overdue(session: Session, register: Register, t: DefectTicket, action: RecoveryAction, as_of: date) -> bool:
    def build(w: Words) -> Mail:
        return Mail(
            subject=w("overdue.subject", action=action.id, id=t.id),
            greeting=w("greeting", name=register.people.describe(action.owner)),
            intro=w("overdue.intro", due=w.day(action.due_date)),
            facts=[
                (w("f.ticket"), f"#{t.id} ({_subject_name(w, register, t)})"),
                (w("f.action"), action.description),
                (w("f.kind"), w(f"action.{action.kind}")),
            ],
            expected=w("overdue.expected"),
            how_to_act=[f"kawal defects show {t.id}"],
            link=_link(register, t),
            link_label=w("link.ticket", id=t.id),
            lang=w.lang,
        )

    # the Accountable reads it in the day's escalation digest (#18)
    return _send(
        session, register, key=f"action-overdue:{action.id}", kind="action_overdue", ticket_id=t.id,
        to=[action.owner], cc=[], build=build,
    )  # fmt: skip


def ready_to_close(session: Session, register: Register, t: DefectTicket, streak: int) -> None:
    kpi = register.kpi(t.subject)
    accountable = register.people.accountable

    def build(w: Words) -> Mail:
        return Mail(
            subject=w("effective.subject", id=t.id, kpi=_kpi_name(w, kpi)),
            greeting=w("greeting", name=register.people.describe(accountable)),
            intro=w("effective.intro", since=w.day(t.monitoring_since), streak=streak),
            facts=[(w("f.ticket"), f"#{t.id}"), (w("f.kpi"), f"{_kpi_name(w, kpi)} ({kpi.id})")],
            expected=w("effective.expected"),
            how_to_act=[f'kawal defects close {t.id} --as {accountable} --note "…"'],
            link=_link(register, t),
            link_label=w("link.ticket", id=t.id),
            lang=w.lang,
        )

    _send(
        session, register, key=f"defect-effective:{t.id}:{t.monitoring_since}", kind="ready_to_close",
        ticket_id=t.id, to=[accountable], cc=[kpi.pic], build=build,
    )  # fmt: skip


def closed(session: Session, register: Register, t: DefectTicket) -> None:
    to = list(register.people.data_engineering) if t.kind == "data_incident" else [register.kpi(t.subject).pic]

    def build(w: Words) -> Mail:
        name = _subject_name(w, register, t)
        return Mail(
            subject=w("closed.subject", id=t.id, name=name),
            greeting=w("closed.greeting"),
            intro=w("closed.intro", id=t.id),
            facts=[(w("f.ticket"), f"#{t.id}"), (w("f.subject"), name)],
            expected=w("closed.expected"),
            how_to_act=[f"kawal defects show {t.id}"],
            link=_link(register, t),
            link_label=w("link.ticket", id=t.id),
            lang=w.lang,
        )

    _send(
        session, register, key=f"defect-closed:{t.id}", kind="closed", ticket_id=t.id, to=to,
        cc=[register.people.accountable], build=build,
    )  # fmt: skip


def data_incident(session: Session, register: Register, t: DefectTicket, source: str, day: date, problem: str) -> None:
    logical = daily_run_logical_date(day).isoformat()

    def build(w: Words) -> Mail:
        words = {"id": t.id, "source": source, "day_iso": day.isoformat(), "day": w.day(day)}
        return Mail(
            subject=w("incident.subject", **words),
            headline=w("incident.headline", **words),
            tone="breach",
            greeting=w("incident.greeting"),
            intro=w("incident.intro", **words),
            facts=[
                (w("f.ticket"), f"#{t.id}"),
                (w("f.source"), source),
                (w("f.data_day"), day.isoformat()),
                (w("f.problem"), problem),
            ],
            expected=w("incident.expected"),
            how_to_act=[
                # the run that processes `day` fires at 01:00 WIB the next day (its logical date)
                f"airflow tasks clear kawal_daily_kpis -t '^ingest_{source}$' --downstream --yes "
                f"-s {logical} -e {logical}",
                _analyse_cli(t, "<data-engineer>"),
            ],
            link=_link(register, t),
            link_label=w("link.ticket", id=t.id),
            lang=w.lang,
        )

    _send(
        session, register, key=f"data-incident:{source}:{day.isoformat()}", kind="data_incident", ticket_id=t.id,
        to=list(register.people.data_engineering), cc=[], build=build,
    )  # fmt: skip


#: why a ticket is in the day's digest: (ticket, "analysis", its due day) or (ticket, "action", action id, due day)
DigestItem = tuple[DefectTicket, str, int | None, date]


def escalation_digest(session: Session, register: Register, as_of: date, items: list[DigestItem]) -> bool:
    """One mail a day to the Accountable with every escalation queued that day (#18: 12 separate mails
    in a month before), instead of a copy of each; keyed by the day and the tickets it lists, so a re-run
    adds nothing and a later run the same day lists only what it newly escalated."""
    if not items:
        return False
    accountable = register.people.accountable
    ids = "-".join(str(t.id) for t, *_ in items)
    base = register.procedure.notifications.ui_base_url

    def why(w: Words, what: str, action: int | None, due: date) -> str:
        if what == "analysis":
            return w("digest.analysis", due_iso=due.isoformat())
        return w("digest.action", action=action, due_iso=due.isoformat())

    def name(w: Words, t: DefectTicket) -> str:
        return _short(w, register.kpi(t.subject)) if register.has_kpi(t.subject) else _subject_name(w, register, t)

    def build(w: Words) -> Mail:
        words = {"day_iso": as_of.isoformat(), "day": w.day(as_of), "n": len(items)}
        return Mail(
            subject=w("digest.subject", **words),
            headline=w("digest.headline", **words),
            tone="at_risk",
            greeting=w("greeting", name=register.people.describe(accountable)),
            intro=w("digest.intro"),
            facts=[(f"#{t.id} {name(w, t)}", why(w, what, action, due)) for t, what, action, due in items],
            expected=w("digest.expected"),
            how_to_act=["kawal defects list"],
            link=(base.rstrip("/") + "/defects") if base else None,
            link_label=w("link.tickets"),
            lang=w.lang,
        )

    return _send(
        session, register, key=f"escalation-digest:{as_of.isoformat()}:{ids}", kind="escalation_digest",
        ticket_id=None, to=[accountable], cc=[], build=build,
    )  # fmt: skip
