"""Fixtures of the security suite (issue #11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.records.demo_month import demo_home  # noqa: F401  (the demo month: records, packs, --out)

#: What people's text may carry into a mail, a PDF or the UI when someone means harm.
HOSTILE_MARKUP = (
    "<script>alert('kawal')</script>",
    "<img src=file:///etc/passwd>",
    '<div style="background:url(http://127.0.0.1:9/leak.png)">css</div>',
    "<style>@import url(file:///etc/passwd); body{background:url('http://127.0.0.1:9/x')}</style>",
    '<link rel=stylesheet href="file:///etc/passwd">',
    "<iframe src=https://attacker.example/></iframe>",
)


@pytest.fixture(scope="module")
def module_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One migrated SQLite store for a module's property tests (each example rolls its work back)."""
    from kawal.store import engine_for

    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'kawal.db'}"
    engine_for(url)
    return url


@pytest.fixture(scope="module")
def rules_dir() -> Path:
    return REPO / "kpi_rules"
