"""Visual regression (issue #18): a rendered page compared with its reviewed baseline PNG.

The report's and minutes' PDF pages (PDFium, at a fixed scale) and the mails (Chromium screenshots at a
fixed viewport) are turned into PNGs and compared with ``tests/fixtures/visual/<name>.png``, which a
person looked at and committed. A layout break — a table pushed onto the next page, a tile that lost its
colour, a card wider than the phone — changes many pixels and fails CI; anti-aliasing noise does not.

**The rule.** A pixel differs when one of its channels moved by more than ``CHANNEL_TOLERANCE`` (of 255);
a page fails when more than ``tolerance`` of its pixels differ (default 0.5 %), or when its size changed.
On a failure the actual image and a diff (differing pixels in red) are written to
``var/test-artifacts/visual/`` for the reviewer.

**Updating a baseline** is a reviewed act, never automatic: ``KAWAL_UPDATE_BASELINES=1 pytest …``
writes the actual image as the new baseline and fails the test with "baseline written: review it", so a
run that updates never passes by itself; under ``CI=true`` the variable is refused. Commit the PNG only
after looking at it. A missing baseline fails the same way (it is never created silently).

Determinism: the fonts ship with Kawal (``kawal/reports/static/fonts``), the clock is pinned by
``KAWAL_NOW`` (tests/conftest.py), and Chromium is the machine's Debian build driven by Playwright.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

REPO = Path(__file__).resolve().parents[1]
BASELINES = REPO / "tests" / "fixtures" / "visual"
ARTIFACTS = REPO / "var" / "test-artifacts" / "visual"

#: a channel may move this much (of 255) before its pixel counts as different (anti-aliasing, hinting)
CHANNEL_TOLERANCE = 48
#: the share of a page's pixels that may differ
DEFAULT_TOLERANCE = 0.005
#: PDF pages are rendered at this scale (1 = 72 dpi): enough to see a table row, small enough to commit
PDF_SCALE = 1.0


def pdf_pages(pdf: bytes | Path, scale: float = PDF_SCALE) -> list[Image.Image]:
    """Every page of a PDF as an RGB image (PDFium, no anti-aliasing variance between runs)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf.read_bytes() if isinstance(pdf, Path) else pdf)
    try:
        return [page.render(scale=scale).to_pil().convert("RGB") for page in document]
    finally:
        document.close()


def difference(actual: Image.Image, baseline: Image.Image) -> tuple[float, Image.Image]:
    """The share of pixels that differ (per the rule above) and an image marking them in red."""
    import numpy as np
    from PIL import Image

    a = np.asarray(actual.convert("RGB"), dtype=np.int16)
    b = np.asarray(baseline.convert("RGB"), dtype=np.int16)
    differs = (np.abs(a - b) > CHANNEL_TOLERANCE).any(axis=2)
    marked = (b * 0.35 + 165).astype(np.uint8)  # the baseline, faded
    marked[differs] = (220, 30, 30)
    return float(differs.mean()), Image.fromarray(marked)


def assert_looks_like(name: str, actual: Image.Image, tolerance: float = DEFAULT_TOLERANCE) -> None:
    """Fail unless ``actual`` matches the reviewed baseline ``tests/fixtures/visual/<name>.png``."""
    baseline_path = BASELINES / f"{name}.png"
    updating = os.environ.get("KAWAL_UPDATE_BASELINES") == "1"
    if updating and os.environ.get("CI") == "true":
        raise AssertionError("KAWAL_UPDATE_BASELINES is refused under CI=true: baselines are reviewed by a person")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    actual = actual.convert("RGB")
    if updating or not baseline_path.is_file():
        if not updating:
            actual.save(ARTIFACTS / f"{name}.actual.png")
            raise AssertionError(
                f"no reviewed baseline {baseline_path.relative_to(REPO)}: run with KAWAL_UPDATE_BASELINES=1, "
                "look at the PNG, commit it"
            )
        BASELINES.mkdir(parents=True, exist_ok=True)
        actual.save(baseline_path, optimize=True)
        raise AssertionError(f"baseline written: review {baseline_path.relative_to(REPO)} before committing it")

    from PIL import Image

    with Image.open(baseline_path) as img:
        baseline = img.convert("RGB")
    if baseline.size != actual.size:
        actual.save(ARTIFACTS / f"{name}.actual.png")
        raise AssertionError(f"{name}: size {actual.size} is not the baseline's {baseline.size}")
    share, marked = difference(actual, baseline)
    if share > tolerance:
        actual.save(ARTIFACTS / f"{name}.actual.png")
        marked.save(ARTIFACTS / f"{name}.diff.png")
        raise AssertionError(
            f"{name}: {share:.2%} of the pixels differ from the reviewed baseline (allowed {tolerance:.2%}); "
            f"see {ARTIFACTS.relative_to(REPO)}/{name}.diff.png"
        )
