"""The visual-regression rule itself (tests/visual.py): it passes noise and fails a layout break."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from tests import visual


@pytest.fixture
def baselines(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(visual, "BASELINES", tmp_path / "baselines")
    monkeypatch.setattr(visual, "ARTIFACTS", tmp_path / "artifacts")
    monkeypatch.setattr(visual, "REPO", tmp_path)
    monkeypatch.delenv("KAWAL_UPDATE_BASELINES", raising=False)
    page = Image.new("RGB", (200, 300), "white")
    ImageDraw.Draw(page).rectangle((20, 20, 180, 60), fill=(31, 95, 139))  # a tile
    (tmp_path / "baselines").mkdir()
    page.save(tmp_path / "baselines" / "page.png")
    return page


def test_the_same_page_and_small_noise_pass(baselines) -> None:  # type: ignore[no-untyped-def]
    visual.assert_looks_like("page", baselines.copy())
    noisy = baselines.copy()
    noisy.putpixel((5, 5), (200, 200, 200))  # one pixel: anti-aliasing
    visual.assert_looks_like("page", noisy)


def test_a_moved_block_fails_and_leaves_a_diff_for_the_reviewer(baselines) -> None:  # type: ignore[no-untyped-def]
    moved = Image.new("RGB", (200, 300), "white")
    ImageDraw.Draw(moved).rectangle((20, 80, 180, 120), fill=(31, 95, 139))  # the tile pushed down 60 px
    with pytest.raises(AssertionError, match="of the pixels differ"):
        visual.assert_looks_like("page", moved)
    assert (visual.ARTIFACTS / "page.diff.png").is_file()


def test_a_new_size_a_missing_baseline_and_ci_updates_fail(baselines, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AssertionError, match="size"):
        visual.assert_looks_like("page", baselines.resize((200, 320)))
    with pytest.raises(AssertionError, match="no reviewed baseline"):
        visual.assert_looks_like("other", baselines)
    assert not (visual.BASELINES / "other.png").exists()  # never created silently
    monkeypatch.setenv("KAWAL_UPDATE_BASELINES", "1")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(AssertionError, match="refused under CI"):
        visual.assert_looks_like("page", baselines)
    monkeypatch.setenv("CI", "false")
    with pytest.raises(AssertionError, match="baseline written"):  # an update never passes by itself
        visual.assert_looks_like("other", baselines)
    assert (visual.BASELINES / "other.png").is_file()
