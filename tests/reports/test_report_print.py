"""Print (#18): the report PDF is tagged (a screen reader's structure tree), no table row is split
across two pages, and a table that continues on the next page repeats its header row there."""

from __future__ import annotations

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from kawal.rendering import assets_dir, assets_only_fetcher, html_to_pdf
from kawal.reports.context import build_context
from kawal.reports.render import render_html
from tests.reports.conftest import MONTH, REGISTER, pdf_text


def test_the_report_pdf_is_tagged(store) -> None:  # type: ignore[no-untyped-def]
    pdf = html_to_pdf(render_html(build_context(store, REGISTER, MONTH).as_dict()))

    doc = pdfium.PdfDocument(pdf)
    try:
        assert pdfium_c.FPDFCatalog_IsTagged(doc.raw)  # /MarkInfo /Marked true and a /StructTreeRoot
    finally:
        doc.close()


def test_the_minutes_pdf_renders_tagged_too() -> None:
    # html_to_pdf is shared with the review minutes: tagging must not break a plain document
    pdf = html_to_pdf("<html lang='id'><body><h1>Risalah</h1><table><thead><tr><th>a</th></tr></thead>"
                      "<tbody><tr><td>1</td></tr></tbody></table></body></html>")  # fmt: skip
    doc = pdfium.PdfDocument(pdf)
    try:
        assert pdfium_c.FPDFCatalog_IsTagged(doc.raw) and "Risalah" in pdf_text(pdf)[0]
    finally:
        doc.close()


def _rows_by_page(html: str) -> tuple[dict[int, set[int]], dict[int, set[int]], dict[int, int]]:
    """Laid out by WeasyPrint as html_to_pdf does: the pages each body row and each header row of every
    table is drawn on (keyed by the element's identity), and each body row's table."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=assets_dir().as_uri() + "/", url_fetcher=assets_only_fetcher()).render()
    body: dict[int, set[int]] = {}
    head: dict[int, set[int]] = {}
    table_of: dict[int, int] = {}

    def walk(box, page: int, table: int | None, in_head: bool) -> None:  # type: ignore[no-untyped-def]
        tag = getattr(box, "element_tag", None)
        if tag == "table":
            table = id(box.element)
        if tag == "thead":
            in_head = True
        if tag == "tr":
            (head if in_head else body).setdefault(id(box.element), set()).add(page)
            if not in_head and table is not None:
                table_of[id(box.element)] = table
            if in_head and table is not None:
                head.setdefault(table, set()).add(page)
        for child in getattr(box, "children", []) or []:
            walk(child, page, table, in_head)

    for number, page in enumerate(document.pages):
        walk(page._page_box, number, None, False)
    return body, head, table_of


def test_no_table_row_is_split_and_headers_repeat(store) -> None:  # type: ignore[no-untyped-def]
    html = render_html(build_context(store, REGISTER, MONTH).as_dict())

    body, head, table_of = _rows_by_page(html)

    assert len(body) > 30  # the KPI, story, defect and appendix tables' rows were all found
    split = [pages for pages in body.values() if len(pages) > 1]
    assert split == []  # every row whole on one page
    continued = 0
    for row, pages in body.items():
        table_pages = head.get(table_of.get(row, -1), set())
        if table_pages:
            assert pages <= table_pages  # the header row is drawn on every page the table's rows are
            continued += len(table_pages) > 1
    if continued == 0:
        pytest.fail("no table continues on a second page in the seeded month: the header check proved nothing")
