"""KPI-against-target charts as inline SVG (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import io


def kpi_chart_svg(chart: dict, locale_decimal_comma: bool = True) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.fonttype": "none",
            "font.family": "DejaVu Sans",
            "font.size": 8,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    series = chart["series"]
    fig, ax = plt.subplots(figsize=(7.2, 1.9))
    try:
        days = [d[-2:] for d, _, _ in series]
        values = [v for _, v, _ in series]
        targets = [t for _, _, t in series]
        ax.plot(days, values, color="#1f5f8b", linewidth=1.6, marker="o", markersize=2.5, label="aktual")
        ax.step(days, targets, where="mid", color="#c0392b", linewidth=1.1, linestyle="--", label="target")
        ax.set_xticks(days[::2] if len(days) > 16 else days)
        ax.tick_params(axis="both", length=2)
        ax.grid(axis="y", color="#e3e7eb", linewidth=0.6)
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False, ncols=2)  # above the plot
        if locale_decimal_comma:
            from matplotlib.ticker import FuncFormatter

            ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.1f}".replace(",", " ").replace(".", ",")))
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight")
    finally:
        plt.close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]  # drop the XML prolog: the SVG goes inline in the HTML
