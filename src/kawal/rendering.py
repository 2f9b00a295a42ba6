"""Rendering people's documents: one Jinja environment factory, one asset-only URL fetcher, HTML → PDF.

Used by the monthly report, the review minutes, the notification mails and the board. Templates are
rendered with autoescape on: ticket text, names and recovery plans are people's input and must show
as text, never as markup (docs/STACK-NOTES.md "WeasyPrint"). WeasyPrint gets a URL fetcher that
serves only Kawal's own assets (``reports/static/``): no ``file://`` read elsewhere, no network
request, whatever a template or a user's text contains.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment


def environment(
    templates: Path | tuple[str, str], *, escape_everything: bool = False, strict: bool = True, **options: Any
) -> Environment:
    """A Jinja environment over a template folder, or ``(package, folder)`` for package data.

    HTML templates (``.html``, ``.html.j2``) are autoescaped; ``escape_everything`` escapes every template
    and string template too (the board); ``strict`` makes a missing variable an error, not "".
    """
    from jinja2 import Environment, FileSystemLoader, PackageLoader, StrictUndefined, Undefined, select_autoescape

    loader = FileSystemLoader(templates) if isinstance(templates, Path) else PackageLoader(*templates)
    if escape_everything:
        autoescape = select_autoescape(default=True, default_for_string=True)
    else:
        # "notification.txt.j2" is the mail's plain-text part: escaping it would show "&amp;" to the reader
        autoescape = select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False)
    return Environment(
        loader=loader,
        autoescape=autoescape,  # noqa: S701 - select_autoescape: on for every HTML template
        undefined=StrictUndefined if strict else Undefined,
        **options,
    )


def assets_dir() -> Path:
    from kawal.settings import reports_dir

    return (reports_dir() / "static").resolve()


def assets_only_fetcher(denied: list[str] | None = None):  # type: ignore[no-untyped-def]
    """A WeasyPrint URL fetcher that serves files under ``reports/static`` and refuses the rest."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

    static = assets_dir()

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
            raise URLFetchingError(f"Kawal's renderer fetches only its own assets, not {url[:80]}")

    return AssetsOnly()


def html_to_pdf(html: str, denied: list[str] | None = None) -> bytes:
    """The PDF of an HTML document; every URL it names is fetched by :func:`assets_only_fetcher`."""
    from weasyprint import HTML

    base = assets_dir().as_uri() + "/"
    return HTML(string=html, base_url=base, url_fetcher=assets_only_fetcher(denied)).write_pdf()
