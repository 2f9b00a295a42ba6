"""The disposal log as a hash chain (ISO 9001 §7.5.3.2: what was destroyed stays known, unaltered).

Each ``disposal_log`` row carries ``prev_sha256`` (the row before's ``entry_sha256``; 64 zeros for the
first) and ``entry_sha256``, the SHA-256 of its own content together with ``prev_sha256``. The store
refuses UPDATE and DELETE on the table (migration 0007); whoever gets round that breaks the chain,
and :func:`verify_chain` names the first row that no longer fits: changed (its hash no longer
matches its content) or following a removed or inserted row (its ``prev_sha256`` is not the hash of
the row before it). A removed *last* row leaves no trace in the chain itself: see docs/records.md.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

GENESIS = "0" * 64
#: the columns a row's hash covers, in this order (everything but its id and its own hash)
CONTENT = (
    "record_type",
    "ref",
    "record_date",
    "retain_until",
    "disposed_at",
    "reason",
    "checksum_sha256",
    "details",
    "actor",
)


def _canonical(value: Any) -> Any:
    # SQLite hands back naive UTC datetimes, PostgreSQL aware ones: both hash as the same UTC text
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def entry_sha256(row: dict[str, Any], prev_sha256: str) -> str:
    """The hash of one row's content, chained to the row before."""
    doc = {c: _canonical(row[c]) for c in CONTENT} | {"prev_sha256": prev_sha256}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def verify_chain(rows: list[dict[str, Any]]) -> tuple[int, str | None]:
    """(rows checked, the first problem or None); ``rows`` in id order with their stored hashes."""
    prev, prev_id = GENESIS, None
    for row in rows:
        if row["prev_sha256"] != prev:
            after = f"row {prev_id}" if prev_id is not None else "the start of the log"
            return len(rows), (
                f"disposal log row {row['id']}: does not follow {after} (a row before it was removed or inserted)"
            )
        if entry_sha256(row, prev) != row["entry_sha256"]:
            return len(rows), (
                f"disposal log row {row['id']}: its content does not match its hash (changed after it was written)"
            )
        prev, prev_id = row["entry_sha256"], row["id"]
    return len(rows), None
