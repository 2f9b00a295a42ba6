"""Visual regression of the monthly report (#18, tests/visual.py's rule): the seeded February rendered to
PNG pages and compared with reviewed baselines — page 1 (the story) in Indonesian and English, the first
page of the KPI table and the first chart page in Indonesian. Few pages on purpose: the repo stays light."""

from __future__ import annotations

import pytest

from kawal.rendering import html_to_pdf
from kawal.reports.context import build_context
from kawal.reports.render import render_html
from tests.reports.conftest import MONTH, REGISTER, pdf_text
from tests.visual import assert_looks_like, difference, pdf_pages


def _pdf(store, lang: str) -> bytes:  # type: ignore[no-untyped-def]
    return html_to_pdf(render_html(build_context(store, REGISTER, MONTH, lang=lang).as_dict()))


def _page_with(texts: list[str], words: str) -> int:
    return next(i for i, t in enumerate(texts) if words in " ".join(t.split()))


@pytest.fixture(scope="module")
def rendered(month_store, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    import os
    import shutil

    from kawal.store import engine_for

    db = tmp_path_factory.mktemp("visual") / "kawal.db"
    shutil.copy(month_store[0], db)
    mp = pytest.MonkeyPatch()
    mp.setenv("KAWAL_DB_URL", f"sqlite:///{db}")
    mp.setenv("KAWAL_HOME", str(db.parent / "home"))
    try:
        engine = engine_for(os.environ["KAWAL_DB_URL"])
        return {"id": _pdf(engine, "id"), "en": _pdf(engine, "en"), "id-again": _pdf(engine, "id")}
    finally:
        mp.undo()


def test_the_report_renders_the_same_twice(rendered) -> None:  # type: ignore[no-untyped-def]
    first, again = pdf_pages(rendered["id"]), pdf_pages(rendered["id-again"])
    assert len(first) == len(again)
    assert [difference(a, b)[0] for a, b in zip(first, again, strict=True)] == [0.0] * len(first)


def test_page_one_looks_as_reviewed(rendered) -> None:  # type: ignore[no-untyped-def]
    assert_looks_like("report-id-page1", pdf_pages(rendered["id"])[0])


def test_english_page_one_looks_as_reviewed(rendered) -> None:  # type: ignore[no-untyped-def]
    assert_looks_like("report-en-page1", pdf_pages(rendered["en"])[0])


def test_the_kpi_table_looks_as_reviewed(rendered) -> None:  # type: ignore[no-untyped-def]
    texts, pages = pdf_text(rendered["id"]), pdf_pages(rendered["id"])
    assert_looks_like("report-id-kpi-table", pages[_page_with(texts, "Ringkasan eksekutif")])


def test_a_chart_page_looks_as_reviewed(rendered) -> None:  # type: ignore[no-untyped-def]
    texts, pages = pdf_text(rendered["id"]), pdf_pages(rendered["id"])
    assert_looks_like("report-id-charts", pages[_page_with(texts, "Grafik KPI terhadap target")])
