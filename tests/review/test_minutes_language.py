"""The printed minutes in two languages, as frozen, with their dated annex and approval block (issue #18).

The demo month's minutes are filled and finalized through the CLI, one action is reported done after the
freeze, and the PDF is rendered in English and Indonesian and read back with PDFium. Expected values are
worked out by hand from the commands typed here and the pinned clock (``KAWAL_NOW`` 2026-12-01 09:00 WIB,
tests/conftest.py), not from the code under test. The language check uses the catalogue's own text: no
fragment of an Indonesian entry that differs from its English one may show in the English PDF, and vice
versa, once what people recorded (names, roles, the facts pre-filled at drafting, their own text) is cut
out — that is the record, printed as recorded.
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kawal.register import load_register
from kawal.review.catalogue import MINUTES
from tests.records.demo_month import MONTH, REPO, kawal
from tests.review.test_minutes import _fill_and_finalize

REGISTER = load_register(REPO / "kpi_rules")

#: the words both languages print alike (checked by hand)
SHARED = {"No.", "ID", "Status", "FINAL", "Addendum {n}", "{status} {date}", "Ticket #{id} · {kpi}"}
SHARED_FRAGMENTS = {"KAWAL", "Accountable", "SHA-256", "KPI", "§4.7", "§5.5", "rev", "Addendum", "Agenda", "item"}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _fragments(template: str) -> list[str]:
    out = []
    for literal in re.split(r"\{[^}]*\}", template):
        for piece in re.split(r", |: |; | \(|\) |\)| — | · |\. ", literal):
            piece = piece.strip(" ,.:;()[]#—-→·`")
            if re.search(r"[A-Za-z]{3}", piece) and piece not in SHARED_FRAGMENTS:
                out.append(piece)
    return out


def _pdf_text(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def _one_line(text: str) -> str:
    return " ".join(text.split())  # table cells wrap lines


def _recorded(shown: dict) -> list[str]:
    """What people recorded (and the facts frozen at drafting): printed as recorded, in its own language."""
    out = []
    for p in REGISTER.people.people:
        out += [REGISTER.people.describe(p.id, "role"), p.name, p.role]
    for doc in shown["documents"]:
        out += [doc["place"] or "", doc["reason"] or ""]
        for i in doc["items"]:
            out += [i["facts"], i["discussion"] or "", i["decision"] or "", i["title"]]
        out += [a["description"] for a in doc["actions"]]
    return sorted((_one_line(x) for x in out if x and x.strip()), key=len, reverse=True)


def _render(lang: str, out: Path) -> tuple[list[str], str]:
    result = kawal("review", "render", "2026-02", "--lang", lang, "--out", str(out))
    assert result.exit_code == 0, result.output
    pages = _pdf_text(out)
    return pages, _one_line("\n".join(pages))


def test_every_key_is_in_both_languages_with_the_same_fields() -> None:
    assert set(MINUTES["id"]) == set(MINUTES["en"])
    for key, value in MINUTES["id"].items():
        assert _fields(value) == _fields(MINUTES["en"][key]), key
        if value == MINUTES["en"][key]:
            assert value in SHARED, f"{key}: the same in both languages and not in SHARED"


#: when the minutes are drafted and finalized here (Kawal stamps records with the real clock, not KAWAL_NOW)
FROZEN_AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 09:00 WIB


@pytest.fixture
def finalized(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    import json

    monkeypatch.setattr("kawal.review.minutes.now_utc", lambda: FROZEN_AT)
    shown = _fill_and_finalize(demo_home)
    actions = {a["description"]: a["id"] for a in shown["documents"][0]["actions"]}
    # progress after the freeze: the owner reports the coaching done on 18 March
    done = kawal("review", "done", str(actions["Coaching agen voice"]), "--as", "tl_voice", "--on", "2026-03-18")
    assert done.exit_code == 0, done.output
    return json.loads(kawal("review", "show", "2026-02", "--format", "json").output) | {"ids": actions}


def test_english_minutes_are_complete_frozen_annexed_and_signed(finalized: dict, demo_home: Path) -> None:
    from sqlalchemy.orm import Session

    from kawal.review.minutes import documents, verify_frozen
    from kawal.store import engine_for

    pages, whole = _render("en", demo_home / "minutes-en.pdf")

    assert "Monthly KPI Review Minutes" in pages[0] and "KWL/RR/2026/02" in pages[0]
    assert "February 2026" in pages[0] and f"Page 1 of {len(pages)}" in pages[0]
    # finalized on 2026-12-01 (FROZEN_AT): both actions were past their due days (20 and 25 March),
    # and nothing can be reported done on a draft — so the frozen document says overdue for both
    document, annex = whole.split("Annex: status as of 1 December 2026")
    coaching, late = finalized["ids"]["Coaching agen voice"], finalized["ids"]["Perbarui knowledge base"]
    assert re.search(rf"{coaching} curative/ ?corrective Coaching agen voice .*? 2026-03-20 overdue", document)
    assert re.search(rf"{late} preventive/ ?mitigating Perbarui knowledge base .*? 2026-03-25 overdue", document)
    assert "done" not in document.split("Actions decided")[1]  # the progress is not in the frozen document
    # the annex: today's status, the done day as reported
    assert re.search(rf"KWL/RR/ ?2026/02 {coaching} Coaching agen voice .*? 2026-03-20 done 2026-03-18", annex)
    assert re.search(rf"KWL/RR/ ?2026/02 {late} Perbarui knowledge base .*? 2026-03-25 overdue", annex)
    # the approval block: drafted by pic_quality, approved by the Operations Manager on the day it was frozen
    approval = document.split("Approval")[1]
    assert "Prepared by Name: Sari Dewi Role: Supervisor Quality Assurance Date: 2026-12-01" in approval
    assert "Approved by Name: Rina Wulandari Role: Operations Manager (Accountable) · Manajer Operasional" in approval
    assert "Date: 2026-12-01" in approval and approval.count("Signature") == 2
    # rendering and reporting progress changed nothing of the frozen content (the audit pack's check)
    with Session(engine_for()) as s:
        assert all(verify_frozen(s, m) for m in documents(s, MONTH))


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_rendering_carries_no_word_of_the_other_language(finalized: dict, demo_home: Path, lang: str) -> None:
    other = "id" if lang == "en" else "en"
    _pages, whole = _render(lang, demo_home / f"minutes-{lang}.pdf")
    for recorded in _recorded(finalized):
        whole = whole.replace(recorded, " ")
    foreign = {k: _fragments(v) for k, v in MINUTES[other].items() if v != MINUTES[lang][k]}
    assert sum(len(v) for v in foreign.values()) > 60  # the check has something to look for
    found = [
        f"{piece!r} of catalogue entry {key!r}"
        for key, pieces in foreign.items()
        for piece in pieces
        if re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", whole)
    ]
    assert not found, f"the {lang} minutes carry words of the other language: {found}"


def test_a_rendering_is_archived_beside_the_earlier_one_never_over_it(finalized: dict, demo_home: Path) -> None:
    """A frozen document never changes; a rendering with a later annex is a new file (ISO 9001 7.5.3)."""
    folder = demo_home / "reviews" / "2026-02"
    first = kawal("review", "render", "2026-02")
    again = kawal("review", "render", "2026-02")
    english = kawal("review", "render", "2026-02", "--lang", "en")
    assert first.exit_code == again.exit_code == english.exit_code == 0, first.output + again.output
    assert first.output.strip() == f"ditulis {folder / 'risalah-rapat-2026-02-per-2026-12-01.pdf'}"
    assert again.output.strip() == f"tidak berubah: {folder / 'risalah-rapat-2026-02-per-2026-12-01.pdf'}"
    assert english.output.strip() == f"wrote {folder / 'risalah-rapat-2026-02-en-per-2026-12-01.pdf'}"


def test_page_one_of_the_minutes_looks_like_its_reviewed_baseline(finalized: dict, demo_home: Path) -> None:
    """Visual regression (tests/visual.py): page 1 of the Indonesian minutes, and the same rendering twice
    gives the same pixels (fonts ship with Kawal, the clock and the freeze are pinned)."""
    from tests.visual import assert_looks_like, difference, pdf_pages

    _render("id", demo_home / "a.pdf")
    _render("id", demo_home / "b.pdf")
    first, second = pdf_pages(demo_home / "a.pdf")[0], pdf_pages(demo_home / "b.pdf")[0]
    assert difference(first, second)[0] == 0.0
    assert_looks_like("minutes-page1-id", first)
