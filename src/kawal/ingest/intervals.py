"""Interactions delivered as interval aggregates (15/30-minute rows per queue) instead of per call.

Many ACDs export only an interval report: per interval and queue, offered, answered, abandoned
(and short abandons), Σ wait of the answered, Σ wait of the abandoned, Σ talk, hold, wrap-up. A
mapping with ``shape: intervals`` maps such a report onto the *interval fields* below; each
interval row then becomes at most three canonical ``interactions`` rows — answered, abandoned,
short-abandoned — carrying ``calls`` = their count and the sums of their durations. SCR, RT and AHT
weigh rows by ``calls``, so a call-level export and an interval report of the same calls give the
same KPI values (tests/ingest/test_intervals.py shows it).

What an interval report cannot say, and what Kawal assumes:
- a short abandon is what the export counts as one (``short_abandoned``); Kawal's own
  ``short_abandon_s`` applies to call-level data only. Without that column every abandon counts
  (each expanded row says so in ``short_abandon``: 1 for the export's short abandons, 0 for the
  rest), whatever the abandons' waits.
- ``abandon_wait_s`` may be left unmapped (many reports do not give it): the abandoned rows' wait
  is then unknown, which no KPI reads as 0.
- offered − answered − abandoned (calls still queued at the interval's end, overflowed out) is
  checked (never negative) but counted in no KPI, as call-level data would not have those rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kawal.errors import SourceFileError
from kawal.redaction import cell, figure, moment

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class IntervalField:
    name: str
    description: str
    required: bool = True
    numeric: bool = True
    default: str = "0"


INTERVAL_FIELDS: dict[str, IntervalField] = {
    f.name: f
    for f in (
        IntervalField("interval_start", "start of the interval (timestamp)", numeric=False),
        IntervalField("channel", "voice, chat, ...", numeric=False),
        IntervalField("queue", "queue / skill", numeric=False),
        IntervalField("offered", "interactions offered in the interval"),
        IntervalField("answered", "interactions answered"),
        IntervalField("abandoned", "interactions abandoned (short abandons included)"),
        IntervalField("short_abandoned", "abandons the export counts as short", required=False),
        IntervalField(
            "answer_wait_s",
            "Σ seconds waited by the answered interactions (unknown when absent)",
            required=False,
            default="",
        ),
        IntervalField(
            "answer_wait_avg_s",
            "average seconds waited by the answered (× answered = Σ), when the export gives the mean, not the sum",
            required=False,
            default="",
        ),
        IntervalField(
            "abandon_wait_s",
            "Σ seconds waited by the abandoned interactions (unknown when absent)",
            required=False,
            default="",
        ),
        IntervalField("talk_s", "Σ talk seconds of the answered", required=False, default=""),
        IntervalField(
            "talk_avg_s",
            "average talk seconds of the answered (× answered = Σ), instead of talk_s",
            required=False,
            default="",
        ),
        IntervalField("hold_s", "Σ hold seconds of the answered", required=False),
        IntervalField("acw_s", "Σ after-call-work seconds of the answered", required=False),
        # the export's own ratios, mapped as *checks*: a delivery whose rate disagrees with its counts
        # beyond the rounding of the written figure is refused (a data incident names both figures)
        IntervalField(
            "published_abandon_rate", "the export's abandon rate, % of offered (a check)", required=False, default=""
        ),
        IntervalField(
            "published_answer_rate", "the export's answer rate, % of offered (a check)", required=False, default=""
        ),
        IntervalField(
            "published_average_wait_s", "the export's average speed of answer, s (a check)", required=False, default=""
        ),
    )
}

#: published figure → (what it is of the counts, as a function of the numbers)
PUBLISHED = {
    "published_abandon_rate": ("abandoned / offered × 100", lambda n: 100 * n["abandoned"] / n["offered"]),
    "published_answer_rate": ("answered / offered × 100", lambda n: 100 * n["answered"] / n["offered"]),
    "published_average_wait_s": ("Σ answer wait / answered", lambda n: n["answer_wait_s"] / n["answered"]),
}


def _rounding(text: str) -> float:
    """Half a unit of the last decimal written: "12.3" → 0.05, "12" → 0.5, "12,35" → 0.005."""
    text = text.strip().replace(",", ".")
    decimals = len(text.split(".", 1)[1]) if "." in text else 0
    return 0.5 * 10.0**-decimals


def expand_intervals(fields: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Interval rows (text cells, mapped onto INTERVAL_FIELDS) as canonical interactions rows (text
    cells); each output row keeps the index of the line it came from, so errors name that line."""
    import pandas as pd

    fields = fields.assign(
        **{f.name: f.default for f in INTERVAL_FIELDS.values() if not f.required and f.name not in fields.columns}
    )
    numbers: dict[str, pd.Series] = {}
    for f in INTERVAL_FIELDS.values():
        if not f.numeric:
            continue
        number = pd.to_numeric(fields[f.name], errors="coerce")
        bad = number.isna() | (number < 0)
        if not f.required and f.default == "":  # absent or blank: unknown, not 0
            bad &= fields[f.name].str.strip().ne("")
        if f.name in ("offered", "answered", "abandoned", "short_abandoned"):
            bad |= number.notna() & (number % 1 != 0)
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise SourceFileError(
                path,
                f"row {fields.index[i] + 2}, column {f.name}: {cell(fields[f.name].iloc[i])} is not a "
                f"{'whole ' if f.name in ('offered', 'answered', 'abandoned', 'short_abandoned') else ''}number "
                f"from 0 ({int(bad.sum())} bad row(s) in all)",
            )
        numbers[f.name] = number
    for small, large, what in (
        (numbers["answered"] + numbers["abandoned"], numbers["offered"], "answered + abandoned"),
        (numbers["short_abandoned"], numbers["abandoned"], "short_abandoned"),
    ):
        bad = small > large
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            name = "offered" if what.startswith("answered") else "abandoned"
            raise SourceFileError(
                path,
                f"row {fields.index[i] + 2}: {what} ({figure(small.iloc[i])}) is greater than {name} "
                f"({figure(large.iloc[i])}): "
                "the interval's counts contradict each other",
            )
    for total, average in (("answer_wait_s", "answer_wait_avg_s"), ("talk_s", "talk_avg_s")):
        numbers[total] = numbers[total].fillna(numbers[average] * numbers["answered"])  # a mean × its count
    period = fields["period_label"] if "period_label" in fields.columns else fields["interval_start"]
    for name, (what, expected_of) in PUBLISHED.items():
        written = fields[name].str.strip()
        mapped = written.ne("") & numbers[name].notna()
        with_base = numbers["answered" if name == "published_average_wait_s" else "offered"] > 0
        expected = expected_of(numbers)
        off = mapped & with_base & expected.notna()
        off &= (numbers[name] - expected).abs() > written.map(_rounding) + 1e-9
        if off.any():
            i = int(off.to_numpy().nonzero()[0][0])
            raise SourceFileError(
                path,
                f"row {fields.index[i] + 2} (period {moment(period.iloc[i])}): the export's "
                f"{name.removeprefix('published_')} {figure(numbers[name].iloc[i])} disagrees with its own counts "
                f"({what} = {expected.iloc[i]:.6g}) beyond rounding; {int(off.sum())} row(s) in all",
            )
    parts = []
    long_abandoned = numbers["abandoned"] - numbers["short_abandoned"]
    unknown = pd.Series(float("nan"), index=fields.index)
    for outcome, calls, wait, talk, hold, acw, kind, short in (
        ("answered", numbers["answered"], numbers["answer_wait_s"], "talk_s", "hold_s", "acw_s", "answered", ""),
        ("abandoned", long_abandoned, numbers["abandon_wait_s"], None, None, None, "abandoned", "0"),
        # the export's short abandons have no wait of their own in the report: unknown, and short by its word
        ("abandoned", numbers["short_abandoned"], unknown, None, None, None, "short", "1"),
    ):
        keep = calls > 0
        zero = pd.Series("0", index=fields.index)
        part = pd.DataFrame(
            {
                "interaction_id": fields["queue"]
                + "|"
                + fields["channel"]
                + "|"
                + fields["interval_start"]
                + "|"
                + kind,
                "channel": fields["channel"],
                "queue": fields["queue"],
                "arrived_at": fields["interval_start"],
                "outcome": outcome,
                "wait_s": wait.map(lambda v: "" if pd.isna(v) else f"{v:g}"),
                "talk_s": numbers[talk].map(lambda v: "" if pd.isna(v) else f"{v:g}") if talk else zero,
                "hold_s": numbers[hold].map(lambda v: f"{v:g}") if hold else zero,
                "acw_s": numbers[acw].map(lambda v: f"{v:g}") if acw else zero,
                "calls": calls.map(lambda v: f"{v:g}"),
                "short_abandon": short,
            },
            index=fields.index,
        ).loc[keep]
        parts.append(part)
    return pd.concat(parts).sort_index(kind="stable")
