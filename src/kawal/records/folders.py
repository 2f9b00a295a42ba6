"""Kawal's record folders, and the check that an output path stays out of them (ISO 9001 §7.5.3.2:
records are protected from unintended alteration).

A record changes only through disposal (logged, :mod:`kawal.records.disposal`) or a new edition (a new
file beside the old one). A verb that writes a file the user names (``--out``) must therefore never
land in a record folder: :func:`outside_record_folders` is the one check every such verb calls. It is
the opposite of the landing confinement ("resolves inside its folder"): here the path, symlinks
followed, must resolve inside *none* of the folders, nor onto the store, nor onto a file with other
hard links (writing it in place would change the other name too).
"""

from __future__ import annotations

from pathlib import Path

from kawal.errors import KawalError


def record_folders() -> dict[str, Path]:
    """The folders whose files are Kawal's records (or define them), by the name a message uses."""
    from kawal.settings import kawal_home, landing_dir, mappings_dir, rules_dir

    home = kawal_home()
    return {
        "reports": home / "reports",  # delivered reports and their contexts (§4.6)
        "reviews": home / "reviews",  # review minutes (§5.5)
        "landing": landing_dir(),  # source files as delivered: objective evidence (§6)
        "register": rules_dir(),  # the register and its revisions (§7)
        "mappings": mappings_dir(),  # how each export becomes a canonical source
    }


def store_file() -> Path | None:
    """The SQLite store's file (None: the store is a server)."""
    from sqlalchemy.engine import make_url

    from kawal.settings import store_url

    url = make_url(store_url())
    return Path(url.database).resolve() if url.get_backend_name() == "sqlite" and url.database else None


def record_folder_of(path: Path) -> str | None:
    """The name of the record folder ``path`` resolves into (symlinks followed), or None."""
    resolved = path.expanduser().resolve()
    for name, folder in record_folders().items():
        if resolved.is_relative_to(folder.resolve()):
            return name
    return None


def outside_record_folders(path: Path, option: str = "--out") -> Path:
    """``path`` resolved, or one line saying why a verb may not write there."""
    resolved = path.expanduser().resolve()
    found = record_folder_of(path)
    if found is not None:
        raise KawalError(
            f"{option} {path}: inside Kawal's record folder {found} ({record_folders()[found]}); records change "
            "only through disposal (logged) or a new edition: write elsewhere"
        )
    store = store_file()
    if store is not None and (resolved == store or resolved.name.startswith(store.name + "-")):
        raise KawalError(f"{option} {path}: that is Kawal's store ({store}): write elsewhere")
    if resolved.is_file() and resolved.stat().st_nlink > 1:
        raise KawalError(f"{option} {path}: the file has other hard links; writing it would change them too")
    return resolved
