"""HTML (pure) of the monthly report; its PDF through :func:`kawal.rendering.html_to_pdf`.

The HTML comes from ``kawal/reports/templates/`` (package data, or a site's override) with autoescape on
(kawal.rendering): ticket text, names and recovery plans are people's input and render as text, never as markup.
"""

from __future__ import annotations


def render_html(context: dict) -> str:
    """The report as an HTML string, from its context (pure)."""
    from kawal.rendering import document_environment
    from kawal.reports.charts import kpi_chart_svg, sparkline_svg

    env = document_environment()
    charts = [{"title": c["title"], "svg": kpi_chart_svg(c, context["lang"] == "id")} for c in context["charts"]]
    # the KPI table's 12-month trend: one small SVG per KPI from its stored monthly values ("" without history)
    sparks = {
        k["id"]: sparkline_svg(k.get("spark") or [], k.get("spark_target"), status=k["status"])
        for c in context["categories"]
        for k in c["lines"]
    }
    return env.get_template("report.html.j2").render(ctx=context, L=context["labels"], charts=charts, sparks=sparks)
