"""Reading a configuration file: one YAML loader and one formatter of schema errors for all of them.

Every file a site edits — ``kpi_rules/register.yaml``, ``people.yaml``, ``procedure.yaml``,
``retention.yaml`` and ``mappings/*.yaml`` — is read by :func:`load_yaml` and checked against its
pydantic model, whose errors :func:`schema_problems` turns into lines. So every file is refused the
same way (docs/STYLE.md, practice 5: an error names the file, the entry and what is wrong):

- too large (:data:`MAX_CONFIG_BYTES`): a configuration file is a few hundred lines; anything this
  big is a mistake or an attack;
- not UTF-8, not valid YAML (with the line), nested too deeply (PyYAML's parser recurses per level:
  100,000 ``[`` would otherwise be a ``RecursionError`` traceback);
- a **duplicate key** (plain YAML keeps the last one silently: a second ``kpis:`` section would
  quietly drop every KPI of the first, a second ``default:`` in a mapping would win unseen).

Each is one line, ``<file>: line N: what`` or ``<file>: (file): what``, with no cell of the file
quoted beyond the key that is duplicated.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kawal.errors import KawalError

if TYPE_CHECKING:
    from pydantic import ValidationError

#: the largest configuration file read
MAX_CONFIG_BYTES = 2_000_000


class ConfigError(KawalError):
    """A configuration file that cannot be read as YAML; one line naming the file and where."""

    def __init__(self, path: Path, where: str, what: str) -> None:
        self.path, self.where, self.what = path, one_line(where), one_line(what)
        super().__init__(f"{one_line(shown_path(path))}: {self.where}: {self.what}")


def one_line(text: object) -> str:
    """Runs of white space folded, unprintable characters escaped: a message is always one line."""
    folded = " ".join(str(text).split())
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in folded)


def shown_path(path: Path) -> str:
    """The path as a user typed it: relative to the working folder when under it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


#: more flow brackets than any real configuration file holds (the register has a few dozen)
MAX_FLOW_BRACKETS = 2000


@functools.cache
def _unique_key_loader(*, c_parser: bool = True):  # type: ignore[no-untyped-def]
    import yaml

    # libyaml's parser (a tenth of the pure-Python one's time on the register) with the safe
    # constructor; the pure-Python loader where PyYAML was built without libyaml
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader) if c_parser else yaml.SafeLoader

    class UniqueKeyLoader(base):  # type: ignore[misc, valid-type]
        pass

    def construct_mapping(loader, node, deep=False):  # type: ignore[no-untyped-def]
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return loader.construct_mapping(node, deep)

    UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return UniqueKeyLoader


def content_key(paths: list[Path]) -> str:
    """A digest of these files' names and bytes (a missing file counts as such): what a cache of
    parsed configuration is keyed by, so any edit reloads it and the same bytes never parse twice."""
    import hashlib

    digest = hashlib.sha256()
    for path in paths:
        try:
            digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
        except OSError:
            digest.update(str(path).encode() + b"\0missing\0")
    return digest.hexdigest()


def load_yaml(path: Path, *, max_bytes: int = MAX_CONFIG_BYTES) -> Any:
    """The file's YAML document, or :class:`ConfigError` (one line naming the file and the line)."""
    import yaml

    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ConfigError(path, "(file)", f"too large ({size:,} bytes, more than {max_bytes:,})")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "(file)", "not found") from None
    except IsADirectoryError:
        raise ConfigError(path, "(file)", "is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, "(file)", f"not UTF-8 text (byte {exc.start})") from None
    try:
        # libyaml is quadratic in flow nesting ("[[[[…", 100k deep: minutes): a text with that many
        # brackets goes to the pure-Python loader, which stops at Python's recursion limit at once
        hostile = text.count("[") + text.count("{") > MAX_FLOW_BRACKETS
        return yaml.load(text, Loader=_unique_key_loader(c_parser=not hostile))  # noqa: S506 - SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise ConfigError(path, where, f"not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    except RecursionError:
        raise ConfigError(path, "(file)", "not valid YAML: nested too deeply") from None


def load_yaml_mapping(path: Path, what: str) -> dict[str, Any]:
    """:func:`load_yaml` of a file whose document must be a mapping (an empty file is ``{}``)."""
    data = load_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(path, "(file)", f"{what} is a YAML mapping of keys, not {type(data).__name__}")
    return data


def schema_problems(exc: ValidationError) -> Iterator[tuple[str, str]]:
    """``(field, what)`` per pydantic error: the field as a dotted path, the message, and the value
    given when it is a short scalar (a configuration value, never a data cell)."""
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(entry)"
        got = err.get("input")
        shown = ""
        if err["type"] != "missing" and not isinstance(got, dict | list):
            text = repr(got)
            shown = f" (got {text if len(text) <= 60 else text[:57] + '...'})"
        yield one_line(field), one_line(f"{err['msg']}{shown}")
