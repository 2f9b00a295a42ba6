"""Where Kawal keeps its files and its store, resolved from the environment at call time.

Nothing here is read at import time so DAG files stay cheap to parse (docs/STYLE.md practice 2).

- ``KAWAL_HOME``: the one git-ignored output folder (landing data, SQLite store, PDFs, mail).
  Defaults to ``./var`` under the working directory; the Makefile sets it to the repo's ``var/``.
- Store URL, first match wins: env ``KAWAL_DB_URL``; Airflow connection ``kawal_db`` (e.g. env
  ``AIRFLOW_CONN_KAWAL_DB``); else SQLite at ``$KAWAL_HOME/kawal.db``. Kawal's store is never
  Airflow's metadata DB: Airflow 3 forbids task code from touching that one.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kawal.errors import KawalError


def site_tz() -> ZoneInfo:
    """The time zone of the site's business day (``kpi_rules/site.yaml``; default WIB, the work
    instruction's center — docs/PRODUCT.md "Who uses it"). One truth, shared with the DAG schedules."""
    from kawal.site import load_site

    return load_site().tz


STORE_CONN_ID = "kawal_db"


def now_site() -> datetime:
    """The site clock: now in the site's time zone (every "today" of the CLI, the board and the review).

    ``KAWAL_NOW`` (an ISO 8601 time with its offset) pins it: the test suite sets it so a test's
    verdict does not depend on the day it runs (a due date "in the future" stays so), and a replay
    of a past day can run as of that day.
    """
    pinned = os.environ.get("KAWAL_NOW")
    if pinned:
        try:
            moment = datetime.fromisoformat(pinned)
        except ValueError:
            raise KawalError(f"KAWAL_NOW={pinned!r} is not an ISO 8601 time (e.g. 2026-12-01T09:00:00+07:00)") from None
        if moment.tzinfo is None:
            raise KawalError(f"KAWAL_NOW={pinned!r} needs its UTC offset (e.g. +07:00)")
        return moment.astimezone(site_tz())
    return datetime.now(site_tz())


def kawal_home() -> Path:
    return Path(os.environ.get("KAWAL_HOME", Path.cwd() / "var")).resolve()


def in_site_time(moment: datetime) -> datetime:
    """A stored timestamp in the site's time (SQLite hands them back naive: they are UTC)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(site_tz())


def rules_dir() -> Path:
    """The register folder (``KAWAL_RULES_DIR``; default ``./kpi_rules``)."""
    return Path(os.environ.get("KAWAL_RULES_DIR", Path.cwd() / "kpi_rules")).resolve()


def mappings_dir() -> Path:
    """The active export mappings (``KAWAL_MAPPINGS_DIR``; default ``./mappings``; ``*.yaml`` at its top)."""
    return Path(os.environ.get("KAWAL_MAPPINGS_DIR", Path.cwd() / "mappings")).resolve()


def reports_dir() -> Path | None:
    """A site's own templates and assets for the report and the minutes (``KAWAL_REPORTS_DIR``), or None.

    Kawal's own look is package data (``kawal.rendering``); this folder only overrides it, file by file.
    """
    folder = os.environ.get("KAWAL_REPORTS_DIR")
    return Path(folder).resolve() if folder else None


def landing_dir() -> Path:
    """Where source exports are dropped, one sub-folder per source (``interactions/`` ...)."""
    return Path(os.environ.get("KAWAL_LANDING_DIR", kawal_home() / "landing")).resolve()


def _normalise_url(url: str) -> str:
    # Airflow connection URIs say ``postgres://``/``postgresql://``; SQLAlchemy 2 wants an explicit
    # driver, and psycopg (v3) is the one we ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _airflow_connection_url() -> str | None:
    if not (os.environ.get("AIRFLOW_CONN_KAWAL_DB") or os.environ.get("KAWAL_USE_AIRFLOW_CONN")):
        # Looking a connection up through Airflow costs an import and (outside a task) a metadata
        # DB query; only do it when the deployment says a connection exists.
        return None
    from airflow.sdk import BaseHook

    from kawal.errors import StoreConfigError

    try:
        return BaseHook.get_connection(STORE_CONN_ID).get_uri()
    except Exception as exc:  # the deployment says there is one: never fall back to a local SQLite silently
        raise StoreConfigError(f"Airflow connection {STORE_CONN_ID!r} for Kawal's store is unusable: {exc}") from None


def shown_url(url: str) -> str:
    """The URL with its password masked, for terminals and logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def store_url() -> str:
    url = os.environ.get("KAWAL_DB_URL") or _airflow_connection_url()
    if url:
        return _normalise_url(url)
    home = kawal_home()
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / 'kawal.db'}"
