"""Customer identifiers (phone numbers, CIF, names) replaced by a keyed hash at ingestion.

A mapping marks a column ``pseudonymise: true``; its cells become the first 128 bits of
HMAC-SHA256(key, identifier) in hex. The same caller gets the same pseudonym every day (repeat
contacts can be counted) but nobody without the key can test a phone number against it — a plain
hash of a 12-digit number is reversed by trying them all. The key is a secret: the environment
variable ``KAWAL_PII_KEY`` or the password of the Airflow connection ``kawal_pii``; never in a
mapping, a log or the store (UU 27/2022 on personal data protection; ISO 9001 7.5.3.1 b).
"""

from __future__ import annotations

import hashlib
import hmac
import os

from kawal.errors import KawalError

PII_CONN_ID = "kawal_pii"


def pii_key() -> bytes:
    key = os.environ.get("KAWAL_PII_KEY")
    if not key:
        try:
            from airflow.sdk import Connection

            key = Connection.get(PII_CONN_ID).password
        except Exception:  # no Airflow context or no such connection: say what to set, below
            key = None
    if not key or len(key) < 16:
        raise KawalError(
            "no PII hashing key: a mapping pseudonymises customer identifiers; set KAWAL_PII_KEY "
            f"(at least 16 characters) or the password of the Airflow connection {PII_CONN_ID!r}"
        )
    return key.encode("utf-8")


def pseudonym(identifier: str, key: bytes) -> str:
    """The keyed hash of an identifier ('' stays ''); spaces and case do not make a new person."""
    text = "".join(identifier.split()).lower()
    if not text:
        return ""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
