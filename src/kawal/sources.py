"""The canonical sources: the layouts Kawal computes KPIs from (the ground floor of the package).

Every source is delivered as one CSV per business day (site timezone) at
``<landing>/<source>/<source>_YYYY-MM-DD.csv`` (UTF-8, comma, header row). Event sources (QM
evaluations, tests, visits, surveys) may deliver a header-only file on a day without events;
snapshot and log sources (interactions, availability, seats, agent-days) must have rows.
Vendor exports in other layouts are mapped onto these by configuration (``mappings/``).

Durations are seconds in every canonical source. The register names these sources, mappings
target them, the Great Expectations suites state them, and :mod:`kawal.ingest.readers` checks a
delivery against them; this module imports nothing of Kawal's but its errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kawal.errors import KawalError

ColumnKind = Literal["text", "number", "count", "flag"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind
    description: str
    allowed: frozenset[str] | None = None  # for text: the only values accepted
    minimum: float | None = None  # for number/count
    maximum: float | None = None
    #: a column a delivery may leave out; its cells are then ``default``
    optional: bool = False
    default: str = ""
    #: holds a keyed hash of a customer identifier (never the identifier itself); empty when unknown
    pseudonym: bool = False
    #: an empty cell means *unknown* (kept as a missing number), never 0: e.g. the wait of an
    #: abandoned call an export leaves blank. The formulas say what an unknown value counts as.
    unknown_when_blank: bool = False


@dataclass(frozen=True)
class SourceSpec:
    name: str
    description: str
    columns: tuple[Column, ...]
    empty_day_ok: bool
    #: (column a, column b): a <= b on every row (e.g. downtime within scheduled time)
    at_most: tuple[tuple[str, str], ...] = field(default=())
    #: a column whose values are unique within a day's delivery (duplicates mean a bad export)
    unique: str | None = None
    #: the ``unique`` ids are events, never repeated on another day (a snapshot's team/system/agent is)
    ids_unique_across_days: bool = False
    #: an ISO 8601 timestamp column that must fall on the business day (site time)
    timestamp: str | None = None
    #: a count column saying how many events a row stands for (interval aggregates: one row per
    #: interval, queue and outcome); per-event bounds (``maximum``) are checked per event
    weight: str | None = None

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not c.optional)


def _seconds(name: str, what: str, *, unknown_when_blank: bool = False) -> Column:
    # one interaction or one day of a system/agent never lasts more than a day: 99999 s is a bad export
    return Column(name, "number", f"{what}, seconds", minimum=0, maximum=86400, unknown_when_blank=unknown_when_blank)


SOURCES: dict[str, SourceSpec] = {
    s.name: s
    for s in (
        SourceSpec(
            "interactions",
            "one row per call/chat that entered a queue (ACD / chat platform export)",
            (
                Column("interaction_id", "text", "unique id of the interaction"),
                Column("channel", "text", "voice, chat, whatsapp, ..."),
                Column("queue", "text", "queue / skill"),
                Column("arrived_at", "text", "ISO 8601 timestamp of entering the queue"),
                Column("outcome", "text", "answered or abandoned", frozenset({"answered", "abandoned"})),
                _seconds(
                    "wait_s",
                    "time in queue until answered or abandoned",
                    unknown_when_blank=True,
                ),
                _seconds("talk_s", "talk time", unknown_when_blank=True),
                _seconds("hold_s", "hold time"),
                _seconds("acw_s", "after-call work"),
                Column(
                    "calls",
                    "count",
                    "interactions the row stands for: 1 call-level, n for an interval aggregate",
                    minimum=1,
                    optional=True,
                    default="1",
                ),
                Column(
                    "short_abandon",
                    "flag",
                    "1 when the export itself counts the abandon as short, 0 when it says it is not; "
                    "empty: the SCR's short_abandon_s decides on a known wait (an unknown wait is never short)",
                    optional=True,
                    unknown_when_blank=True,
                ),
                Column(
                    "first_contact_resolved",
                    "flag",
                    "1 when the contact resolved the customer's need at the first contact, 0 when not; "
                    "empty when the export does not say (first-contact resolution counts the known ones)",
                    optional=True,
                    unknown_when_blank=True,
                ),
                Column(
                    "customer_ref",
                    "text",
                    "keyed hash (HMAC-SHA256) of the caller's id, or empty",
                    optional=True,
                    pseudonym=True,
                ),
            ),
            empty_day_ok=False,
            weight="calls",
            unique="interaction_id",
            ids_unique_across_days=True,
            timestamp="arrived_at",
        ),
        SourceSpec(
            "qm_evaluations",
            "one row per quality-monitoring evaluation of an agent's interaction (QM tool)",
            (
                Column("evaluation_id", "text", "unique id"),
                Column("agent_id", "text", "evaluated agent"),
                Column("channel", "text", "channel of the evaluated interaction"),
                Column("score", "number", "points obtained", minimum=0),
                Column("max_score", "number", "points obtainable", minimum=0),
            ),
            empty_day_ok=True,
            at_most=(("score", "max_score"),),
            unique="evaluation_id",
            ids_unique_across_days=True,
        ),
        SourceSpec(
            "pnp_tests",
            "one row per product & procedure (PnP) test taken by an agent",
            (
                Column("test_id", "text", "unique id"),
                Column("agent_id", "text", "agent tested"),
                Column("product", "text", "product or procedure tested"),
                Column("score", "number", "test score, 0-100", minimum=0, maximum=100),
            ),
            empty_day_ok=True,
            unique="test_id",
            ids_unique_across_days=True,
        ),
        SourceSpec(
            "mystery_shopper_visits",
            "one row per mystery-shopper contact (call or chat) and its scored result",
            (
                Column("visit_id", "text", "unique id"),
                Column("channel", "text", "channel the shopper used"),
                Column("scenario", "text", "scenario played"),
                Column("score", "number", "scenario score, 0-100", minimum=0, maximum=100),
            ),
            empty_day_ok=True,
            unique="visit_id",
            ids_unique_across_days=True,
        ),
        SourceSpec(
            "csi_responses",
            "one row per customer-satisfaction survey response (post-contact survey)",
            (
                Column("response_id", "text", "unique id"),
                Column("channel", "text", "channel of the surveyed contact"),
                Column(
                    "rating",
                    "count",
                    "satisfaction rating 1 (very poor) .. 5 (very good)",
                    minimum=1,
                    maximum=5,
                ),
                Column(
                    "customer_ref",
                    "text",
                    "keyed hash (HMAC-SHA256) of the respondent's id, or empty",
                    optional=True,
                    pseudonym=True,
                ),
            ),
            empty_day_ok=True,
            unique="response_id",
            ids_unique_across_days=True,
        ),
        SourceSpec(
            "system_availability",
            "one row per system per day: service time scheduled and time down (NOC / monitoring)",
            (
                Column("system", "text", "ivr, telephony, chatbot, or an application (crm, core_gadai, ...)"),
                _seconds("scheduled_s", "time the system should have been in service"),
                _seconds("downtime_s", "time it was not (unplanned outages)"),
                Column("incidents", "count", "number of outages", minimum=0),
            ),
            empty_day_ok=False,
            at_most=(("downtime_s", "scheduled_s"),),
            unique="system",
        ),
        SourceSpec(
            "seats_headcount",
            "one row per team per day: seats required and filled, headcount and movements (HRIS / WFM)",
            (
                Column("team", "text", "team, e.g. voice or digital"),
                Column("required_seats", "count", "seats the plan requires", minimum=0),
                Column("filled_seats", "count", "seats filled by trained agents", minimum=0),
                Column("headcount", "count", "agents employed at the end of the day", minimum=0),
                Column("leavers", "count", "agents who left that day", minimum=0),
                Column("joiners", "count", "agents who joined that day", minimum=0),
            ),
            empty_day_ok=False,
            unique="team",
        ),
        SourceSpec(
            "agent_days",
            "one row per agent per day: schedule, attendance, adherence, productive time (WFM)",
            (
                Column("agent_id", "text", "agent"),
                Column("team", "text", "team"),
                Column("scheduled", "flag", "1 when the agent was scheduled to work that day"),
                Column("present", "flag", "1 when the scheduled agent came to work"),
                _seconds("scheduled_shift_s", "scheduled shift time"),
                _seconds("adherent_s", "time in the scheduled activity (schedule adherence)"),
                _seconds("logged_in_s", "time logged in"),
                Column("handled_contacts", "count", "interactions handled", minimum=0),
            ),
            empty_day_ok=False,
            at_most=(("present", "scheduled"), ("adherent_s", "scheduled_shift_s")),
            unique="agent_id",
        ),
    )
}


def source_spec(name: str) -> SourceSpec:
    try:
        return SOURCES[name]
    except KeyError:
        raise KawalError(f"unknown source {name!r} (known: {', '.join(SOURCES)})") from None


def catalogue_markdown() -> str:
    """docs/sources.md: every canonical source and its columns, required and optional (generated by
    ``kawal sources columns --out docs/sources.md``; tests keep it in step with this catalogue)."""
    lines = [
        "# Canonical sources\n",
        "Generated from `kawal.sources` by `kawal sources columns --out docs/sources.md`; do not edit.",
        "A mapping (`mappings/*.yaml`, docs/onboarding-a-source.md) must give every **required** column;",
        "an **optional** one left out takes its default. *Unknown when blank*: an empty cell is kept as",
        "unknown, never read as 0 (the KPIs say what an unknown value counts as).\n",
    ]
    for spec in SOURCES.values():
        lines.append(f"## `{spec.name}`\n")
        lines.append(f"{spec.description[0].upper()}{spec.description[1:]}.")
        rules = [
            "a header-only file is a quiet day" if spec.empty_day_ok else "every day must have rows",
            f"`{spec.unique}` unique in a delivery" + (" and across days" if spec.ids_unique_across_days else "")
            if spec.unique
            else "",
            f"`{spec.timestamp}` must fall on the business day (site time)" if spec.timestamp else "",
            f"`{spec.weight}` weighs each row (aggregates)" if spec.weight else "",
            *(f"`{a}` ≤ `{b}`" for a, b in spec.at_most),
        ]
        lines.append("Rules: " + "; ".join(r for r in rules if r) + ".\n")
        lines.append("| column | required | kind | meaning |")
        lines.append("|---|---|---|---|")
        for c in spec.columns:
            kind = c.kind + (f" ({', '.join(sorted(c.allowed))})" if c.allowed else "")
            if c.minimum is not None or c.maximum is not None:
                kind += (
                    f", {'' if c.minimum is None else f'{c.minimum:g}'}–{'' if c.maximum is None else f'{c.maximum:g}'}"
                )
            notes = [c.description]
            if c.unknown_when_blank:
                notes.append("*unknown when blank*")
            if c.optional and c.default:
                notes.append(f"default `{c.default}`")
            if c.pseudonym:
                notes.append("a keyed hash only (`pseudonymise: true`)")
            lines.append(f"| `{c.name}` | {'optional' if c.optional else 'required'} | {kind} | {'; '.join(notes)} |")
        lines.append("")
    return "\n".join(lines)
