"""Rendering people's documents: one Jinja environment factory, one asset-only URL fetcher, HTML → PDF.

Used by the monthly report, the review minutes, the notification mails and the board. Templates are
rendered with autoescape on: ticket text, names and recovery plans are people's input and must show
as text, never as markup (docs/STACK-NOTES.md "WeasyPrint"). WeasyPrint gets a URL fetcher that
serves only Kawal's own assets: no ``file://`` read elsewhere, no network request, whatever a
template or a user's text contains.

**Where the documents' look lives** (issue #19): the report's and the minutes' templates, CSS and
fonts are package data of ``kawal.reports`` (``templates/``, ``static/``), so an installed wheel
renders without any folder variable. A site that wants its own look sets ``KAWAL_REPORTS_DIR`` to a
folder of the same shape (``templates/report.html.j2``, ``static/report.css``, ...): a file there
wins over the package's file of the same name, and everything it does not override comes from the
package.
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


def package_design_dir() -> Path:
    """The package's own templates and assets (``kawal/reports/``: ``templates/``, ``static/``)."""
    from importlib.resources import files

    return Path(str(files("kawal.reports"))).resolve()


def site_design_dir() -> Path | None:
    """A site's own look (``KAWAL_REPORTS_DIR``), when it set one; it overrides file by file."""
    from kawal.settings import reports_dir

    return reports_dir()


def _design_dirs(sub: str) -> list[Path]:
    site = site_design_dir()
    dirs = [site / sub] if site is not None and (site / sub).is_dir() else []
    return [*dirs, package_design_dir() / sub]


def document_environment() -> Environment:
    """The Jinja environment of the report and the minutes: the site's templates, then the package's."""
    from jinja2 import ChoiceLoader, FileSystemLoader

    env = environment(package_design_dir() / "templates")
    env.loader = ChoiceLoader([FileSystemLoader(d) for d in _design_dirs("templates")])
    return env


def assets_dir() -> Path:
    """The folder relative asset URLs resolve against (the site's ``static/`` when it has one)."""
    return _design_dirs("static")[0].resolve()


def _asset(name: str) -> Path | None:
    """The file an asset name stands for: the site's, else the package's; never outside either."""
    for root in _design_dirs("static"):
        root = root.resolve()
        candidate = (root / name).resolve()  # follows links: a link out of the assets lands outside
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    return None


def assets_only_fetcher(denied: list[str] | None = None):  # type: ignore[no-untyped-def]
    """A WeasyPrint URL fetcher that serves Kawal's assets (site's, then package's) and refuses the rest."""
    import os
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

    roots = [d.resolve() for d in _design_dirs("static")]

    class AssetsOnly(URLFetcher):
        def fetch(self, url, headers=None):  # type: ignore[no-untyped-def]
            if url.startswith("file://") and not urlsplit(url).netloc:
                # normpath, not resolve: "static/../../etc" must leave the root by its name, and a link
                # is judged by _asset after it is followed
                wanted = Path(os.path.normpath(unquote(urlsplit(url).path)))
                for root in roots:
                    if wanted.is_relative_to(root):
                        path = _asset(str(wanted.relative_to(root)))
                        if path is not None:
                            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})
                        break
            if denied is not None:
                denied.append(url)
            raise URLFetchingError(f"Kawal's renderer fetches only its own assets, not {url[:80]}")

    return AssetsOnly()


def html_to_pdf(html: str, denied: list[str] | None = None) -> bytes:
    """The PDF of an HTML document; every URL it names is fetched by :func:`assets_only_fetcher`.

    The PDF is *tagged* (a structure tree: headings, paragraphs, tables with their header cells, in reading
    order; ``/MarkInfo /Marked true``), so a screen reader reads the report and the minutes in order and a
    table's cells with their headers (#18). WeasyPrint 70's ``pdf_tags``. The ``pdf/ua-1`` variant renders
    too (checked 2026-12-01) but writes a PDF/UA *conformance claim* into the metadata, which nothing here
    can verify (no validator such as veraPDF on this machine; the charts' SVGs carry no alternative text):
    tags, not a claim.
    """
    from weasyprint import HTML

    base = assets_dir().as_uri() + "/"
    return HTML(string=html, base_url=base, url_fetcher=assets_only_fetcher(denied)).write_pdf(pdf_tags=True)
