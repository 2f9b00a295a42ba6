"""A day's delivery of a source: where it lies in the landing folder, its SHA-256 (objective evidence,
§6), and its rows — read through the source's active mapping when there is one, else canonical.

The router between the readers: it imports the mapping config and the readers, neither imports it.

**Confinement** (issue #17): every file read from the landing folder goes through
:func:`landing_file` first — it must lie inside the landing folder, be reached through no symbolic
link and be a regular file. A link (to ``/etc/passwd``, to another day's export elsewhere), a FIFO,
a device or a directory under a delivery's name is refused with one line naming it, and nothing of
it is read, hashed or recorded (:func:`kawal.paths.confined`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from kawal.errors import NotDelivered, SourceFileError
from kawal.ingest.mapping import active_mapping, apply_mapping, load_mapping, read_export, read_mapped
from kawal.paths import ConfinementError, confined, special_kind
from kawal.settings import mappings_dir
from kawal.sources import SOURCES

if TYPE_CHECKING:
    import pandas as pd


def landing_file(path: Path, landing: Path) -> Path:
    """``path`` (relative to ``landing`` or absolute) once it is known to be a delivery Kawal may read:
    inside the landing folder, through no symbolic link, a regular file or nothing yet (the caller
    says "not delivered"). Anything else is a :class:`SourceFileError` naming the file."""
    try:
        full = confined(path, landing, "a delivery")
    except ConfinementError as exc:
        raise SourceFileError(exc.path, exc.problem) from None
    kind = special_kind(full)
    if kind is not None:
        raise SourceFileError(full, f"is {kind}, not a regular file: a delivery is a file; refused")
    return full


def is_delivered(path: Path, landing: Path) -> bool:
    """A regular file confined to the landing folder (what may be hashed and recorded as a batch)."""
    try:
        return landing_file(path, landing).is_file()
    except SourceFileError:
        return False


def day_file(landing: Path, source: str, day: date) -> Path:
    return landing / source / f"{source}_{day.isoformat()}.csv"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class DayFile:
    path: Path
    checksum_sha256: str


#: Delivery completeness (issue #17, finding 8) — **write, then rename**. A delivery is written under
#: a temporary name and renamed to its own name when whole; a file under a temporary name is in
#: flight and never read. Why this convention: it is what the tools a contact center's exports travel
#: through already do, with no change on the vendor's side — rsync writes ``.name.XXXXXX`` and renames,
#: WinSCP ``name.filepart``, a browser download ``name.crdownload`` / ``name.part``, lftp and many
#: SFTP scripts ``name.part`` / ``name.tmp``; Kawal's own SQL extract and demo write ``.name.tmp`` /
#: ``name.part``. A done-marker needs the vendor's export job to write a second file (few ACD
#: schedulers can): it is offered, per mapping, for those that write in place (``file.done_marker``),
#: not required of all. A settle time on the modification time would guess at a wall clock (and
#: refuse every file just written: the demo, a re-delivery run at once). An exporter that writes in
#: place is caught while it writes (the file changes during the read: refused), and one that died
#: at a row boundary under the final name only by the freshness check when that is before
#: ``covers_until`` (kawal.checks.delivery) — hence the convention. docs/onboarding-a-source.md
#: says it to the vendor.
IN_FLIGHT_SUFFIXES = (".part", ".partial", ".filepart", ".tmp", ".crdownload")


def in_flight(name: str) -> bool:
    """A file name under which a delivery is still being written (a dot-file or a temporary suffix)."""
    return name.startswith(".") or name.lower().endswith(IN_FLIGHT_SUFFIXES)


def _neighbours(path: Path) -> list[Path]:
    """The files beside the day's delivery ``path`` that carry its name (its stem): a copy in flight,
    a corrected file, a superseded one. Never through a link (the folder is confined first)."""
    folder = path.parent
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(p for p in folder.iterdir() if p.name != path.name and path.stem in p.name)


#: at most this many unmatched files are named per delivery (the rest counted in one more line)
MAX_UNMATCHED_NAMED = 20


def folder_patterns(folder: Path, landing: Path) -> dict[str, re.Pattern[str]] | None:
    """The delivery patterns that read files in ``folder`` (shown → regex): the canonical layout in
    ``landing/<source>/`` and every active mapping whose landing folder it is; None when a pattern
    of the folder has sub-folders or cannot be read as names (then only the day's neighbours are
    judged)."""
    from kawal.ingest.mapping import active_mappings, name_regex

    found: dict[str, re.Pattern[str]] = {}
    if folder.parent == landing and folder.name in SOURCES:
        found[f"{folder.name}_YYYY-MM-DD.csv"] = re.compile(re.escape(folder.name) + r"_\d{4}-\d{2}-\d{2}\.csv")
    for m in active_mappings():
        if landing / m.landing_folder != folder:
            continue
        rx = name_regex(m.file.pattern)
        if rx is None or "/" in m.file.pattern or "\\" in m.file.pattern:
            return None
        found[m.file.pattern] = rx
    return found or None


def unmatched_files(path: Path, landing: Path) -> list[Path]:
    """Issue #17, finding 9: files in the folder of the day's delivery ``path`` that no delivery
    pattern reads — a corrected export saved as ``x_v2.csv`` or ``x (1).csv``, a hand-renamed
    ``x-2026-10-01.csv`` (:func:`unmatched_line` words each). Such a file is ignored, and said so,
    never silently: a corrected delivery replaces the file under its own name (the earlier one
    stays in the store's batches). Files in flight, done-markers and the copies ``kawal import
    --replace`` keeps (``*.superseded-<sha>``) are not deliveries and not reported."""
    near = {p for p in _neighbours(path) if _reportable(p, path)}
    patterns = folder_patterns(path.parent, landing)
    if patterns is not None:
        for p in path.parent.iterdir():
            if p.name == path.name or not _reportable(p, path) or any(rx.fullmatch(p.name) for rx in patterns.values()):
                continue
            if p.is_dir() and not p.is_symlink():
                continue  # a sub-folder (an archive) holds no delivery of this folder's patterns
            base = p.name.removesuffix(DONE_SUFFIX)
            if p.name != base and any(rx.fullmatch(base) for rx in patterns.values()):
                continue  # another day's done-marker
            near.add(p)
    return sorted(near)


def _reportable(p: Path, path: Path) -> bool:
    """Not in flight, not a copy kept by ``kawal import --replace``, not the delivery's done-marker."""
    return not in_flight(p.name) and ".superseded-" not in p.name and p != done_marker_of(path)


def unmatched_line(unmatched: Path, path: Path) -> str:
    """The warning about ``unmatched`` (in the folder of the day's delivery ``path``), in one line."""
    if path.stem in unmatched.name:  # named after the day: a correction saved under another name
        return f"{unmatched} matches no delivery pattern; a corrected delivery replaces {path.name} under its own name"
    return f"{unmatched} matches no delivery pattern of its folder; it is not read"


def _not_delivered(path: Path, what: str) -> NotDelivered:
    """Not delivered — naming the day's file in flight when there is one (the transfer has not
    finished, or died: its rows are not read either way), and a file named after the day that no
    pattern reads (a corrected export saved under another name)."""
    near = _neighbours(path)
    flying = [p.name for p in near if in_flight(p.name)]
    astray = [p.name for p in near if _reportable(p, path)]
    notes = []
    if flying:
        notes.append(f"{', '.join(flying)} is still in flight: a delivery is read once renamed to its own name")
    if astray:
        notes.append(f"{', '.join(astray)} matches no delivery pattern: a delivery is read under its own name")
    return NotDelivered(path, f"{what} ({'; '.join(notes)})" if notes else what)


def _stamp(path: Path) -> tuple[int, int, int]:
    stat = path.lstat()  # the file itself: a link swapped in for it has another inode
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def _read_whole(path: Path, read):  # type: ignore[no-untyped-def]
    """``(DayFile, read(path))`` — refused when the file changes between its hash and the end of the
    read: an exporter still writing it in place (the rows and the checksum would not be one delivery),
    or a link or another file put in its place meanwhile (the readers open the file by its name)."""
    if path.stat().st_size == 0:
        raise SourceFileError(path, "file is empty (0 bytes)")
    before = _stamp(path)
    found = DayFile(path, sha256_of(path))
    rows = read(path)
    kind = special_kind(path)  # a link there since before the first stamp (the stamps would agree)
    if kind is not None:
        raise SourceFileError(path, f"is {kind}, not a regular file: a delivery is a file; refused")
    if _stamp(path) != before:
        raise SourceFileError(
            path,
            "changed while it was read (still being written?): a delivery is written under a temporary "
            "name and renamed when whole",
        )
    return found, rows


def _delivered_day_file(landing: Path, source: str, day: date) -> Path:
    path = landing_file(day_file(landing, source, day), landing)
    if not path.is_file():
        raise _not_delivered(path, f"no {source} file delivered for {day.isoformat()}")
    if path.stat().st_size == 0:
        raise SourceFileError(path, "file is empty (0 bytes)")
    return path


def locate_day_file(landing: Path, source: str, day: date) -> DayFile:
    path = _delivered_day_file(landing, source, day)
    return DayFile(path, sha256_of(path))


def locate_and_read(source: str, day: date, landing: Path):  # type: ignore[no-untyped-def]
    """The day's delivery of ``source`` — through its active mapping if there is one — and its rows."""
    from kawal.ingest import readers

    mapping = active_mapping(source)
    if mapping is None:
        path = _delivered_day_file(landing, source, day)
        return _read_whole(path, lambda p: readers.read_source(SOURCES[source], p, day))
    path = landing_file(mapping.day_file(landing, day), landing)
    if mapping.sql is not None:
        from kawal.ingest.extract import extract_day

        extract_day(mapping, day, path)
    if not path.is_file():
        raise _not_delivered(path, f"no {source} export delivered for {day.isoformat()} (mapping {mapping.name})")
    if mapping.file.done_marker:
        marker = landing_file(done_marker_of(path), landing)
        if not marker.is_file():
            # reported at the marker's path: the export beside it is not a delivery yet (no batch)
            raise SourceFileError(
                marker,
                f"no done-marker yet: mapping {mapping.name} reads {path.name} once its export job writes "
                f"{marker.name} (file.done_marker)",
            )
    return _read_whole(path, lambda p: read_mapped(mapping, p, day))


#: the suffix of a done-marker (``file.done_marker`` of a mapping): ``acd_20261001.csv.done``
DONE_SUFFIX = ".done"


def done_marker_of(path: Path) -> Path:
    return path.with_name(path.name + DONE_SUFFIX)


def reread(source: str, file_name: str, landing: Path, day: date | None = None):  # type: ignore[no-untyped-def]
    """Rows of a recorded batch: ``file_name`` is relative to the landing folder, its first part
    the source (canonical layout) or the mapping that read it."""
    from kawal.ingest.readers import read_source

    path = landing_file(Path(file_name), landing)
    mapping = _mapping_of(source, file_name)
    if mapping is None:
        return read_source(SOURCES[source], path, day)
    return read_mapped(mapping, path, day)


def _mapping_of(source: str, file_name: str):  # type: ignore[no-untyped-def]
    """The mapping that read a recorded batch of ``source`` (None: the canonical layout). The file's
    first folder is the mapping's landing folder: its name, or the ``folder`` it shares with other
    mappings (one workbook feeding calls and ratings)."""
    folder = Path(file_name).parts[0]
    active = active_mapping(source)
    if active is not None and active.landing_folder == folder:
        return active
    if folder == source:
        return None
    return load_mapping(mappings_dir() / f"{folder}.yaml")


def read_ids(source: str, file_name: str, landing: Path) -> pd.Series:
    """The unique ids of a recorded batch, reading as little of its file as its mapping allows."""
    import pandas as pd

    spec = SOURCES[source]
    assert spec.unique is not None
    path = landing_file(Path(file_name), landing)
    mapping = _mapping_of(source, file_name)
    if mapping is None:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        try:  # pyarrow reads the one column without building the others (a 1M-row day: tenths of a second)
            table = pacsv.read_csv(
                path,
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    include_columns=[spec.unique], column_types={spec.unique: pa.string()}, strings_can_be_null=False
                ),
            )
            return table.to_pandas()[spec.unique]
        except (pa.ArrowException, OSError):
            pass
        return pd.read_csv(path, usecols=[spec.unique], dtype=str, keep_default_na=False, encoding="utf-8-sig")[
            spec.unique
        ]
    rule = mapping.columns.get(spec.unique)
    if rule is None or rule.from_ is None or rule.map is not None or rule.cases or mapping.file.format == "csv":
        return read_mapped(mapping, path)[spec.unique]
    needed = sorted(rule.vendor_columns().union(*(f.columns() for f in mapping.filters)))
    raw = read_export(mapping, path, usecols=needed)
    return apply_mapping(mapping.model_copy(update={"columns": {spec.unique: rule}}), raw, path)[spec.unique]
