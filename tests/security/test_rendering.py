"""Rendering (issue #11): people's text renders inert in the PDF and in the mails, and the PDF
renderer fetches nothing outside Kawal's assets (the package's ``static/`` or a site's override).

A ticket's recovery action and a person's name carry markup (``<script>``, ``<img src=file:///…>``,
CSS ``url()``); the report is rendered for real (WeasyPrint) and read back with pypdfium2: the
markup must appear as the very characters people typed — text, not elements — and the renderer
must not even try to fetch anything (the fetcher's refusals are recorded). The UI plugin's pages
are not covered here yet (see RELIABILITY.md, TODO).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from kawal.defects.lifecycle import PlannedAction
from kawal.defects.monitoring import open_or_update_defects
from kawal.defects.workflow import analyse, decide
from kawal.kpis.values import KpiValueRow
from kawal.notify.outbox import Mail, render
from kawal.register import load_register
from kawal.rendering import assets_only_fetcher
from kawal.rendering import html_to_pdf as render_pdf
from kawal.reports.context import build_context
from kawal.reports.render import render_html
from kawal.store import engine_for, session_scope
from kawal.store.kpi_values import replace_period_values
from tests.conftest import REPO
from tests.security.conftest import HOSTILE_MARKUP

pytestmark = pytest.mark.security

REGISTER = load_register(REPO / "kpi_rules")
DAY = date(2026, 10, 13)


def _hostile_register():  # type: ignore[no-untyped-def]
    """The register with the SCR PIC's name full of markup (names come from people.yaml)."""
    people = [
        p.model_copy(update={"name": f"Budi {HOSTILE_MARKUP[0]} {HOSTILE_MARKUP[2]}"})
        if p.id == "pic_performance"
        else p
        for p in REGISTER.people.people
    ]
    return replace(REGISTER, people=REGISTER.people.model_copy(update={"people": people}))


def _pdf_text(pdf: bytes) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


@pytest.fixture
def hostile_store(tmp_path: Path) -> str:
    """An SCR defect whose recovery plan and PIC name carry every hostile string."""
    url = f"sqlite:///{tmp_path / 'kawal.db'}"
    engine = engine_for(url)
    register = _hostile_register()
    row = KpiValueRow("scr", "day", DAY, "all", 86.6, 100.0, 86.6, "computed", None, None, 1, "breach", 95.0, 96.0, 1)
    with session_scope(engine) as s:
        replace_period_values(s, ["scr"], "day", DAY, [row])
        (ticket_id,) = open_or_update_defects(s, register, [row], DAY)
        analyse(s, register, ticket_id, "pic_performance", root_cause=HOSTILE_MARKUP[1],
                coordinated_with=HOSTILE_MARKUP[3], recommendation=HOSTILE_MARKUP[4])  # fmt: skip
        actions = [PlannedAction("curative", text, "tl_voice", date(2099, 1, 1)) for text in HOSTILE_MARKUP]
        decide(s, register, ticket_id, "om", actions, today=date(2026, 10, 20))
    return url


def test_hostile_text_renders_as_text_in_the_pdf_and_nothing_is_fetched(hostile_store: str) -> None:
    register = _hostile_register()
    html = render_html(build_context(engine_for(hostile_store), register, DAY.replace(day=1)).as_dict())
    for text in HOSTILE_MARKUP:
        assert text not in html  # never as markup …
    assert "&lt;script&gt;" in html and "&lt;img src=file:///etc/passwd&gt;" in html  # … but escaped

    denied: list[str] = []
    pdf = render_pdf(html, denied)

    assert denied == []  # nothing outside the assets was even attempted
    text = "".join(_pdf_text(pdf).split())  # line wraps (at "/" too) split the text: compare without them
    for hostile in HOSTILE_MARKUP:  # the characters people typed, shown as text
        assert "".join(hostile.split()) in text, hostile
    assert "root:x:0:0" not in text


def test_notification_mail_html_escapes_names_and_ticket_text() -> None:
    mail = Mail(
        subject="[Kawal] uji",
        greeting=f"Yth. {HOSTILE_MARKUP[0]},",
        intro=HOSTILE_MARKUP[1],
        facts=[(HOSTILE_MARKUP[2], HOSTILE_MARKUP[3])],
        expected=HOSTILE_MARKUP[4],
        how_to_act=[HOSTILE_MARKUP[5]],
        recent=[("2026-10-13", "<b>86,6</b>", "<i>x</i>")],
    )
    plain, html = render(mail)
    for text in (*HOSTILE_MARKUP, "<b>86,6</b>"):
        assert text not in html
        assert text in plain  # the plain part says exactly what was written
    assert "&lt;script&gt;alert(&#39;kawal&#39;)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.png",
        "https://attacker.example/x.css",
        "ftp://attacker.example/x",
        "data:text/css,body{background:url(http://127.0.0.1:9/)}",
        "STATIC/../../../../etc/passwd",
        "STATIC/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "STATIC/link-to-passwd",
        "file://127.0.0.1/etc/passwd",
    ],
)
def test_fetcher_serves_the_assets_and_refuses_everything_else(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from weasyprint.urls import URLFetchingError

    reports = tmp_path / "reports"  # a site's own look (KAWAL_REPORTS_DIR), overriding the package's
    (reports / "static").mkdir(parents=True)
    shutil.copy(REPO / "src" / "kawal" / "reports" / "static" / "report.css", reports / "static")
    (reports / "static" / "link-to-passwd").symlink_to("/etc/passwd")  # a link inside the assets
    monkeypatch.setenv("KAWAL_REPORTS_DIR", str(reports))
    static = (reports / "static").as_uri()
    denied: list[str] = []
    fetcher = assets_only_fetcher(denied)

    served = fetcher.fetch(f"{static}/report.css")
    assert b"@page" in served.read()
    with pytest.raises(URLFetchingError):
        fetcher.fetch(url.replace("STATIC", static))
    assert denied == [url.replace("STATIC", static)]


def test_a_sites_own_look_overrides_file_by_file_and_the_rest_comes_from_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #19: Kawal's templates, CSS and fonts are package data; KAWAL_REPORTS_DIR only overrides."""
    from kawal.rendering import assets_dir, document_environment, package_design_dir

    monkeypatch.delenv("KAWAL_REPORTS_DIR", raising=False)
    package_static = package_design_dir() / "static"
    assert assets_dir() == package_static.resolve()
    _, where, _ = document_environment().loader.get_source(document_environment(), "report.html.j2")
    assert Path(where).is_relative_to(package_design_dir() / "templates")

    site = tmp_path / "site-look"
    (site / "static").mkdir(parents=True)
    (site / "templates").mkdir()
    (site / "static" / "report.css").write_text("/* the site's colours */ @page { size: A4; }")
    (site / "templates" / "minutes.html.j2").write_text("site minutes")
    monkeypatch.setenv("KAWAL_REPORTS_DIR", str(site))
    fetcher = assets_only_fetcher([])

    assert b"the site's colours" in fetcher.fetch(f"{(site / 'static').as_uri()}/report.css").read()
    # a font the site did not override is the package's, asked for relative to the site's folder
    font = fetcher.fetch(f"{(site / 'static').as_uri()}/fonts/DejaVuSans.ttf").read()
    assert font == (package_static / "fonts" / "DejaVuSans.ttf").read_bytes()
    env = document_environment()
    assert env.get_template("minutes.html.j2").render(ctx={}) == "site minutes"
    _, where, _ = env.loader.get_source(env, "report.html.j2")  # not overridden: still the package's
    assert Path(where).is_relative_to(package_design_dir() / "templates")
