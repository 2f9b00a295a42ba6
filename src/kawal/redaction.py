"""No raw data in messages (issue #17): how a cell, a header and a finished message are shown.

Kawal's messages leave the process — a :class:`~kawal.errors.SourceFileError` is printed by the CLI,
fails an Airflow task, is stored as an ingestion batch's reason, a KPI value's reason, a data
incident's note and event, and is mailed to data engineering. A delivery's cells may hold personal
data (a shifted row puts a customer's phone number into any column; a headerless export's first
line is a customer row; a wrong file is ``/etc/passwd``), and the work instruction keeps customer
identifiers out of the clear (§6; ISO 9001 §7.5.3 protects documented information from loss of
confidentiality). So a message names the file, row, column and what is wrong, and shows data by
its shape only. The rules, one function each:

:func:`cell` — a **data cell** is never quoted in the clear: it is shown as its *shape*, each digit
  written ``#``, each letter ``x``, white space as a space, the punctuation ``- / . : , + _ ( ) % @``
  kept, anything else (quotes, markup, control characters, symbols) ``?``; at most
  :data:`SHAPE_CHARS` characters of it, the length said when longer. ``'0812-3456-7890'`` reads
  ``'####-####-####'``, ``'kemarin'`` reads ``'xxxxxxx'``, ``'01/10/26 9h15'`` reads
  ``'##/##/## #x##'``: enough to see *what kind* of value is there (a phone number in a duration
  column, a date in the wrong order), nothing of *which* value. An empty cell is ``''``.

:func:`header_cell` — a **header cell** is quoted only when it looks like a header name
  (:data:`HEADER_NAME`: up to 64 characters, starting with a letter or ``_``, then letters, digits,
  space and ``_ . / ( ) % # + -``, no run of more than four digits); otherwise it is masked like a
  data cell. :func:`header_line` applies this to a whole first line, and quotes none of it unless
  the line names at least one column the reader expected: a headerless export's first line is a
  data row whose cells may look like names (``voice``, ``Budi Santoso``), so only a line that is
  evidently a header has its names shown.

:func:`figure` — a number of a number column that **passed** its column's check (a duration within
  a day, a count) may be shown in comparisons ("downtime_s (50000) is greater than scheduled_s
  (43200)") when it is below a million; a larger one is shown by its number of digits. Phone
  numbers, NIK, account and card numbers all have eight digits or more.

:func:`moment` — an ISO month, day or timestamp (an interval's period) is shown as written; any
  other text in its place is masked like a cell.

:func:`scrub` — the **final guard**, applied to every finished message where it leaves the process
  (``SourceFileError``, the store's message columns, the outbox's subject and bodies): whatever a
  construction site missed, these forms are masked — a URL's password (``://user:***@``), an e-mail
  address (``<e-mail>``), and a number of nine digits or more, plain or grouped by single spaces or
  hyphens, optionally with a leading ``+`` or ``(0xx)`` (a phone number, a NIK, a CIF, a card or
  account number: ``<12 digits>``). Dates are left alone (``2026-10-01``, ``01/10/2026``, a timestamp
  with its offset), as are decimals (``98,198``, ``0.123456789``), numbers grouped by thousands
  (``1,234,567``), digits inside a word or a hexadecimal hash (SHA-256, pseudonyms) and numbers
  below nine digits (ticket and row numbers, byte counts of files under 1 GB): legitimate content
  is not mangled. :func:`scrub_json` does the same to the string values of a JSON document (an
  ingestion batch's validation, a defect event's details), never to its numbers or keys.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

#: How many characters of a cell's shape a message shows (then "…" and the cell's length).
SHAPE_CHARS = 24

#: A header name as exports write them: ``interaction_id``, ``Queue Time``, ``Durasi (detik)``, ``%SL``.
HEADER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9 _./()%#+-]{0,63}")
_LONG_DIGITS = re.compile(r"\d{5}")
_KEPT = frozenset("-/.:,+_()%@")


def _shape_char(ch: str) -> str:
    if ch.isdigit():
        return "#"
    if ch.isalpha():
        return "x"
    if ch == " ":
        return " "
    return ch if ch in _KEPT else "?"


def cell(value: object) -> str:
    """A data cell as a message shows it: its shape, quoted (see the module's rules)."""
    text = "" if value is None else str(value)
    shape = "".join(_shape_char(ch) for ch in text[:SHAPE_CHARS])
    if len(text) > SHAPE_CHARS:
        return f"'{shape}…' ({len(text)} characters)"
    return f"'{shape}'"


def looks_like_header_name(text: str) -> bool:
    """``text`` is shaped like a column name (:data:`HEADER_NAME`), not like a value."""
    return HEADER_NAME.fullmatch(text) is not None and _LONG_DIGITS.search(text) is None


def header_cell(value: object) -> str:
    """A header cell as a message shows it: as written when it looks like a header name, else masked."""
    text = "" if value is None else str(value)
    return text if looks_like_header_name(text) else cell(text)


def header_line(cells: Iterable[object], expected: Iterable[str]) -> str:
    """What a "missing column" message says it found on the first line.

    The names, each through :func:`header_cell`, when the line names at least one of the
    ``expected`` columns (a header with a column renamed or missing); otherwise only how many cells
    it has — such a first line is likely a data row (a headerless export) or a wrong file, and its
    cells are not quoted at all.
    """
    names = [str(c) for c in cells]
    if not names:
        return "found: none"
    if set(names) & set(expected):
        return "found: " + ", ".join(header_cell(n) for n in names)
    return (
        f"the first line has {len(names)} cell(s) and names none of the expected columns: "
        "a file without a header, or another file? Its cells are not quoted"
    )


def figure(value: float) -> str:
    """A checked number for a comparison in a message: as ``%g`` below a million, else its digit count."""
    if isinstance(value, float) and not math.isfinite(value):
        return "not finite"
    if abs(value) < 1_000_000:
        return f"{value:g}"
    return f"a number of {len(str(int(abs(value))))} digits"


_MOMENT = re.compile(r"\d{4}-\d{2}(?:-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)?)?)?")


def moment(value: object) -> str:
    """A period or timestamp for a message: as written when it is an ISO month, day or timestamp
    (a moment names no one), else masked like any cell."""
    text = "" if value is None else str(value)
    return text if _MOMENT.fullmatch(text) else cell(text)


# --- the final guard ------------------------------------------------------------------------------

_URL_PASSWORD = re.compile(r"(?<=://)([^/@\s:]*):([^/@\s]+)@")
_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])", re.ASCII
)
# Dates are matched first so that the number pattern never starts inside one (re.sub scans left to
# right and takes the first alternative that matches at a position).
_DATE_OR_NUMBER = re.compile(
    r"(?P<date>(?<!\d)\d{4}-\d{1,2}-\d{1,2}(?!\d)|(?<!\d)\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(?!\d))"
    r"|(?P<number>(?<![\w.,])\+?(?:\(\d{1,4}\)[ -]?)?\d+(?:[ -]\d+)*(?!\w))",
    re.ASCII,
)
#: A number with this many digits or more is an identifier (phone, NIK, CIF, card, account), masked.
IDENTIFIER_DIGITS = 9


def _mask_number(m: re.Match[str]) -> str:
    if m.group("date") is not None:
        return m.group()
    digits = sum(ch.isdigit() for ch in m.group())
    return f"<{digits} digits>" if digits >= IDENTIFIER_DIGITS else m.group()


def scrub(message: str) -> str:
    """``message`` with passwords in URLs, e-mail addresses and identifier-long numbers masked."""
    if not message:
        return message
    text = _URL_PASSWORD.sub(r"\1:***@", message)
    text = _EMAIL.sub("<e-mail>", text)
    return _DATE_OR_NUMBER.sub(_mask_number, text)


def scrub_optional(message: str | None) -> str | None:
    """:func:`scrub` for a nullable column."""
    return None if message is None else scrub(message)


def _scrub_tree(data: Any) -> Any:
    if isinstance(data, str):
        return scrub(data)
    if isinstance(data, list):
        return [_scrub_tree(v) for v in data]
    if isinstance(data, dict):
        return {k: _scrub_tree(v) for k, v in data.items()}
    return data  # numbers, booleans, null: figures and flags of Kawal's own, left as they are


def scrub_json(document: str | None) -> str | None:
    """A JSON text with :func:`scrub` applied to its string values; unchanged when nothing is masked
    (so a re-run writes the same bytes). Text that is not JSON is scrubbed as a message."""
    if document is None:
        return None
    try:
        data = json.loads(document)
    except ValueError:
        return scrub(document)
    cleaned = _scrub_tree(data)
    if cleaned == data:
        return document
    return json.dumps(cleaned, sort_keys=True, default=str)
