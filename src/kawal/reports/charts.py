"""KPI-against-target charts as inline SVG (matplotlib, Agg backend: no display needed).

Honest by construction (#18), for the report and the board alike:

- **a time axis**, never categories: every day of the month (or every month of a monthly KPI) has
  its place, so a missing or quarantined day is a visible gap, shaded and named in the legend, and
  the line is never drawn across it;
- **the target and warning lines follow the register's revisions** day by day (a step), and a
  revision that changes them is annotated where it takes effect;
- **breaches are marked** (red points; at risk amber);
- **the value axis follows one stated rule** (:func:`value_axis`, said under the report's charts):
  it spans the target, the warning and every value, and at least :data:`MIN_SPAN_OF_TARGET` of the
  target's size, so a 0.6-point dip on an 85-point KPI is drawn as the small dip it is; it never
  leaves the unit's bounds (0–100 %).
"""

from __future__ import annotations

import io
import math
from datetime import date

from kawal.reports.labels import LABELS

#: the value axis spans at least this share of the target (see the module docstring)
MIN_SPAN_OF_TARGET = 0.10
#: the charts' words, from the report's one catalogue (kawal.reports.labels)
WORDS = {
    lang: {word: labels[f"chart_{word}"] for word in ("actual", "target", "warning", "gap", "breach", "revision")}
    for lang, labels in LABELS.items()
}


def chart_spec(
    kpi,  # type: ignore[no-untyped-def]
    register,
    periods: list[date],
    values: dict[date, tuple[float | None, str]],
    *,
    monthly: bool,
    title: str,
    lang: str,
) -> dict:
    """A chart's data, JSON-serialisable (archived with the report's context): one point per period
    of the axis (value None where there is none), the target and warning in force on each."""
    points, targets = [], []
    for p in periods:
        value, evaluation = values.get(p, (None, "missing"))
        points.append({"at": p.isoformat(), "value": value, "evaluation": evaluation if value is not None else "gap"})
        t = register.target_on(kpi.id, p)
        targets.append(
            {"at": p.isoformat(), "target": t.value if t else None, "warning": t.warning if t else None,
             "rev": t.rev if t else None}
        )  # fmt: skip
    lo, hi = kpi.unit.bounds
    return {
        "kpi": kpi.id,
        "title": title,
        "lang": lang,
        "period": "month" if monthly else "day",
        "points": points,
        "targets": targets,
        "bounds": [lo, hi],
    }


def value_axis(values: list[float], targets: list[float], bounds: tuple[float, float | None]) -> tuple[float, float]:
    """(low, high) of the value axis: the target, the warning and every value, over at least
    :data:`MIN_SPAN_OF_TARGET` of the target, padded, inside the unit's bounds."""
    seen = [v for v in [*values, *targets] if v is not None and not math.isnan(v)]
    if not seen:
        return (0.0, 1.0)
    lo, hi = min(seen), max(seen)
    reference = max((abs(t) for t in targets if t is not None), default=max(abs(lo), abs(hi))) or 1.0
    span = max(hi - lo, MIN_SPAN_OF_TARGET * reference)
    middle = (lo + hi) / 2
    lo, hi = middle - span / 2, middle + span / 2
    pad = 0.08 * span
    lo, hi = lo - pad, hi + pad
    floor, ceiling = bounds
    if floor is not None and lo < floor:
        hi, lo = hi + (floor - lo), floor
    if ceiling is not None and hi > ceiling:
        lo, hi = max(floor if floor is not None else -math.inf, lo - (hi - ceiling)), ceiling
    return (lo, hi)


def kpi_chart_svg(chart: dict, locale_decimal_comma: bool = True) -> str:
    import matplotlib.dates as mdates
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    # no pyplot and no global rcParams change (docs/STACK-NOTES.md: the board renders these in the api-server)
    style = {
        "svg.fonttype": "none",
        "font.family": "DejaVu Sans",
        "font.size": 8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "kawal",  # stable element ids: the same chart gives the same SVG
    }
    with rc_context(style):
        return _draw(chart, locale_decimal_comma, Figure, mdates, FuncFormatter)


def _draw(chart: dict, locale_decimal_comma: bool, Figure, mdates, FuncFormatter) -> str:  # type: ignore[no-untyped-def]
    words = WORDS.get(chart.get("lang", "id"), WORDS["id"])
    monthly = chart["period"] == "month"
    at = [date.fromisoformat(p["at"]) for p in chart["points"]]
    values = [math.nan if p["value"] is None else p["value"] for p in chart["points"]]
    target = [math.nan if t["target"] is None else t["target"] for t in chart["targets"]]
    warning = [math.nan if t["warning"] is None else t["warning"] for t in chart["targets"]]
    half = 15 if monthly else 0.5  # days either side of a point: a period's own width on the axis
    fig = Figure(figsize=(7.2, 1.9))
    ax = fig.add_subplot()
    # gaps first, under everything: a period without a value is shaded, never bridged
    gap_label = words["gap"]
    for day, p in zip(at, chart["points"], strict=True):
        if p["value"] is None:
            ax.axvspan(mdates.date2num(day) - half, mdates.date2num(day) + half, color="#e6e9ed", lw=0,
                       label=gap_label)  # fmt: skip
            gap_label = None
    ax.plot(at, values, color="#1f5f8b", linewidth=1.6, label=words["actual"])
    for status, colour, size in (("met", "#1f5f8b", 2.5), ("at_risk", "#e0a800", 3.5), ("breach", "#c0392b", 4.5)):
        xs = [d for d, p in zip(at, chart["points"], strict=True) if p["evaluation"] == status]
        ys = [p["value"] for p in chart["points"] if p["evaluation"] == status]
        if xs:
            ax.plot(xs, ys, linestyle="none", marker="o", markersize=size, color=colour,
                    label=words["breach"] if status == "breach" else None)  # fmt: skip
    edges = [mdates.date2num(d) - half for d in at] + [mdates.date2num(at[-1]) + half] if at else []
    if at:
        ax.stairs(target, edges, baseline=None, color="#c0392b", linewidth=1.1, linestyle="--", label=words["target"])
        if any(not math.isnan(w) for w in warning):
            ax.stairs(warning, edges, baseline=None, color="#e0a800", linewidth=0.9, linestyle=":",
                      label=words["warning"])  # fmt: skip
    # a revision that moves the target is annotated where it takes effect
    for before, now in zip(chart["targets"], chart["targets"][1:], strict=False):
        moved = None not in (before["target"], now["target"]) and now["target"] != before["target"]
        if now["rev"] != before["rev"] and moved:
            x = mdates.date2num(date.fromisoformat(now["at"])) - half
            ax.axvline(x, color="#8a96a3", linewidth=0.7)
            label = f"{words['revision']} {now['rev']}: {_number(now['target'], locale_decimal_comma)}"
            ax.annotate(label, (x, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -8),
                        textcoords="offset points", fontsize=7, color="#5b6673")  # fmt: skip
    lo, hi = value_axis(
        [v for v in values if not math.isnan(v)],
        [v for v in [*target, *warning] if not math.isnan(v)],
        tuple(chart.get("bounds") or (None, None)),  # type: ignore[arg-type]
    )
    ax.set_ylim(lo, hi)
    if at:
        ax.set_xlim(mdates.date2num(at[0]) - half, mdates.date2num(at[-1]) + half)
    if monthly:
        ax.xaxis.set_major_locator(mdates.MonthLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m/%y"))
    else:
        ax.xaxis.set_major_locator(mdates.DayLocator(interval=2 if len(at) > 16 else 1))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d"))
    ax.tick_params(axis="both", length=2)
    ax.grid(axis="y", color="#e3e7eb", linewidth=0.6)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False, ncols=5)  # above the plot
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: _number(x, locale_decimal_comma)))
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]  # drop the XML prolog: the SVG goes inline in the HTML


def _number(x: float, decimal_comma: bool) -> str:
    text = f"{x:,.1f}"
    return text.replace(",", " ").replace(".", ",") if decimal_comma else text.replace(",", " ")


def sparkline_svg(values: list[float | None], target: float | None = None, *, status: str = "met") -> str:
    """A 12-month sparkline as a tiny inline SVG (no matplotlib): the monthly values oldest first, a month
    without a value a break in the line (never bridged), the target dashed, the last point coloured by
    ``status``. Empty when fewer than two months have a value: the table says "—" and why instead."""
    if sum(v is not None for v in values) < 2:
        return ""
    width, height, pad = 72.0, 16.0, 2.0
    seen = [v for v in values if v is not None] + ([target] if target is not None else [])
    lo, hi = min(seen), max(seen)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return pad + i * step, height - pad - (v - lo) / (hi - lo) * (height - 2 * pad)

    runs: list[list[tuple[float, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(xy(i, v))
    parts = []
    if target is not None:
        y = xy(0, target)[1]
        parts.append(
            f'<line x1="{pad:.1f}" y1="{y:.1f}" x2="{width - pad:.1f}" y2="{y:.1f}" stroke="#c0392b" '
            'stroke-width="0.6" stroke-dasharray="1.5,1.5"/>'
        )
    for run in runs:
        if len(run) > 1:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            parts.append(f'<polyline points="{points}" fill="none" stroke="#1f5f8b" stroke-width="1"/>')
        elif run:
            parts.append(f'<circle cx="{run[0][0]:.1f}" cy="{run[0][1]:.1f}" r="0.8" fill="#1f5f8b"/>')
    last = next(((i, v) for i, v in reversed(list(enumerate(values))) if v is not None))
    colour = {"breach": "#c0392b", "at_risk": "#e0a800"}.get(status, "#1f5f8b")
    x, y = xy(*last)
    parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.6" fill="{colour}"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spark" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}">' + "".join(parts) + "</svg>"
    )
