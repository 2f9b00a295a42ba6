"""Exports of the shapes a new site brings (issue #16), written by seeded generators — never the
demo's layout — and SCR computed from them by the csv module alone, as an engineer would by hand.

- ``bank_month_tsv``: a month of a bank's ACD, tab-separated; the call number is unique per site
  only (id = site + number); date (dd/mm/yy) and time of day in two columns; ``HANGUP`` with no
  queue time is a hang-up in the IVR (never offered to an agent); ``HANGUP`` with a queue time is
  an abandon in the queue; some abandons have a blank wait (the ACD did not record it).
- ``training_quarter_xlsx``: a quarter of a BI workbook: one row per call with its satisfaction
  rating (1–5) on the same row when the caller answered the survey; waits blank on abandoned calls.
"""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta
from pathlib import Path

SHORT_ABANDON_S = 5.0  # kpi_rules/register.yaml, KPI scr


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def bank_month_tsv(path: Path, first: date, last: date, *, calls_per_day: int = 60, seed: int = 7) -> Path:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["Site", "CallNo", "Tanggal", "Jam", "Result", "QueueTime", "WaitSec", "TalkSec", "HoldSec"])
        for day in _days(first, last):
            numbers = {"JKT": 0, "SBY": 0}
            for _ in range(calls_per_day):
                site = rng.choice(("JKT", "SBY"))
                numbers[site] += 1
                t = datetime.combine(day, datetime.min.time()) + timedelta(seconds=rng.randint(7 * 3600, 21 * 3600))
                kind = rng.random()
                queue = (t + timedelta(seconds=rng.randint(5, 40))).strftime("%H:%M:%S")
                if kind < 0.08:  # hung up in the IVR: no queue time
                    row = ["HANGUP", "", "", "0", "0"]
                elif kind < 0.16:  # abandoned in the queue, wait known
                    row = ["HANGUP", queue, str(rng.choice((1, 2, 3, 8, 30, 90))), "0", "0"]
                elif kind < 0.20:  # abandoned in the queue, wait not recorded
                    row = ["HANGUP", queue, "", "0", "0"]
                else:
                    row = [
                        "ANSWERED",
                        queue,
                        str(rng.randint(0, 60)),
                        str(rng.randint(60, 600)),
                        str(rng.randint(0, 60)),
                    ]
                w.writerow([site, str(numbers[site]), t.strftime("%d/%m/%y"), t.strftime("%H:%M:%S"), *row])
    return path


BANK_MAPPING = """# a bank's ACD month, tab-separated (tests/onboarding/exports.py)
source: interactions
file: {pattern: "bank_{date:%Y%m%d}.tsv", delimiter: "\\t"}
columns:
  interaction_id: {from: [Site, Tanggal, CallNo], join: "-"}   # the number restarts every day
  channel: {value: voice}
  queue: {from: Site}
  arrived_at: {from: [Tanggal, Jam], timestamp: "%d/%m/%y %H:%M:%S"}
  outcome: {from: Result, map: {ANSWERED: answered, HANGUP: abandoned}}
  wait_s: {from: WaitSec}
  talk_s: {from: TalkSec}
  hold_s: {from: HoldSec}
  acw_s: {value: "0"}
filters:
  - not: {all: [{column: Result, op: "==", value: HANGUP}, {column: QueueTime, op: blank}]}
"""


def bank_scr_by_hand(path: Path) -> tuple[float, float]:
    """(answered, offered − short abandons) of the whole export, by the csv module."""
    answered = offered = short = 0
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if r["Result"] == "HANGUP" and not r["QueueTime"].strip():
                continue  # IVR: never offered
            offered += 1
            if r["Result"] == "ANSWERED":
                answered += 1
            elif r["WaitSec"].strip() and float(r["WaitSec"]) < SHORT_ABANDON_S:
                short += 1
    return float(answered), float(offered - short)


def training_quarter_rows(first: date, last: date, *, calls_per_day: int = 25, seed: int = 11) -> list[tuple]:
    """(call id, arrived datetime, queue, status, wait or None, talk, rating or None) per call."""
    rng = random.Random(seed)
    rows = []
    for day in _days(first, last):
        for n in range(calls_per_day):
            t = datetime.combine(day, datetime.min.time()) + timedelta(seconds=rng.randint(8 * 3600, 20 * 3600))
            if rng.random() < 0.15:  # abandoned: the BI workbook has no wait for them
                rows.append((f"T{day:%m%d}{n:03}", t, rng.choice(("Gadai", "Emas")), "Abandoned", None, 0, None))
            else:
                rating = rng.choice((None, None, 1, 2, 3, 4, 4, 5, 5, 5))
                rows.append(
                    (
                        f"T{day:%m%d}{n:03}",
                        t,
                        rng.choice(("Gadai", "Emas")),
                        "Answered",
                        rng.randint(0, 40),
                        rng.randint(60, 500),
                        rating,
                    )
                )
    return rows


def training_quarter_xlsx(path: Path, rows: list[tuple]) -> Path:
    """The rows as a typed workbook (datetimes and numbers as Excel stores them, blanks as empty cells)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Calls"
    sheet.append(["Call ID", "Arrived", "Queue", "Status", "Wait (s)", "Talk (s)", "Rating"])
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


TRAINING_CALLS = """# a BI training workbook: calls and their survey ratings on the same rows
source: interactions
folder: training
file: {pattern: "training_{date:%Y%m%d}.xlsx", format: xlsx, sheet: Calls}
columns:
  interaction_id: {from: Call ID}
  channel: {value: voice}
  queue: {from: Queue}
  arrived_at: {from: Arrived, timestamp: "%Y-%m-%d %H:%M:%S"}
  outcome: {from: Status, map: {Answered: answered, Abandoned: abandoned}}
  wait_s: {from: Wait (s)}
  talk_s: {from: Talk (s)}
  hold_s: {value: "0"}
  acw_s: {value: "0"}
"""
TRAINING_RATINGS = """# the same workbook's ratings: one response per rated call
source: csi_responses
folder: training
file: {pattern: "training_{date:%Y%m%d}.xlsx", format: xlsx, sheet: Calls}
columns:
  response_id: {from: Call ID}
  channel: {value: voice}
  rating: {from: Rating}
filters:
  - {column: Rating, op: not_blank}
"""


def training_by_hand(rows: list[tuple], first: date, last: date) -> dict[str, tuple[float, float]]:
    """SCR and CSI components of the calls arrived in [first, last], by plain arithmetic on the rows.
    A blank wait is unknown: such an abandon is never short, so every abandon counts as offered."""
    answered = offered = short = satisfied = rated = 0
    for _, t, _, status, wait, _, rating in rows:
        if not first <= t.date() <= last:
            continue
        offered += 1
        answered += status == "Answered"
        short += status == "Abandoned" and wait is not None and wait < SHORT_ABANDON_S
        if rating is not None:
            rated += 1
            satisfied += rating >= 4
    return {"scr": (float(answered), float(offered - short)), "csi": (float(satisfied), float(rated))}


def agency_monthly_csv(
    path: Path, months: list[tuple[int, int]], *, wrong: set[tuple[int, int]], seed: int = 5
) -> Path:
    """A public agency's monthly statistics, several years: offered, answered, abandoned, average
    wait, average talk, and its published abandonment rate (one decimal) — wrong in the ``wrong``
    months (the rate of another month pasted in)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Bulan", "Ditawarkan", "Dijawab", "Ditinggalkan", "RataTunggu", "RataBicara", "TingkatAbandon"])
        for year, month in months:
            offered = rng.randint(20_000, 40_000)
            abandoned = rng.randint(offered // 30, offered // 8)
            rate = 100 * abandoned / offered + (7.5 if (year, month) in wrong else 0.0)
            w.writerow(
                [
                    f"{year}-{month:02}",
                    offered,
                    offered - abandoned,
                    abandoned,
                    f"{rng.uniform(8, 60):.1f}",
                    f"{rng.uniform(180, 400):.1f}",
                    f"{rate:.1f}",
                ]
            )
    return path


AGENCY_MAPPING = """# a public agency's monthly statistics (tests/onboarding/exports.py)
source: interactions
shape: aggregates
period: month
file: {pattern: "agency_{date:%Y%m}.csv"}
columns:
  interval_start: {from: Bulan, timestamp: "%Y-%m"}
  channel: {value: voice}
  queue: {value: all}
  offered: {from: Ditawarkan}
  answered: {from: Dijawab}
  abandoned: {from: Ditinggalkan}
  answer_wait_avg_s: {from: RataTunggu}
  talk_avg_s: {from: RataBicara}
  published_abandon_rate: {from: TingkatAbandon}
"""


def agency_scr_by_hand(path: Path, month: str) -> tuple[float, float]:
    """(answered, offered) of one month: no short-abandon count, so every abandon counts."""
    with path.open(encoding="utf-8", newline="") as fh:
        (row,) = [r for r in csv.DictReader(fh) if r["Bulan"] == month]
    return float(row["Dijawab"]), float(row["Ditawarkan"])
