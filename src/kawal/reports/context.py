"""Everything the monthly report says, read from the store and the register — no rendering here.

The context is plain data (JSON-serialisable) so it is archived next to the PDF it produced, and
so tests can check the figures without WeasyPrint. Numbers are formatted with Babel in the
report's locale (Indonesian by default: decimal comma, "Oktober 2026").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from kawal.defects.lifecycle import State
from kawal.errors import KawalError
from kawal.kpis.summary import format_number
from kawal.periods import days_of_month
from kawal.register import Category, Direction, Kpi, Period, Register, Scope
from kawal.reports.labels import LABELS, LOCALES, ROLES_EN, describe, plural
from kawal.store.models import DefectOccurrence, DefectTicket, IngestionBatch, KpiValue, RecoveryAction

#: KPIs drawn as daily charts against their target line.
CHART_KPIS = ("scr", "rt", "aht", "csi")


@dataclass
class KpiLine:
    id: str
    name: str
    unit: str
    scope: str
    external: bool
    target: str
    actual: str
    value: float | None
    status: str
    status_label: str
    change: str
    trend: list[tuple[str, str]]
    days: str
    days_breached: str
    #: why a value cannot be judged ("?"), in the words stored with it; empty otherwise
    why: str = ""
    #: the month's Σ numerator and Σ denominator (the workbook's figures; the value is their ratio)
    numerator: float | None = None
    denominator: float | None = None
    target_value: float | None = None
    warning_value: float | None = None
    direction: str = ""
    #: the previous month's stored value; ``change`` is "—" without it, and ``change_note`` says why
    previous: float | None = None
    change_note: str = ""
    #: the footnote mark of ``change_note`` in its category's table ("1", "2" …)
    change_mark: str = ""
    #: the last 12 months' values, oldest first (None: no value that month), and the target in force
    spark: list[float | None] = field(default_factory=list)
    spark_target: float | None = None


@dataclass
class StoryLine:
    """A KPI the month's reader must act on (missed or at risk), as page 1 tells it (#18): what it
    is against its target, whose it is, and where its ticket and recovery plan stand (§5.3)."""

    id: str
    name: str
    unit: str
    status: str
    status_label: str
    actual: str
    target: str
    owner: str
    ticket: str
    plan: str
    #: an action of its plan is past its due date, or the PIC's analysis is past its due date
    late: bool
    ticket_id: int | None = None


@dataclass
class CategorySection:
    key: str
    label: str
    met: int
    total: int
    lines: list[KpiLine]
    #: footnotes of the table's "—" in the Δ column, numbered as the lines' ``change_mark``
    notes: list[str] = field(default_factory=list)


@dataclass
class DefectLine:
    id: int
    kind: str
    subject: str
    state: str
    severity: str
    opened_on: str
    occurrences: int
    responsible: str
    repeat: bool
    plan: list[str]


@dataclass
class SourceQuality:
    source: str
    delivered: int
    missing: list[str]
    incidents: int


@dataclass
class ReportContext:
    lang: str
    labels: dict[str, str]
    month: str
    period: str
    document_number: str
    generated: str
    register_rev: int | None
    register_rev_effective: str
    prepared_by: list[str]
    prepared_for: str
    categories: list[CategorySection]
    summary: list[tuple[str, int, int]]
    kpis_met: int
    kpis_total: int
    charts: list[dict] = field(default_factory=list)
    defects: list[DefectLine] = field(default_factory=list)
    overdue: list[dict] = field(default_factory=list)
    review_actions: list[dict] = field(default_factory=list)
    data_quality: list[SourceQuality] = field(default_factory=list)
    complete: bool = True
    caveats: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    cc: dict[str, list[str]] = field(default_factory=dict)
    site_name: str = ""
    #: names of the register entries the site does not report (kpi_rules/site.yaml)
    not_applicable: list[str] = field(default_factory=list)
    #: page 1 (#18): every missed KPI, then every KPI at risk, with owner, ticket and plan status
    story: list[StoryLine] = field(default_factory=list)
    #: KPIs per status for the month (met, at_risk, breach, not_evaluable): not evaluable apart from missed
    counts: dict[str, int] = field(default_factory=dict)
    #: one tile per category with its worst status (red/amber/grey/green: breach, at_risk, not_evaluable, met)
    tiles: list[dict] = field(default_factory=list)
    headline: str = ""
    #: the month is still running on the day the report is made: values are month-to-date
    in_progress: bool = False
    #: the month's value per breakdown (channel, system, team: groups, never people), for the workbook
    breakdowns: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _month_label(day: date, locale: str) -> str:
    from babel.dates import format_date

    return format_date(day, "MMMM y", locale=locale)


def _previous_months(first: date, n: int) -> list[date]:
    out, current = [], first
    for _ in range(n):
        out.append(current)
        current = (current - timedelta(days=1)).replace(day=1)
    return list(reversed(out))


class EmptyPeriod(KawalError):
    """A month the report cannot be about: it has not begun, or the store holds no KPI value for it."""


#: how bad a status is, for a category's tile (the worst of its KPIs colours it)
_SEVERITY = {"met": 0, "not_evaluable": 1, "at_risk": 2, "breach": 3}


def build_context(
    engine: Engine,
    register: Register,
    first: date,
    lang: str = "id",
    generated_at: datetime | None = None,
    *,
    allow_empty: bool = False,
) -> ReportContext:
    """The month's report. A month that has not begun is refused; so is one without any KPI value in
    the store, unless ``allow_empty`` (then every page says so): an empty report must never look like
    a month on target (#18)."""
    from kawal.kpis.evaluation import Status, evaluate
    from kawal.settings import now_site, site_tz

    if lang not in LABELS:
        raise KawalError(f"--lang {lang!r}: the report is written in {', '.join(LABELS)}")
    labels, locale = LABELS[lang], LOCALES[lang]
    days = days_of_month(first)
    last = days[-1]
    months = _previous_months(first, 12)
    # the site clock (KAWAL_NOW pins it): the same month rendered twice says the same "generated"
    generated_at = (generated_at or now_site()).astimezone(site_tz())
    with Session(engine) as s:
        month_values = {
            (v.kpi_id, v.period_start): v
            for v in s.scalars(
                select(KpiValue).where(
                    KpiValue.period_type == "month",
                    KpiValue.scope == "all",
                    KpiValue.period_start >= months[0],
                    KpiValue.period_start <= first,
                )
            )
        }
        # where each KPI's stored history begins (a Δ without a previous month says which case it is)
        history_from = dict(
            s.execute(
                select(KpiValue.kpi_id, func.min(KpiValue.period_start))
                .where(KpiValue.period_type == "month", KpiValue.scope == "all", KpiValue.value.is_not(None))
                .group_by(KpiValue.kpi_id)
            ).all()
        )
        breakdown_values = s.scalars(
            select(KpiValue)
            .where(KpiValue.period_type == "month", KpiValue.scope != "all", KpiValue.period_start == first)
            .order_by(KpiValue.kpi_id, KpiValue.scope)
        ).all()
        day_values = s.scalars(
            select(KpiValue)
            .where(
                KpiValue.period_type == "day",
                KpiValue.scope == "all",
                KpiValue.period_start >= first,
                KpiValue.period_start <= last,
            )
            .order_by(KpiValue.period_start)
        ).all()
        batches = s.scalars(
            select(IngestionBatch).where(
                IngestionBatch.business_date >= first,
                IngestionBatch.business_date <= last,
                IngestionBatch.state == "loaded",
            )
        ).all()
        occurrences = s.scalars(
            select(DefectOccurrence).where(
                DefectOccurrence.period_start >= first, DefectOccurrence.period_start <= last
            )
        ).all()
        ticket_ids = sorted({o.ticket_id for o in occurrences})
        tickets = {t.id: t for t in s.scalars(select(DefectTicket).where(DefectTicket.id.in_(ticket_ids)))}
        actions = s.scalars(select(RecoveryAction).where(RecoveryAction.ticket_id.in_(ticket_ids))).all()
        overdue = s.scalars(
            select(RecoveryAction)
            .join(DefectTicket, DefectTicket.id == RecoveryAction.ticket_id)
            .where(
                RecoveryAction.done_on.is_(None),
                RecoveryAction.due_date < generated_at.date(),
                DefectTicket.active_key.is_not(None),
            )
        ).all()

    today = generated_at.date()
    if first > today:
        raise EmptyPeriod(f"{first:%Y-%m} has not begun (today is {today}): there is nothing to report yet")
    empty = first not in {m for _, m in month_values} and not day_values
    if empty and not allow_empty:
        raise EmptyPeriod(
            f"no KPI value is stored for {first:%Y-%m}: nothing to report (load the month's data first: "
            "kawal import / kawal backfill)"
        )
    in_progress = today <= last

    breached: dict[str, int] = {}
    for v in day_values:
        breached[v.kpi_id] = breached.get(v.kpi_id, 0) + (v.evaluation == "breach")

    def line(kpi: Kpi) -> KpiLine:
        v = month_values.get((kpi.id, first))
        target = register.target_on(kpi.id, first)
        status = Status(v.evaluation) if v else evaluate(kpi, target, None)
        previous_month = months[-2]
        prev = month_values.get((kpi.id, previous_month))
        previous = prev.value if prev is not None else None
        change, change_note = "—", ""
        if v is None or v.value is None:
            change_note = labels["change_not_comparable"]
        elif previous is not None:
            change = ("+" if v.value >= previous else "") + format_number(v.value - previous, locale)
        elif (since := history_from.get(kpi.id)) is not None and since < first:
            change_note = labels["change_no_previous"].format(month=f"{previous_month:%Y-%m}")
        else:
            change_note = labels["change_history_starts"].format(month=f"{since or first:%Y-%m}")
        target_in_force = register.target_on(kpi.id, first)
        sign = "≥" if kpi.direction is Direction.higher_is_better else "≤"
        why = ""
        if status is Status.not_evaluable:
            why = (v.evaluation_note or v.reason or "") if v else labels["no_value_month"]
        return KpiLine(
            numerator=v.numerator if v else None,
            denominator=v.denominator if v else None,
            target_value=target_in_force.value if target_in_force else None,
            warning_value=target_in_force.warning if target_in_force else None,
            direction=kpi.direction.value,
            previous=previous,
            change_note=change_note,
            spark=[mv.value if (mv := month_values.get((kpi.id, m))) else None for m in months],
            spark_target=target_in_force.value if target_in_force else None,
            why=why,
            id=kpi.id,
            name=_kpi_name(kpi, lang),
            unit=labels[f"unit_{kpi.unit.value}"],
            scope=labels[kpi.scope.value],
            external=kpi.scope is Scope.external,
            target=_target_text(register, kpi, days, sign, locale, labels),
            actual=format_number(v.value if v else None, locale),
            value=v.value if v else None,
            status=status.value,
            status_label=labels[status.value],
            change=change,
            trend=[
                (
                    m.strftime("%m/%y"),
                    format_number(mv.value if (mv := month_values.get((kpi.id, m))) else None, locale),
                )
                for m in months
            ],
            days=f"{v.days_covered if v else 0}/{len(days)}",
            days_breached=str(breached.get(kpi.id, 0)) if kpi.period is Period.daily else labels["none"],
        )

    categories = []
    for category in Category:
        kpis = sorted((k for k in register.kpis if k.category is category), key=lambda k: k.scope is not Scope.external)
        if not kpis:  # the site reports no KPI of this category (kpi_rules/site.yaml): no empty section
            continue
        lines = [line(k) for k in kpis]
        met = sum(x.status in ("met", "at_risk") for x in lines)
        notes: list[str] = []
        for x in lines:  # one footnote per distinct reason, numbered in the order the table shows them
            if x.change_note:
                if x.change_note not in notes:
                    notes.append(x.change_note)
                x.change_mark = str(notes.index(x.change_note) + 1)
        categories.append(
            CategorySection(
                category.value,
                labels[f"category_{category.value}"],
                met,
                len(lines),
                lines,
                notes,
            )
        )

    # completeness first (§5.4 report states what is missing instead of hiding it)
    delivered = {(b.source, b.business_date) for b in batches}
    incidents: dict[str, int] = {}
    for o in occurrences:
        if o.kind == "data_incident":
            incidents[o.subject] = incidents.get(o.subject, 0) + 1
    quality, caveats = [], []
    from kawal.ingest.mapping import monthly_delivery

    for source in register.site.sources:  # a source the site does not have is not "missing"
        missing = [d.isoformat() for d in days if (source, d) not in delivered]
        if monthly_delivery(source):  # a monthly table: its one delivery, on the last day, covers the month
            missing = [] if (source, days[-1]) in delivered else [days[-1].isoformat()]
        quality.append(SourceQuality(source, len(days) - len(missing), missing, incidents.get(source, 0)))
        if missing:
            shown = ", ".join(missing[:6]) + (" …" if len(missing) > 6 else "")
            caveats.append(f"{source}: {plural(labels, 'days_missing', len(missing))} ({shown})")

    defect_lines = []
    for tid in ticket_ids:
        t = tickets[tid]
        plan = [
            f"[{labels['action_' + a.kind]}] {a.description} — {describe(register, a.owner, lang)}, "
            f"{labels['due'].lower()} {a.due_date}" + (f" ✓ {a.done_on}" if a.done_on else "")
            for a in actions
            if a.ticket_id == tid
        ]
        if t.kind == "data_incident":
            subject = labels["data_subject"].format(source=t.subject)
        else:  # a KPI retired from the register keeps its tickets under its id
            subject = _kpi_name(register.kpi(t.subject), lang) if register.has_kpi(t.subject) else t.subject
        defect_lines.append(
            DefectLine(
                tid,
                t.kind,
                subject,
                labels[f"state_{t.state}"],
                labels.get(f"severity_{t.severity}", t.severity),
                t.opened_on.isoformat(),
                sum(1 for o in occurrences if o.ticket_id == tid),
                describe(register, t.responsible, lang) if t.kind == "kpi_defect" else labels["data_engineering"],
                t.repeat_flag,
                plan,
            )
        )

    story = _story(register, categories, tickets, actions, overdue, labels, today, lang)
    counts = {status: 0 for status in _SEVERITY}
    for c in categories:
        for x in c.lines:
            counts[x.status] += 1
    tiles = [
        {
            "label": c.label,
            "met": c.met,
            "total": c.total,
            "rag": (worst := max((x.status for x in c.lines), key=_SEVERITY.__getitem__)),
            "rag_count": sum(1 for x in c.lines if x.status == worst),
        }
        for c in categories
    ]
    without_plan = sum(
        1 for t in tickets.values() if t.kind == "kpi_defect" and t.state in ("open", "reopened", "analysed")
    )
    headline = labels["headline"].format(
        period=_month_label(first, locale),
        breach=counts["breach"],
        at_risk=counts["at_risk"],
        met=counts["met"],
        not_evaluable=counts["not_evaluable"],
        total=sum(counts.values()),
    )
    if tickets:
        headline += " " + labels["headline_tickets"].format(
            tickets=sum(1 for t in tickets.values() if t.kind == "kpi_defect"), without_plan=without_plan
        )
    if empty:
        caveats.insert(0, labels["empty"])
    if in_progress:
        caveats.insert(0, labels["in_progress"].format(day=max((v.period_start for v in day_values), default=first)))

    # a chart for every KPI that missed or is at risk, then the key ones (#18); a monthly KPI as months
    from kawal.reports.charts import chart_spec

    charted = [x.id for x in story] + [k for k in CHART_KPIS if register.has_kpi(k) and k not in {x.id for x in story}]
    charts = []
    for kpi_id in charted:
        kpi = register.kpi(kpi_id)
        if not register.site.uses(kpi.source):
            continue
        monthly = kpi.period is Period.monthly
        title = f"{_kpi_name(kpi, lang)} ({labels[f'unit_{kpi.unit.value}']})"
        if monthly:
            values = {m: (mv.value, mv.evaluation) for m in months if (mv := month_values.get((kpi_id, m))) is not None}
            # from its first month with a value: no row of empty months before its history began
            since = min((m for m, (value, _e) in values.items() if value is not None), default=first)
            axis = [m for m in months if m >= since]
            charts.append(chart_spec(kpi, register, axis, values, monthly=True, title=title, lang=lang))
        else:
            values = {v.period_start: (v.value, v.evaluation) for v in day_values if v.kpi_id == kpi_id}
            axis = [d for d in days if d <= today]  # a running month: up to today, not a row of empty days
            charts.append(chart_spec(kpi, register, axis, values, monthly=False, title=title, lang=lang))

    from kawal.review.actions import actions_for_report

    with Session(engine) as s:
        review_actions = [
            _review_words(a, register, labels, lang) for a in actions_for_report(s, register, first, today)
        ]

    revision = register.revision_in_force(first)
    people = register.people
    total_met = sum(c.met for c in categories)
    return ReportContext(
        lang=lang,
        labels=labels,
        month=first.strftime("%Y-%m"),
        period=_month_label(first, locale),
        document_number=f"KWL/LCKB/{first:%Y/%m}",
        generated=generated_at.strftime("%Y-%m-%d %H:%M %Z"),
        register_rev=revision.rev if revision else None,
        register_rev_effective=revision.effective_from.isoformat() if revision else "—",
        prepared_by=sorted({describe(register, k.pic, lang) for k in register.kpis}),
        prepared_for=describe(register, people.accountable, lang),
        categories=categories,
        summary=[(c.label, c.met, c.total) for c in categories],
        kpis_met=total_met,
        kpis_total=sum(c.total for c in categories),
        site_name=register.site.name,
        not_applicable=[  # the KPIs of sources the site does not have (an opt-in not chosen is just not reported)
            _kpi_name(k, lang) for k in register.not_applicable if not register.site.uses(k.source)
        ],
        charts=charts,
        defects=defect_lines,
        overdue=[
            {
                "ticket": a.ticket_id,
                "description": a.description,
                "owner": describe(register, a.owner, lang),
                "due": a.due_date.isoformat(),
            }
            for a in overdue
        ],
        review_actions=review_actions,  # §5.5: status of every action the previous review decided
        data_quality=quality,
        complete=not caveats,
        caveats=caveats,
        story=story,
        counts=counts,
        tiles=tiles,
        headline=headline,
        in_progress=in_progress,
        to=[describe(register, people.accountable, lang)],
        cc={name: [describe(register, pid, lang) for pid in ids] for name, ids in people.consulted.items()},
        breakdowns=_breakdowns(register, breakdown_values, first, lang, labels),
    )


def _target_text(register, kpi, days, sign, locale, labels) -> str:  # type: ignore[no-untyped-def]
    """The month's target; a revision that moves it mid-month is said, with the day it takes effect
    (the table must not say "≤ 300" while the chart steps to 280 on the 16th, #18)."""
    first = register.target_on(kpi.id, days[0])
    if first is None:
        return "—"
    text = f"{sign} {format_number(first.value, locale)}"
    for day in days[1:]:
        now = register.target_on(kpi.id, day)
        if now is not None and now.value != first.value:
            return text + f" → {format_number(now.value, locale)} ({labels['from_day']} {day:%d/%m}, rev {now.rev})"
    return text


def _story(register, categories, tickets, actions, overdue, labels, today, lang) -> list[StoryLine]:  # type: ignore[no-untyped-def]
    """Page 1: the missed KPIs, then those at risk, external (contractual) first within each."""
    overdue_of = {a.ticket_id for a in overdue}
    lines = []
    for status in ("breach", "at_risk"):
        for c in categories:
            for x in c.lines:
                if x.status != status:
                    continue
                kpi = register.kpi(x.id)
                own = [t for t in tickets.values() if t.kind == "kpi_defect" and t.subject == x.id]
                ticket = max(own, key=lambda t: (t.opened_on, t.id)) if own else None
                plan, late = labels["no_ticket"], False
                if ticket is not None:
                    steps = [a for a in actions if a.ticket_id == ticket.id]
                    state = State(ticket.state)
                    words = labels[f"state_{state.value}"]
                    if steps:
                        done = sum(1 for a in steps if a.done_on)
                        plan = f"{words} · " + labels["plan_steps"].format(n=len(steps), done=done)
                    else:
                        plan = f"{words} · {labels['no_plan']}"
                    # §5.3.1: the PIC's analysis is due by analysis_due; past it the ticket escalates
                    analysis_late = state in (State.open, State.reopened) and ticket.analysis_due < today
                    if analysis_late:
                        plan += " · " + labels["analysis_late"].format(due=ticket.analysis_due.isoformat())
                    if ticket.id in overdue_of:
                        plan += f" · {labels['overdue_short']}"
                    late = analysis_late or ticket.id in overdue_of
                lines.append(
                    StoryLine(
                        id=x.id,
                        name=x.name,
                        unit=x.unit,
                        status=x.status,
                        status_label=x.status_label,
                        actual=x.actual,
                        target=x.target,
                        owner=describe(register, kpi.pic, lang),
                        ticket=f"#{ticket.id}" if ticket else "—",
                        plan=plan,
                        late=late,
                        ticket_id=ticket.id if ticket else None,
                    )
                )
    return lines


def _kpi_name(kpi: Kpi, lang: str) -> str:
    """The KPI's name in the report's language: the register requires both (``name_id``, ``name_en``)."""
    return kpi.name_en if lang == "en" else kpi.name_id


#: breakdown columns the workbook shows: groups (channel, system, team), never a person or a customer;
#: a site that adds a breakdown by another column adds it here on purpose (issue #18: no personal data)
SHOWN_BREAKDOWNS = ("channel", "system", "team")


def _breakdowns(register, values, first, lang, labels) -> list[dict]:  # type: ignore[no-untyped-def]
    """The month's value of every KPI per breakdown (``column=value`` scopes) the workbook shows."""
    out = []
    for v in values:
        column, _, _value = v.scope.partition("=")
        if column not in SHOWN_BREAKDOWNS or not register.has_kpi(v.kpi_id):
            continue
        kpi = register.kpi(v.kpi_id)
        target = register.target_on(kpi.id, first)
        out.append(
            {
                "kpi": kpi.id,
                "name": _kpi_name(kpi, lang),
                "unit": labels[f"unit_{kpi.unit.value}"],
                "scope": v.scope,
                "numerator": v.numerator,
                "denominator": v.denominator,
                "value": v.value,
                "target": target.value if target else None,
                "warning": target.warning if target else None,
                "status": labels[v.evaluation] if v.evaluation in labels else v.evaluation,
            }
        )
    return out


def _review_words(action: dict, register, labels, lang) -> dict:  # type: ignore[no-untyped-def]
    """A review action (kawal.review.actions) in the report's words: its kind and status from this catalogue."""
    from kawal.review.terms import ACTION_KIND_LABEL, STATUS_LABEL

    kind = next((k for k, word in ACTION_KIND_LABEL.items() if word == action["kind"]), None)
    state = action["state"]
    done = action["status"].removeprefix(STATUS_LABEL.get(state, ""))  # " 2026-03-02" when done
    owner = action["owner"]
    if lang == "en":  # "Name (role)" as kawal.review wrote it, the role in the site's words
        for word, english in ROLES_EN.items():
            owner = owner.replace(f"({word})", f"({english})")
    return {
        **action,
        "owner": owner,
        "kind": labels[f"action_{kind}"] if kind else action["kind"],
        "status": labels.get(f"review_{state}", action["status"]) + done,
    }
