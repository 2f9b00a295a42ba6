"""SQL sources: the day's rows of a vendor table or view, extracted into the landing folder.

An extract is written as CSV at the mapping's ``file.pattern`` (atomically) and from then on is a
delivery like any file drop: checksummed, validated, kept as objective evidence (§6), re-read for
a recomputation. Re-extracting a day that changed upstream yields a new checksum, hence a
restatement; an unchanged day yields the same bytes (rows ordered as the query orders them, so
give the query an ORDER BY).

The database is named by an Airflow connection (``conn_id``) or by an environment variable holding
a SQLAlchemy URL (``url_env``): credentials never sit in the mapping.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from kawal.errors import KawalError, SourceFileError
from kawal.settings import shown_url, site_tz

if TYPE_CHECKING:
    from kawal.ingest.mapping import Mapping


def _url(mapping: Mapping) -> str:
    sql = mapping.sql
    assert sql is not None
    if sql.url_env is not None:
        url = os.environ.get(sql.url_env)
        if not url:
            raise KawalError(f"mapping {mapping.name}: sql.url_env: environment variable {sql.url_env} is not set")
        return url
    from airflow.sdk import Connection  # only for SQL sources named by an Airflow connection

    try:
        conn = Connection.get(sql.conn_id)
    except Exception as exc:  # Airflow raises its own not-found types across versions
        raise KawalError(f"mapping {mapping.name}: sql.conn_id: connection {sql.conn_id!r} not found ({exc})") from None
    return conn.get_uri().replace("postgres://", "postgresql+psycopg://", 1)


def extract_day(mapping: Mapping, day: date, path: Path) -> Path:
    """Write the rows of ``day`` (site time) to ``path``; a database that cannot be reached is a
    :class:`SourceFileError` naming the mapping and the server (never its password)."""
    import pandas as pd
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    url = _url(mapping)
    start = datetime.combine(day, time(0), site_tz())
    params = {"day_start": start, "day_end": start + timedelta(days=1)}
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 10} if url.startswith("postgresql") else {})
    except (SQLAlchemyError, ValueError) as exc:
        raise SourceFileError(path, f"mapping {mapping.name}: unusable database URL ({type(exc).__name__})") from None
    try:
        with engine.connect() as conn:
            frame = pd.read_sql_query(text(mapping.sql.query), conn, params=params, dtype=object)  # type: ignore[union-attr]
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
        raise SourceFileError(
            path, f"mapping {mapping.name}: database {shown_url(url)} could not be read: {first}"
        ) from None
    finally:
        engine.dispose()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_csv(tmp, index=False, sep=mapping.file.delimiter, encoding="utf-8")
    os.replace(tmp, path)
    return path
