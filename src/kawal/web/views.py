"""What each page of the KPI board shows, as plain data built from Kawal's store and register.

Pure of HTTP: the FastAPI app (``kawal.web.app``) only renders these dicts, so the KPI maths stays
in ``kawal.kpis`` and the lifecycle in ``kawal.defects`` (one truth for the CLI, the report and the UI).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from kawal.defects.lifecycle import TRANSITIONS, Refused, Role, State, check_allowed
from kawal.defects.tickets import effectiveness
from kawal.kpis.evaluation import Status
from kawal.kpis.summary import format_number, format_target, month_attainment
from kawal.periods import days_of_month, month_start
from kawal.register import Category, Register
from kawal.reports.labels import LABELS as REPORT_LABELS
from kawal.settings import in_site_time
from kawal.store.models import DefectEvent, DefectOccurrence, DefectTicket, KpiValue, RecoveryAction
from kawal.web.i18n import why_text

ACTIONS = ("analyse", "decide", "verify", "close")


@dataclass(frozen=True)
class MonthChoice:
    shown: date  # first day of the month shown
    wanted: date  # first day of the month asked for (or the current one)
    fallback: bool  # no data for ``wanted``: ``shown`` is the latest month with data


def months_with_data(engine: Engine) -> list[date]:
    with Session(engine) as session:
        starts = session.scalars(select(KpiValue.period_start).where(KpiValue.period_type == "month").distinct())
        return sorted({month_start(d) for d in starts})


def choose_month(engine: Engine, wanted: date, explicit: bool) -> MonthChoice:
    """The month asked for; for the default (current) month without data, the latest month that has data
    (the board opened after `make demo` shows the demo month, and says so)."""
    available = months_with_data(engine)
    if explicit or wanted in available or not available:
        return MonthChoice(wanted, wanted, False)
    earlier = [m for m in available if m <= wanted]
    return MonthChoice(earlier[-1] if earlier else available[-1], wanted, True)


def _daily(engine: Engine, kpi_ids: list[str], first: date) -> dict[str, list[KpiValue]]:
    with Session(engine) as session:
        rows = session.scalars(
            select(KpiValue)
            .where(
                KpiValue.kpi_id.in_(kpi_ids),
                KpiValue.scope == "all",
                KpiValue.period_type == "day",
                KpiValue.period_start >= first,
                KpiValue.period_start <= days_of_month(first)[-1],
            )
            .order_by(KpiValue.period_start)
        ).all()
    out: dict[str, list[KpiValue]] = {}
    for v in rows:
        out.setdefault(v.kpi_id, []).append(v)
    return out


def sparkline(points: list[float | None], target: float | None, width: int = 120, height: int = 28) -> dict:
    """Coordinates of a small trend line (and the target as a dashed line) in a width × height box."""
    values = [p for p in points if p is not None]
    if len(values) < 2:
        return {"path": "", "target_y": None, "width": width, "height": height}
    low = min([*values, target] if target is not None else values)
    high = max([*values, target] if target is not None else values)
    span = (high - low) or 1.0

    def y(v: float) -> float:
        return round(height - 2 - (v - low) / span * (height - 4), 1)

    step = width / max(len(points) - 1, 1)
    parts, pen_down = [], False
    for i, p in enumerate(points):
        if p is None:  # a day without data breaks the line rather than inventing a value
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{round(i * step, 1)},{y(p)}")
        pen_down = True
    return {
        "path": " ".join(parts),
        "target_y": None if target is None else y(target),
        "width": width,
        "height": height,
    }


def month_story(engine: Engine, register: Register, first: date, lang: str) -> dict | None:
    """Page 1 of the month's report at the top of the board (#18): the same headline, the same missed and
    at-risk KPIs with owner, ticket and plan status, the same caveats; None for a month without data."""
    from kawal.reports.context import EmptyPeriod, build_context

    try:
        ctx = build_context(engine, register, first, lang=lang)
    except EmptyPeriod:
        return None
    return {"headline": ctx.headline, "lines": ctx.story, "caveats": ctx.caveats, "tiles": ctx.tiles}


def board(engine: Engine, register: Register, first: date, lang: str, loc: str) -> dict:
    """The month's KPIs by category: actual against target, status, days breached, daily trend."""
    attainment = month_attainment(engine, register, first)
    daily = _daily(engine, [a.kpi.id for a in attainment], first)
    days = days_of_month(first)
    categories: list[dict] = []
    for a in attainment:
        if not categories or categories[-1]["category"] is not a.kpi.category:
            categories.append({"category": a.kpi.category, "rows": []})
        by_day = {v.period_start: v.value for v in daily.get(a.kpi.id, [])}
        categories[-1]["rows"].append(
            {
                "kpi": a.kpi,
                "name": a.kpi.name_id if lang == "id" else a.kpi.name_en,
                "unit": REPORT_LABELS[lang][f"unit_{a.kpi.unit.value}"],
                "actual": format_number(a.value, loc),
                "target": format_target(a.kpi, a.target, loc),
                "status": a.status.value,
                "days_covered": a.days_covered,
                "days_in_month": len(days),
                "days_breached": a.days_breached,
                "why": why_text(a.why, lang),
                "trend": sparkline([by_day.get(d) for d in days], a.target.value if a.target else None),
            }
        )
    for c in categories:
        rows = c["rows"]
        c["met"] = sum(r["status"] in (Status.met.value, Status.at_risk.value) for r in rows)
        c["total"] = len(rows)
    return {"categories": categories, "has_values": any(a.days_covered for a in attainment)}


def kpi_detail(engine: Engine, register: Register, kpi_id: str, first: date, lang: str, loc: str) -> dict:
    """One KPI's month: daily values with the target in force each day, and its defect occurrences."""
    from kawal.reports.charts import chart_spec, kpi_chart_svg

    kpi = register.kpi(kpi_id)
    values = _daily(engine, [kpi.id], first).get(kpi.id, [])
    month = next((a for a in month_attainment(engine, register, first) if a.kpi.id == kpi.id), None)
    # every day of the month on a time axis: a missing or quarantined day is a shaded gap (#18)
    by_day = {v.period_start: (v.value, v.evaluation) for v in values}
    axis = [d for d in days_of_month(first) if by_day and d <= max(by_day)]  # a running month: up to its last day
    chart = ""
    if sum(v is not None for v, _ in by_day.values()) >= 2:
        # titled by its name in the page's language: the raw id is no word of the board (#18)
        spec = chart_spec(
            kpi, register, axis, by_day, monthly=False, title=kpi.name_id if lang == "id" else kpi.name_en, lang=lang
        )
        chart = kpi_chart_svg(spec, locale_decimal_comma=lang == "id")
    with Session(engine) as session:
        occurrences = session.scalars(
            select(DefectOccurrence)
            .where(
                DefectOccurrence.kind == "kpi_defect",
                DefectOccurrence.subject == kpi.id,
                DefectOccurrence.period_start >= first,
                DefectOccurrence.period_start <= days_of_month(first)[-1],
            )
            .order_by(DefectOccurrence.period_start)
        ).all()
    return {
        "kpi": kpi,
        "name": kpi.name_id if lang == "id" else kpi.name_en,
        "pic": register.people.describe(kpi.pic, "role"),
        "unit": REPORT_LABELS[lang][f"unit_{kpi.unit.value}"],
        "month": month,
        "actual": format_number(month.value if month else None, loc),
        "target": format_target(kpi, month.target if month else None, loc),
        "status": month.status.value if month else Status.not_evaluable.value,
        "chart": chart,
        "days": [
            {
                "day": v.period_start,
                "value": format_number(v.value, loc),
                "target": format_number(v.target, loc),
                "status": v.evaluation,
            }
            for v in values
        ],
        "occurrences": [
            {"ticket_id": o.ticket_id, "period": o.period_start, "value": format_number(o.value, loc)}
            for o in occurrences
        ],
    }


#: The defect list's "my work" views (#18, docs/kpi-board.md): ``?view=`` values.
VIEWS = ("mine", "overdue", "escalated")
#: Events with which the daily pipeline told the Accountable that a ticket is late (kawal.defects.monitoring.escalate).
ESCALATION_EVENTS = ("escalated", "action_overdue")


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (site calendar: weekends and Indonesian
    public holidays excluded, kawal.defects.calendar), so "late by N" counts the days the PIC had."""
    from kawal.defects.calendar import is_working_day

    low, high = min(start, end), max(start, end)
    n, day = 0, low
    while day < high:
        day += timedelta(days=1)
        n += is_working_day(day)
    return n


def _due(t: DefectTicket, open_actions: list[RecoveryAction], today: date) -> dict | None:
    """The ticket's next due date and whether it is past: the PIC's analysis while the ticket waits for it
    (open, reopened: the date kawal.defects.monitoring set in working days), else its earliest recovery
    action not yet done. Past means before today, the rule of kawal.defects.monitoring.escalate."""
    if t.kind == "kpi_defect" and t.state in (State.open.value, State.reopened.value):
        what, due = "analysis", t.analysis_due
    elif open_actions:
        what, due = "action", min(a.due_date for a in open_actions)
    else:
        return None
    late = due < today
    return {
        "what": what,
        "date": due,
        "overdue": late,
        "working_days": working_days_between(due, today) if due != today else 0,
        "today": due == today,
    }


def mine_reasons(
    register: Register, t: DefectTicket, open_actions: list[RecoveryAction], person: str | None
) -> list[str]:
    """Why an active ticket is ``person``'s work now (#18, docs/kpi-board.md "My work"): the PIC of a KPI
    defect; the owner of a recovery action not yet done; the Accountable while the plan waits for a
    decision (analysed); a data engineer on a data incident. Empty: not theirs."""
    if person is None or t.active_key is None:
        return []
    why = []
    if t.kind == "kpi_defect" and t.responsible == person:
        why.append("pic")
    if any(a.owner == person for a in open_actions):
        why.append("owner")
    if t.kind == "kpi_defect" and t.state == State.analysed.value and person == register.people.accountable:
        why.append("decide")
    if t.kind == "data_incident" and person in register.people.data_engineering:
        why.append("data")
    return why


def tickets(
    engine: Engine,
    register: Register,
    show_all: bool,
    lang: str = "id",
    *,
    view: str | None = None,
    person: str | None = None,
    today: date | None = None,
) -> list[dict]:
    """The defect list, each ticket with its next due date and overdue and escalation markers; a ``view``
    (:data:`VIEWS`) keeps only active tickets that are the person's work, overdue, or escalated."""
    today = today or date.today()
    with Session(engine) as session:
        query = select(DefectTicket).order_by(DefectTicket.id.desc())
        if not show_all or view:
            query = query.where(DefectTicket.active_key.is_not(None))
        found = session.scalars(query).all()
        counts = dict(
            session.execute(select(DefectOccurrence.ticket_id, func.count()).group_by(DefectOccurrence.ticket_id)).all()
        )
        open_actions: dict[int, list[RecoveryAction]] = {}
        for a in session.scalars(select(RecoveryAction).where(RecoveryAction.done_on.is_(None))):
            open_actions.setdefault(a.ticket_id, []).append(a)
        escalated = set(
            session.scalars(
                select(DefectEvent.ticket_id).where(DefectEvent.action.in_(ESCALATION_EVENTS)).distinct()
            ).all()
        )
        session.expunge_all()
    rows = []
    for t in found:
        actions = open_actions.get(t.id, []) if t.active_key is not None else []
        due = _due(t, actions, today) if t.active_key is not None else None
        mine = mine_reasons(register, t, actions, person)
        row = {
            "t": t,
            "subject": subject(register, t, lang),
            "responsible": responsible(register, t),
            "occurrences": counts.get(t.id, 0),
            "due": due,
            "escalated": t.id in escalated and t.active_key is not None,
            "mine": mine,
        }
        if view == "mine" and not mine:
            continue
        if view == "overdue" and not (due and due["overdue"]):
            continue
        if view == "escalated" and not row["escalated"]:
            continue
        rows.append(row)
    return rows


def subject(register: Register, t: DefectTicket, lang: str = "id") -> str:
    """What a ticket is about, by its name in the page's language (never the raw KPI id, #18)."""
    if t.kind == "kpi_defect" and register.has_kpi(t.subject):
        kpi = register.kpi(t.subject)
        return kpi.name_id if lang == "id" else kpi.name_en
    return t.subject  # a data incident's source, as named in the source mapping


def responsible(register: Register, t: DefectTicket, detail: str | None = None) -> str:
    """The responsible person's name; a data incident's list (``data_engineering``) as a marker the
    template labels in the page's language."""
    if t.responsible == "data_engineering":
        return "data_engineering"
    return register.people.describe(t.responsible, detail)  # type: ignore[arg-type]


def allowed_actions(register: Register, t: DefectTicket, person_id: str | None) -> list[str]:
    """The lifecycle steps ``person_id`` may take on ``t`` now (the lifecycle decides, not the UI)."""
    if person_id is None:
        return []
    out = []
    for action in ACTIONS:
        try:
            check_allowed(register, t, action, person_id)
        except Refused:
            continue
        out.append(action)
    return out


def who_may_act(register: Register, t: DefectTicket, w: dict[str, str]) -> str:
    roles: set[Role] = set()
    for (kind, _action, state), (_to, allowed) in TRANSITIONS.items():
        if kind == t.kind and state is State(t.state):
            roles |= allowed
    names = []
    for role in sorted(roles):
        if role is Role.pic:
            names.append(w["who_pic"].format(name=register.people.describe(t.responsible)))
        elif role is Role.accountable:
            names.append(w["who_accountable"].format(name=register.people.describe(register.people.accountable)))
        else:
            names.append(w["who_data_engineering"])
    return ", ".join(names) or "—"


def ticket_detail(engine: Engine, register: Register, ticket_id: int, loc: str, lang: str = "id") -> dict | None:
    with Session(engine) as session:
        t = session.get(DefectTicket, ticket_id)
        if t is None:
            return None
        occurrences = session.scalars(
            select(DefectOccurrence).where(DefectOccurrence.ticket_id == t.id).order_by(DefectOccurrence.period_start)
        ).all()
        actions = session.scalars(
            select(RecoveryAction).where(RecoveryAction.ticket_id == t.id).order_by(RecoveryAction.id)
        ).all()
        events = session.scalars(
            select(DefectEvent).where(DefectEvent.ticket_id == t.id).order_by(DefectEvent.id)
        ).all()
        streak = needed = None
        if t.kind == "kpi_defect" and t.monitoring_since and register.has_kpi(t.subject):
            streak, needed = effectiveness(session, register, t)
        session.expunge_all()
    return {
        "t": t,
        "subject": subject(register, t, lang),
        "responsible": responsible(register, t, "role"),
        "occurrences": [
            {
                "period_type": o.period_type,
                "period": o.period_start,
                "value": format_number(o.value, loc) if o.value is not None else None,
                "target": format_number(o.target, loc) if o.target is not None else None,
                "note": o.note,
            }
            for o in occurrences
        ],
        "actions": [{"a": a, "owner": register.people.describe(a.owner)} for a in actions],
        "events": [{"e": e, "at": in_site_time(e.at), "actor": _actor(register, e.actor)} for e in events],
        "streak": streak,
        "needed": needed,
    }


def _actor(register: Register, actor: str) -> str:
    # "kawal" is the pipeline itself and "data_engineering" a list: the template labels both (#18)
    return actor if actor in ("kawal", "data_engineering") else register.people.describe(actor)


def review_month(engine: Engine, today: date) -> date:
    """The month whose review to show: the latest with minutes, else the month before ``today``'s."""
    from kawal.store.models import ReviewMinutes

    with Session(engine) as session:
        latest = session.scalar(select(func.max(ReviewMinutes.month)))
    return latest or (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def review(engine: Engine, register: Register, today: date, first: date, lang: str = "id") -> dict:
    """The monthly review (§4.7, §5.5), read only: the month's minutes and addenda as the Review module
    keeps them (frozen once final, ISO 9001 7.5.3), and today's agenda material."""
    from kawal.review.render import minutes_context
    from kawal.review.terms import STATUS_LABEL

    with Session(engine) as session:
        minutes = minutes_context(session, register, first, today)["documents"]
        for doc in minutes:  # the review module's words are Indonesian: the board says them in the page's language
            # "<time> oleh <name>" is kawal.review.render's own wording: its two parts, said in the page's words
            at, _by, who = (doc.get("finalized") or "").partition(" oleh ")
            doc["finalized_at"], doc["finalized_who"] = at, who
            for a in doc["actions"]:
                a["done_suffix"] = a["status"][len(STATUS_LABEL[a["state"]]) :].strip()
                a["kpi_name"] = None
                if a.get("kpi_id") and register.has_kpi(a["kpi_id"]):
                    kpi = register.kpi(a["kpi_id"])
                    a["kpi_name"] = kpi.name_id if lang == "id" else kpi.name_en
        repeated = session.scalars(
            select(DefectTicket)
            .where(DefectTicket.repeat_flag.is_(True), DefectTicket.active_key.is_not(None))
            .order_by(DefectTicket.id)
        ).all()
        overdue = session.scalars(
            select(RecoveryAction)
            .join(DefectTicket, DefectTicket.id == RecoveryAction.ticket_id)
            .where(
                RecoveryAction.done_on.is_(None),
                RecoveryAction.due_date < today,
                DefectTicket.active_key.is_not(None),
            )
            .order_by(RecoveryAction.due_date)
        ).all()
        session.expunge_all()
    return {
        "minutes": minutes,
        "repeated": [{"t": t, "subject": subject(register, t, lang)} for t in repeated],
        "overdue": [{"a": a, "owner": register.people.describe(a.owner)} for a in overdue],
    }


def category_key(category: Category) -> str:
    return f"cat_{category.value}"
