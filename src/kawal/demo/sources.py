"""Seeded generator of the other daily exports: QM, PnP, mystery shopper, CSI, availability, seats
and headcount, agent-days — with planted misses in every category.

Planted for each month (picked from the seed, on top of the interactions' bad days):
- Quality: a *weak week* of mystery-shopper visits and QM evaluations (new agents on the floor);
  CSI drops on the interactions' short-staffed and telephony-incident days.
- Infrastructure: the telephony incident takes telephony and IVR down for hours; the CRM has one
  long outage and a few slow days, so application availability misses for the month.
- HR fulfilment: a *shortage week* of unfilled seats, and more leavers than usual (attrition).
- HR performance: a *flu day* (attendance), adherence dips on the short-staffed day, and fewer
  contacts per agent on the new-product day (long calls).

Same seed and month → byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from kawal.demo.interactions import planted_bad_days, write_csv_atomically, write_interactions_month
from kawal.errors import KawalError
from kawal.ingest.delivery import day_file
from kawal.periods import days_of_month
from kawal.sources import SOURCES

SYSTEMS = ("ivr", "telephony", "chatbot", "crm", "core_gadai", "knowledge_base")
TEAMS = {"voice": 95, "digital": 30}  # agents employed per team at the start of the month
AGENTS = [(f"AG{i:03d}", "voice" if i <= 90 else "digital") for i in range(1, 121)]


@dataclass(frozen=True)
class MonthPlan:
    """What goes wrong this month, and when."""

    interaction_bad_days: dict[date, str]
    weak_week: frozenset[date]  # quality
    shortage_week: frozenset[date]  # seats
    flu_day: date
    crm_outage_day: date
    crm_slow_days: frozenset[date]
    leaver_days: tuple[date, ...]
    #: the day the ACD export job dies at 13:00 WIB: its interactions file stops there (bad data,
    #: to be quarantined — not_evaluable KPIs and a data incident, never a KPI defect)
    data_fault_day: date | None = None

    def interaction_kind(self, day: date) -> str | None:
        return self.interaction_bad_days.get(day)


def plan_month(first: date, seed: int) -> MonthPlan:
    days = days_of_month(first)
    rng = np.random.default_rng([seed, first.year, first.month, 7])
    weak_start = int(rng.integers(0, len(days) - 7))
    short_start = int(rng.integers(0, len(days) - 7))
    picks = rng.choice(len(days), size=5, replace=False)
    return MonthPlan(
        interaction_bad_days=planted_bad_days(days, seed),
        weak_week=frozenset(days[weak_start : weak_start + 7]),
        shortage_week=frozenset(days[short_start : short_start + 7]),
        flu_day=days[int(picks[0])],
        crm_outage_day=days[int(picks[1])],
        crm_slow_days=frozenset(days[int(i)] for i in picks[2:5]),
        leaver_days=tuple(sorted(days[int(i)] for i in rng.choice(len(days), size=5, replace=False))),
        data_fault_day=_data_fault_day(days, seed),
    )


DATA_FAULT_CUTOFF_HOUR = 13


def _data_fault_day(days: list[date], seed: int) -> date:
    """A day after the first week (the volume check has history by then) that is not a planted
    performance miss; its own generator, so the other planted events stay where they were."""
    misses = planted_bad_days(days, seed)
    candidates = [d for d in days[8:] if d not in misses]
    return candidates[int(np.random.default_rng([seed, days[0].toordinal(), 11]).integers(0, len(candidates)))]


def cut_off_export(path: Path, hour: int) -> int:
    """Drop the rows of an interactions file from ``hour`` WIB on (an export job that died then).
    Returns the rows kept."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    column = header.rstrip("\r\n").split(",").index("arrived_at")
    kept = [r for r in rows if int(r.split(",")[column][11:13]) < hour]
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(header + "".join(kept), encoding="utf-8")
    tmp.replace(path)
    return len(kept)


def _rng(seed: int, source: str, day: date) -> np.random.Generator:
    return np.random.default_rng([seed, day.toordinal(), list(SOURCES).index(source)])


def _score(rng: np.random.Generator, n: int, mean: float, sd: float) -> np.ndarray:
    return np.clip(rng.normal(mean, sd, n), 0, 100).round(1)


def qm_evaluations(day: date, plan: MonthPlan, rng: np.random.Generator) -> list[list[object]]:
    if day.weekday() == 6:  # QA team does not evaluate on Sundays: a header-only file
        return []
    n = int(rng.poisson(40))
    weak = day in plan.weak_week
    scores = _score(rng, n, 78 if weak else 89, 6)
    agents = rng.integers(0, len(AGENTS), n)
    channel = rng.choice(["voice", "chat", "whatsapp"], n, p=[0.7, 0.18, 0.12])
    return [
        [f"QM{day:%Y%m%d}{i:03d}", AGENTS[int(a)][0], c, s, 100]
        for i, (a, c, s) in enumerate(zip(agents, channel, scores, strict=True))
    ]


def pnp_tests(day: date, plan: MonthPlan, rng: np.random.Generator) -> list[list[object]]:
    if day.weekday() != 2:  # tests are held on Wednesdays
        return []
    products = ["gadai_emas", "tabungan_emas", "krasida", "prosedur_keluhan"]
    scores = _score(rng, len(AGENTS), 86, 7)
    return [
        [f"PNP{day:%Y%m%d}{i:03d}", agent, products[i % len(products)], s]
        for i, ((agent, _), s) in enumerate(zip(AGENTS, scores, strict=True))
    ]


def mystery_shopper_visits(day: date, plan: MonthPlan, rng: np.random.Generator) -> list[list[object]]:
    if day.weekday() >= 5:
        return []
    n = int(rng.integers(2, 5))
    weak = day in plan.weak_week
    scores = _score(rng, n, 66 if weak else 88, 8)
    channel = rng.choice(["voice", "chat"], n, p=[0.75, 0.25])
    scenario = rng.choice(["gadai_baru", "pelunasan", "keluhan_lelang", "info_tabungan_emas"], n)
    return [
        [f"MS{day:%Y%m%d}{i:02d}", c, sc, s] for i, (c, sc, s) in enumerate(zip(channel, scenario, scores, strict=True))
    ]


def csi_responses(day: date, plan: MonthPlan, rng: np.random.Generator) -> list[list[object]]:
    n = int(rng.poisson(260 * (0.6 if day.weekday() >= 5 else 1.0)))
    bad = plan.interaction_kind(day) in ("short_staffed", "telephony_incident")
    p = [0.04, 0.06, 0.12, 0.33, 0.45] if bad else [0.01, 0.02, 0.05, 0.32, 0.60]
    ratings = rng.choice([1, 2, 3, 4, 5], n, p=p)
    channel = rng.choice(["voice", "chat", "whatsapp"], n, p=[0.7, 0.18, 0.12])
    return [[f"CSI{day:%Y%m%d}{i:04d}", c, int(r)] for i, (c, r) in enumerate(zip(channel, ratings, strict=True))]


def system_availability(day: date, plan: MonthPlan, rng: np.random.Generator) -> list[list[object]]:
    rows: list[list[object]] = []
    for system in SYSTEMS:
        down = float(rng.exponential(240)) if rng.random() < 0.12 else 0.0  # a short blip now and then
        incidents = int(down > 0)
        if plan.interaction_kind(day) == "telephony_incident" and system in ("telephony", "ivr"):
            down, incidents = (9000.0 if system == "telephony" else 2400.0), 1
        if system == "crm" and day == plan.crm_outage_day:
            down, incidents = 21600.0, 1
        if system == "crm" and day in plan.crm_slow_days:
            down, incidents = down + 1800.0, incidents + 2
        rows.append([system, 86400, round(min(down, 86400.0)), incidents])
    return rows


def _headcounts(plan: MonthPlan, first: date) -> dict[date, dict[str, tuple[int, int, int]]]:
    """(headcount, leavers, joiners) per team per day: the stock moves with the flows."""
    current = dict(TEAMS)
    out: dict[date, dict[str, tuple[int, int, int]]] = {}
    joiner_days = {days_of_month(first)[9], days_of_month(first)[20]}
    for day in days_of_month(first):
        today = {}
        for team in TEAMS:
            leavers = sum(1 for d in plan.leaver_days if d == day) if team == "voice" else 0
            joiners = 1 if (day in joiner_days and team == "voice") else 0
            current[team] += joiners - leavers
            today[team] = (current[team], leavers, joiners)
        out[day] = today
    return out


def seats_headcount(day: date, plan: MonthPlan, rng: np.random.Generator) -> list[list[object]]:
    rows: list[list[object]] = []
    heads = _headcounts(plan, day.replace(day=1))[day]
    for team, agents in TEAMS.items():
        required = round(agents * (0.85 if day.weekday() < 5 else 0.6))
        fill_rate = 0.86 if day in plan.shortage_week else float(rng.uniform(0.965, 1.0))
        filled = min(required, round(required * fill_rate))
        headcount, leavers, joiners = heads[team]
        rows.append([team, required, filled, headcount, leavers, joiners])
    return rows


def agent_days(day: date, plan: MonthPlan, rng: np.random.Generator) -> list[list[object]]:
    rows: list[list[object]] = []
    kind = plan.interaction_kind(day)
    p_present = 0.84 if day == plan.flu_day else 0.97
    adherence = 0.84 if kind == "short_staffed" else 0.925
    contacts = {"voice": 33 if kind == "new_product_launch" else 46, "digital": 58}
    for i, (agent, team) in enumerate(AGENTS):
        scheduled = (i + day.toordinal()) % 7 not in (0, 1)  # five days on, two off, staggered
        present = scheduled and rng.random() < p_present
        shift = 28800 if scheduled else 0
        adherent = round(shift * float(np.clip(rng.normal(adherence, 0.035), 0.5, 1.0))) if present else 0
        logged_in = min(shift, adherent + int(rng.integers(0, 1200))) if present else 0
        handled = int(rng.poisson(contacts[team])) if present else 0
        rows.append([agent, team, int(scheduled), int(present), shift, adherent, logged_in, handled])
    return rows


GENERATORS: dict[str, Callable[[date, MonthPlan, np.random.Generator], list[list[object]]]] = {
    "qm_evaluations": qm_evaluations,
    "pnp_tests": pnp_tests,
    "mystery_shopper_visits": mystery_shopper_visits,
    "csi_responses": csi_responses,
    "system_availability": system_availability,
    "seats_headcount": seats_headcount,
    "agent_days": agent_days,
}


def demo_month_paths(first: date, landing: Path) -> list[Path]:
    """The files :func:`write_demo_month` writes for the month, in its order."""
    return [day_file(landing, source, day) for source in ("interactions", *GENERATORS) for day in days_of_month(first)]


def refuse_overwriting_records(first: date, out: Path) -> None:
    """One line unless demo data for ``first`` may be written into ``out`` (ISO 9001 §7.5.3.2).

    Demo data is for a folder of its own or a fresh landing folder: outside the landing folder it
    may not go into another record folder; inside it, it never writes over a delivered file nor for
    a day the store has already loaded (the delivered files may have been disposed of or moved).
    """
    from kawal.records.folders import outside_record_folders, record_folder_of

    if record_folder_of(out) != "landing":
        outside_record_folders(out)
        return
    existing = [p for p in demo_month_paths(first, out) if p.exists() or p.is_symlink()]
    if existing:
        shown = existing[0].relative_to(out).as_posix()
        raise KawalError(
            f"--out {out}: demo data would overwrite {len(existing)} delivered file(s) of the landing folder, "
            f"first {shown}; records are never replaced: use another folder"
        )
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from kawal.store import IngestionBatch, engine_for

    last = days_of_month(first)[-1]
    with Session(engine_for()) as s:
        loaded = s.scalars(
            select(IngestionBatch.business_date)
            .where(IngestionBatch.business_date >= first, IngestionBatch.business_date <= last)
            .order_by(IngestionBatch.business_date)
            .limit(1)
        ).first()
    if loaded is not None:
        raise KawalError(
            f"--out {out}: {loaded} is already loaded (ingestion batches in the store); demo data never stands in "
            "for a loaded day's delivery: use another folder or month"
        )


def write_demo_month(
    first: date,
    landing: Path,
    *,
    seed: int = 42,
    calls_per_day: int = 4000,
    progress: Callable[[str, date, int], None] | None = None,
) -> dict[str, list[Path]]:
    """Every canonical source's files for the month; returns the paths per source."""
    plan = plan_month(first, seed)
    out: dict[str, list[Path]] = {
        "interactions": write_interactions_month(
            first,
            landing,
            seed=seed,
            calls_per_day=calls_per_day,
            progress=(lambda d, n, _k: progress("interactions", d, n)) if progress else None,
        )
    }
    if plan.data_fault_day is not None:
        cut_off_export(day_file(landing, "interactions", plan.data_fault_day), DATA_FAULT_CUTOFF_HOUR)
    for source, generate in GENERATORS.items():
        header = SOURCES[source].required_columns  # the optional columns (pseudonyms, weights) are left out
        out[source] = []
        for day in days_of_month(first):
            rows = generate(day, plan, _rng(seed, source, day))
            path = day_file(landing, source, day)
            write_csv_atomically(path, header, rows)
            out[source].append(path)
            if progress:
                progress(source, day, len(rows))
    return out
