"""HTML (pure) and PDF (WeasyPrint) of the monthly report.

The HTML comes from ``reports/templates/`` with Jinja2 autoescape on: ticket text, names and
recovery plans are people's input and must render as text, never as markup. WeasyPrint gets a
URL fetcher that serves only the project's own assets (``reports/static/``): no ``file://`` read
elsewhere, no network request, whatever a template or a user's text contains.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

from kawal.airflow_env import repo_root


def reports_dir() -> Path:
    return Path(os.environ.get("KAWAL_REPORTS_DIR", repo_root() / "reports")).resolve()


def render_html(context: dict) -> str:
    """The report as an HTML string, from its context (pure)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    from kawal.reports.charts import kpi_chart_svg

    env = Environment(
        loader=FileSystemLoader(reports_dir() / "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2")),
        undefined=StrictUndefined,
    )
    charts = [{"title": c["title"], "svg": kpi_chart_svg(c, context["lang"] == "id")} for c in context["charts"]]
    return env.get_template("report.html.j2").render(ctx=context, L=context["labels"], charts=charts)


def assets_only_fetcher(denied: list[str] | None = None):  # type: ignore[no-untyped-def]
    """A WeasyPrint URL fetcher that serves files under ``reports/static`` and refuses the rest."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

    static = (reports_dir() / "static").resolve()

    class AssetsOnly(URLFetcher):
        def fetch(self, url, headers=None):  # type: ignore[no-untyped-def]
            if url.startswith("file://"):
                from urllib.parse import unquote, urlsplit

                path = Path(unquote(urlsplit(url).path)).resolve()
                if path.is_relative_to(static) and path.is_file():
                    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})
            if denied is not None:
                denied.append(url)
            raise URLFetchingError(f"Kawal's report renderer fetches only its own assets, not {url[:80]}")

    return AssetsOnly()


def render_pdf(html: str, denied: list[str] | None = None) -> bytes:
    from weasyprint import HTML

    base = (reports_dir() / "static").as_uri() + "/"
    return HTML(string=html, base_url=base, url_fetcher=assets_only_fetcher(denied)).write_pdf()
