"""Confinement of the files Kawal reads and writes to their configured folder (issue #17).

One check, used by every verb that takes a path under one of Kawal's folders: the landing folder
(deliveries, :mod:`kawal.ingest.delivery`), and the record folders a ``--out`` must not reach. A
path is *confined* to a folder when

- it does not climb: no ``..`` part (lexically — so ``a/../../x`` is refused even where it would
  land back inside),
- it lies inside the folder, whether given relative to it or absolute,
- no part of it below the folder is a symbolic link (a link may point anywhere: ``/etc/passwd``,
  another day's export, a record being disposed of), and
- resolved, it is still inside the folder (what the three above already promise, checked again).

The folder itself may be a link (a deployment may mount ``var/landing`` elsewhere): it is taken as
configured. ISO 9001 §7.5.3: the objective evidence of a day is the file delivered for it, in the
place it was delivered to, and nothing else.

This module is on the ground floor (the standard library and :mod:`kawal.errors` only).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kawal.errors import KawalError


class ConfinementError(KawalError):
    """A path that leaves its folder: ``path`` and ``problem`` kept apart, so that a caller with its
    own error type (a delivery's :class:`~kawal.errors.SourceFileError`) words it the same way."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def confined(path: Path, folder: Path, what: str) -> Path:
    """``path`` (relative to ``folder``, or absolute) as an absolute path inside ``folder``; one
    :class:`ConfinementError` line naming the path, ``what`` it is, and why it is refused otherwise. The
    path need not exist yet (an output about to be written)."""
    base = Path(os.path.abspath(folder))
    full = path if path.is_absolute() else base / path

    def refused(why: str) -> ConfinementError:
        return ConfinementError(full, f"{what} must lie inside {base}; {why}")

    if ".." in path.parts:
        raise refused("it climbs out with '..'")
    full = Path(os.path.abspath(full))
    relative = _relative(full, base)
    if relative is None:
        raise refused("it lies outside")
    at = base
    for part in relative.parts:
        at = at / part
        try:
            mode = at.lstat().st_mode
        except FileNotFoundError:
            break  # the rest does not exist yet: nothing to follow
        except OSError as exc:
            raise refused(f"it cannot be examined ({exc.strerror})") from None
        if stat.S_ISLNK(mode):
            shown = "it is" if at == full else f"it passes through {at}, which is"
            raise refused(f"{shown} a symbolic link (refused: a link may point anywhere)")
    if full.exists() and not full.resolve().is_relative_to(base.resolve()):
        raise refused("it resolves outside")
    return full


def lies_inside(path: Path, folder: Path) -> bool:
    """``path`` as a write would reach it (links followed, ``..`` resolved) lies in ``folder`` (also
    resolved): the check a ``--out`` needs to stay *out of* Kawal's record folders."""
    return Path(os.path.realpath(path)).is_relative_to(Path(os.path.realpath(folder)))


def _relative(full: Path, base: Path) -> Path | None:
    """``full`` relative to ``base`` (also when one is spelt through a link the other resolves)."""
    for folder in (base, base.resolve()):
        if full.is_relative_to(folder):
            return full.relative_to(folder)
    return None


#: what a non-regular file is, for the one line that refuses it
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def special_kind(path: Path) -> str | None:
    """What ``path`` is when it exists and is not a regular file ("a directory", "a FIFO …"); None for
    a regular file or nothing there. Never follows a link (``confined`` refuses those) and never opens
    the file (opening a FIFO would wait for a writer forever)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def plain_name(name: str) -> bool:
    """``name`` is one plain file or folder name: no separator, not ``.``/``..``, not empty."""
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name and "\x00" not in name


def climbs(relative: str) -> bool:
    """A relative path spelt in a configuration (a mapping's ``file.pattern``) that could leave the
    folder it is meant to stay in: absolute, a drive, or with a ``..`` part."""
    parts = relative.replace("\\", "/").split("/")
    return relative.startswith(("/", "\\")) or (len(relative) > 1 and relative[1] == ":") or ".." in parts
