"""Seeded generator of daily interaction exports (voice and digital channels).

The model, in short (enough realism for KPIs to behave like a real center's):

- **Volume** per day = ``calls_per_day`` × a weekday factor (Monday peak, quiet Sunday) × noise,
  split over channels (voice 70 %, chat 18 %, WhatsApp 12 %) and their queues.
- **Intraday arrival curve**: two peaks (around 10:00 and 14:30 WIB) over a thin 24-hour floor.
- **Waiting**: the WFM plan staffs each hour for its forecast, so occupancy ρ is roughly flat;
  mean wait grows like ρ/(1−ρ) (an M/M/c-flavoured approximation). A *short-staffed* day pushes ρ
  towards 1 and waits explode.
- **Abandonment grows with waiting**: each customer has a patience drawn from an exponential
  distribution (plus a few instant hang-ups); whoever waits longer than their patience abandons,
  and the recorded wait is then their patience.
- **Handling**: talk, hold (a share of calls) and after-call work are log-normal per channel.
- **Planted bad days** (picked from the seed): a short-staffed day and a telephony-incident day
  (both miss SCR and RT), and a new-product day whose long calls miss AHT.

Same seed, month and volume → byte-identical files (each day has its own seeded stream).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from kawal.ingest.delivery import day_file
from kawal.periods import days_of_month
from kawal.settings import site_tz


@dataclass(frozen=True)
class Channel:
    name: str
    share: float
    queues: tuple[str, ...]
    patience_mean_s: float
    talk_median_s: float
    hold_share: float
    acw_median_s: float


CHANNELS = (
    Channel("voice", 0.70, ("gadai", "tabungan_emas", "pembiayaan", "keluhan"), 420.0, 175.0, 0.30, 25.0),
    Channel("chat", 0.18, ("umum", "keluhan"), 900.0, 220.0, 0.10, 35.0),
    Channel("whatsapp", 0.12, ("umum",), 1500.0, 200.0, 0.05, 30.0),
)
WEEKDAY_FACTOR = (1.15, 1.05, 1.0, 1.0, 0.95, 0.7, 0.5)  # Monday .. Sunday

#: Why a day is bad: (occupancy, base wait seconds, talk multiplier)
NORMAL_DAY = (0.80, 4.0, 1.0)
BAD_DAY_KINDS = {
    "short_staffed": (0.93, 6.0, 1.0),
    "telephony_incident": (0.95, 7.0, 1.05),
    "new_product_launch": (0.84, 4.0, 1.45),
}
COLUMNS = (
    "interaction_id",
    "channel",
    "queue",
    "arrived_at",
    "answered_at",
    "ended_at",
    "outcome",
    "wait_s",
    "talk_s",
    "hold_s",
    "acw_s",
    "agent_id",
    "customer_phone",
)


def planted_bad_days(month_days: list[date], seed: int) -> dict[date, str]:
    """Which days of the month are bad, and how (picked from the seed, stable per month)."""
    rng = np.random.default_rng([seed, month_days[0].year, month_days[0].month])
    picks = rng.choice(len(month_days), size=len(BAD_DAY_KINDS), replace=False)
    return {month_days[int(i)]: kind for i, kind in zip(sorted(picks), BAD_DAY_KINDS, strict=True)}


def _arrival_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    component = rng.choice(3, size=n, p=[0.45, 0.43, 0.12])
    hours = np.where(
        component == 0,
        rng.normal(10.0, 1.6, n),
        np.where(component == 1, rng.normal(14.5, 2.0, n), rng.uniform(0, 24, n)),
    )
    return np.sort(np.clip(hours, 0, 23.9997) * 3600.0).round()


def generate_day(day: date, *, seed: int, calls_per_day: int, kind: str | None) -> list[list[object]]:
    """Rows (as CSV strings) of one day's interaction export."""
    occupancy, base_wait, talk_factor = BAD_DAY_KINDS[kind] if kind else NORMAL_DAY
    rng = np.random.default_rng([seed, day.toordinal()])
    volume = calls_per_day * WEEKDAY_FACTOR[day.weekday()] * rng.normal(1.0, 0.04)
    midnight = datetime(day.year, day.month, day.day, tzinfo=site_tz())
    rows: list[list[object]] = []
    for channel in CHANNELS:
        n = max(1, round(volume * channel.share))
        arrived = _arrival_seconds(rng, n)
        rho = np.clip(rng.normal(occupancy, 0.02, n), 0.3, 0.985)
        wait_if_served = rng.exponential(base_wait * rho / (1 - rho))
        patience = rng.exponential(channel.patience_mean_s, n)
        instant = rng.random(n) < 0.015  # misdials and instant hang-ups: the "short abandons"
        patience[instant] = rng.uniform(0, 4.5, int(instant.sum()))
        abandoned = patience < wait_if_served
        wait = np.where(abandoned, patience, wait_if_served).round()
        talk = rng.lognormal(np.log(channel.talk_median_s * talk_factor), 0.55, n).round()
        hold = np.where(rng.random(n) < channel.hold_share, rng.lognormal(np.log(45), 0.6, n), 0).round()
        acw = rng.lognormal(np.log(channel.acw_median_s), 0.5, n).round()
        queue = rng.choice(channel.queues, size=n)
        agent = rng.integers(1, 121, n)
        phone = rng.integers(10**9, 10**10, n)
        for i in range(n):
            start = midnight + timedelta(seconds=float(arrived[i]))
            if abandoned[i]:
                answered_at, ended_at = "", (start + timedelta(seconds=float(wait[i]))).isoformat()
                t = h = a = 0.0
                agent_id = ""
            else:
                answered = start + timedelta(seconds=float(wait[i]))
                t, h, a = float(talk[i]), float(hold[i]), float(acw[i])
                answered_at, ended_at = (
                    answered.isoformat(),
                    (answered + timedelta(seconds=t + h)).isoformat(),
                )
                agent_id = f"AG{int(agent[i]):03d}"
            rows.append(
                [
                    "",  # id filled below, after sorting by arrival
                    channel.name,
                    str(queue[i]),
                    start.isoformat(),
                    answered_at,
                    ended_at,
                    "abandoned" if abandoned[i] else "answered",
                    f"{wait[i]:.0f}",
                    f"{t:.0f}",
                    f"{h:.0f}",
                    f"{a:.0f}",
                    agent_id,
                    f"08{int(phone[i])}",  # personal data, as real exports carry it: never stored
                ]
            )
    rows.sort(key=lambda r: (r[3], r[1]))
    for i, row in enumerate(rows, start=1):
        row[0] = f"{day:%Y%m%d}-{i:06d}"
    return rows


def write_csv_atomically(path: Path, header: tuple[str, ...], rows: list[list[object]]) -> None:
    """Write a landing file under a temporary name, then rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.part")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    tmp.replace(path)


def write_interactions_month(
    first: date,
    landing: Path,
    *,
    seed: int = 42,
    calls_per_day: int = 4000,
    progress: Callable[[date, int, str | None], None] | None = None,
) -> list[Path]:
    """Write one interactions file per day of the month; returns their paths."""
    days = days_of_month(first)
    bad = planted_bad_days(days, seed)
    paths = []
    for day in days:
        rows = generate_day(day, seed=seed, calls_per_day=calls_per_day, kind=bad.get(day))
        path = day_file(landing, "interactions", day)
        write_csv_atomically(path, COLUMNS, rows)
        paths.append(path)
        if progress:
            progress(day, len(rows), bad.get(day))
    return paths
