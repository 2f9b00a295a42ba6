"""One loader for every configuration file (kawal.config): each refusal is one line naming the file.

The same hostile file is given to each of the five readers (register, people, procedure, retention,
a mapping): a duplicate key, a reader error, nesting beyond the parser's stack, an oversized file.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from kawal.errors import KawalError
from tests.conftest import REPO

HOSTILE = {
    "duplicate key": ("source: interactions\nsource: csi_responses\n", "duplicate key 'source'"),
    "reader error": ("a: b\n\tc: [\n", "not valid YAML"),
    "nested too deeply": ("a: " + "[" * 100_000 + "\n", "nested too deeply"),
    "too large": ("# " + "x" * 2_100_000 + "\n", "too large"),
}


def _rules(tmp_path: Path) -> Path:
    folder = tmp_path / "kpi_rules"
    shutil.copytree(REPO / "kpi_rules", folder)
    return folder


def _register(tmp_path: Path, name: str, text: str) -> tuple[Path, Callable[[], object]]:
    from kawal.register import load_register

    folder = _rules(tmp_path)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name, lambda: load_register(folder)


def _retention(tmp_path: Path, text: str) -> tuple[Path, Callable[[], object]]:
    from kawal.records.retention import load_retention

    path = tmp_path / "retention.yaml"
    path.write_text(text, encoding="utf-8")
    return path, lambda: load_retention(path)


def _mapping(tmp_path: Path, text: str) -> tuple[Path, Callable[[], object]]:
    from kawal.ingest.mapping import load_mapping

    path = tmp_path / "vendor.yaml"
    path.write_text(text, encoding="utf-8")
    return path, lambda: load_mapping(path)


READERS = {
    "register.yaml": lambda tmp, text: _register(tmp, "register.yaml", text),
    "people.yaml": lambda tmp, text: _register(tmp, "people.yaml", text),
    "procedure.yaml": lambda tmp, text: _register(tmp, "procedure.yaml", text),
    "retention.yaml": _retention,
    "a mapping": _mapping,
}


@pytest.mark.parametrize("case", list(HOSTILE))
@pytest.mark.parametrize("reader", list(READERS))
def test_every_config_file_refuses_with_one_line_naming_the_file(tmp_path: Path, reader: str, case: str) -> None:
    text, expected = HOSTILE[case]
    path, load = READERS[reader](tmp_path, text)
    with pytest.raises(KawalError) as caught:
        load()
    message = str(caught.value)
    assert expected in message, message
    assert path.name in message
    assert "\n" not in message.strip(), message  # one line, whatever PyYAML's own message spans
    if case in ("duplicate key", "reader error"):
        assert "line " in message, message  # where in the file


def test_a_duplicate_key_in_a_mapping_no_longer_wins_silently(tmp_path: Path) -> None:
    from kawal.ingest.mapping import load_mapping

    good = (REPO / "mappings" / "examples" / "genesys-interactions.yaml").read_text(encoding="utf-8")
    path = tmp_path / "genesys.yaml"
    path.write_text(good + "timezone: UTC\ntimezone: Asia/Jakarta\n", encoding="utf-8")
    with pytest.raises(KawalError, match=r"genesys\.yaml: line \d+: not valid YAML: duplicate key 'timezone'"):
        load_mapping(path)


def test_the_sources_doc_is_in_step_with_the_catalogue() -> None:
    """docs/sources.md lists every canonical column, required and optional, from kawal.sources."""
    from pathlib import Path

    from kawal.sources import SOURCES, catalogue_markdown

    committed = (Path(__file__).resolve().parents[2] / "docs" / "sources.md").read_text(encoding="utf-8")
    assert committed == catalogue_markdown() + "\n", "stale: run `kawal sources columns --out docs/sources.md`"
    for spec in SOURCES.values():
        for column in spec.columns:
            assert f"| `{column.name}` | {'optional' if column.optional else 'required'} |" in committed
