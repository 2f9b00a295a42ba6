"""Visual regression of the PIC's breach mail (issue #18): the HTML part as a phone (390 × 844) and a
laptop (1366 × 800) show it in Chromium (Debian's /usr/bin/chromium through Playwright, the `chromium`
fixture of tests/web/conftest.py), compared with reviewed baselines by tests/visual.py.

The mail is made by the real workflow on a fresh store: SCR at 86,6 % against its target ≥ 95 % on
2026-10-13 opens ticket #1 for its PIC (Indonesian, the site's language). Rendering it twice gives the
same pixels (the fonts are the machine's DejaVu, nothing in the mail depends on the clock).
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from kawal.defects.monitoring import open_or_update_defects
from kawal.register import load_register
from kawal.store import engine_for, session_scope
from kawal.store.models import Notification
from tests.defects.test_defects import scr_day
from tests.visual import assert_looks_like, difference

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def breach_mail(tmp_path_factory: pytest.TempPathFactory) -> str:
    engine = engine_for(f"sqlite:///{tmp_path_factory.mktemp('mail') / 'kawal.db'}")
    register = load_register(REPO / "kpi_rules")
    with session_scope(engine) as s:
        open_or_update_defects(s, register, [scr_day(date(2026, 10, 13), 86.6, "breach")], date(2026, 10, 14))
    with session_scope(engine) as s:
        html = s.scalars(select(Notification.body_html).where(Notification.kind == "defect_opened")).one()
    engine.dispose()
    return html


def _shot(chromium, html: str, width: int, height: int):  # type: ignore[no-untyped-def]
    from PIL import Image

    context = chromium.new_context(viewport={"width": width, "height": height}, is_mobile=width < 600)
    try:
        page = context.new_page()
        page.set_content(html)
        return Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB")
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 800)])
def test_the_breach_mail_looks_like_its_reviewed_baseline(chromium, breach_mail: str, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    assert "tidak mencapai target" in breach_mail and "Buka tiket #1" in breach_mail  # the mail meant
    first = _shot(chromium, breach_mail, width, height)
    second = _shot(chromium, breach_mail, width, height)
    assert first.size == second.size and difference(first, second)[0] == 0.0  # deterministic
    assert first.width == width
    assert_looks_like(f"mail-breach-{width}x{height}", first)
