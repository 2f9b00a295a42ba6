"""The site: who the center is, where its business day starts and ends, which sources it has
(``kpi_rules/site.yaml``, checked by ``kawal rules check``; issue #16).

- ``name``: shown on the report and the board.
- ``timezone``: the time zone of the business day (IANA name; default ``Asia/Jakarta``, WIB — the
  work instruction's center). Every "day" of Kawal — a delivery's day, the DAGs' schedules, the CLI's
  today — is a day in this zone. A vendor export written in another zone says so in its mapping
  (``timezone:``, for timestamps without an offset).
- ``sources``: the canonical sources this site delivers. A source not listed has no task in the
  daily DAG, no data incident and no "missing" in the report: its KPIs are *not applicable* at this
  site, and shown as such — never as missing data or a miss.
- ``history_starts``: the first business day Kawal computes. The daily DAG starts there (so
  ``kawal backfill`` and ``airflow backfill create`` can run any day from it); the register's first
  revision should be in force by then, so history is judged against the targets of its time.
- ``opt_in_kpis``: register entries marked ``opt_in`` (service level, mean CSAT, FCR, abandon rate)
  that this site reports; the others stay out of every computation and report.

This module is *light* (PyYAML and the standard library): the DAG files read the site when the
scheduler parses them, every 30 s. A missing file means the defaults (every source, WIB).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kawal.errors import KawalError
from kawal.sources import SOURCES

SITE_FILE = "site.yaml"
DEFAULT_TIMEZONE = "Asia/Jakarta"
DEFAULT_HISTORY_STARTS = date(2026, 1, 1)
FIELDS = ("name", "timezone", "sources", "history_starts", "opt_in_kpis", "export_cutoff", "daily_run_due_by")
#: by when (site time, the day after the business day) the daily run must have finished (issue #19)
DEFAULT_DAILY_RUN_DUE_BY = time(8, 0)
#: until when (site time, the day after the business day) a missing export is waited for (issue #19)
DEFAULT_EXPORT_CUTOFF = time(6, 0)


@dataclass(frozen=True)
class Site:
    name: str = "Contact Center"
    timezone: str = DEFAULT_TIMEZONE
    sources: tuple[str, ...] = tuple(SOURCES)
    history_starts: date = DEFAULT_HISTORY_STARTS
    opt_in_kpis: tuple[str, ...] = ()
    #: per source (or ``default``): the time of the day after the business day until which a missing
    #: export is waited for before it is a data incident
    export_cutoff: tuple[tuple[str, time], ...] = (("default", DEFAULT_EXPORT_CUTOFF),)
    #: the daily run not finished by then (the day after the business day, site time) tells data engineering
    daily_run_due_by: time = DEFAULT_DAILY_RUN_DUE_BY

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def export_cutoff_for(self, source: str, day: date) -> datetime:
        """When ``source``'s export of business day ``day`` is given up on: the day after, at its
        cut-off, in the site's zone (the daily run starts at 01:00 and re-checks until then)."""
        cutoffs = dict(self.export_cutoff)
        at = cutoffs.get(source, cutoffs.get("default", DEFAULT_EXPORT_CUTOFF))
        return datetime.combine(day + timedelta(days=1), at, tzinfo=ZoneInfo(self.timezone))

    def uses(self, source: str) -> bool:
        return source in self.sources

    @property
    def dag_start(self) -> datetime:
        """The DAGs' ``start_date``: the first moment of the site's history, in its zone."""
        return datetime.combine(self.history_starts, time(), self.tz)

    @property
    def daily_dag_start(self) -> datetime:
        """The daily DAG's ``start_date``: its run at 01:00 computes the day that just ended, so its
        first run (the day after ``history_starts``) computes ``history_starts``."""
        return self.dag_start + timedelta(days=1)


def _rules_dir() -> Path:
    # kawal.settings.rules_dir() again, on purpose: settings.site_tz() imports this module, so this
    # one cannot import settings (no import cycle, checked by lint-imports)
    return Path(os.environ.get("KAWAL_RULES_DIR", Path.cwd() / "kpi_rules")).resolve()


#: keyed by the file's mtime, not its bytes (kawal.config.content_key): site_tz() asks on every
#: timestamp conversion, so the check must cost a stat, not a read
_CACHE: dict[tuple[str, int], Site] = {}


def load_site(directory: Path | None = None) -> Site:
    """The site settings (defaults when the file is absent); a mistake is one line naming the field."""
    path = (directory or _rules_dir()) / SITE_FILE
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return Site()
    except OSError as exc:
        raise KawalError(f"{path}: cannot be read ({exc.strerror})") from None
    key = (str(path), stamp)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = _parse(path)
    return _CACHE[key]


def _parse(path: Path) -> Site:
    from kawal.config import load_yaml_mapping

    data = load_yaml_mapping(path, "the site settings (name, timezone, sources …)")

    def bad(field: str, what: str) -> KawalError:
        return KawalError(f"{path}: field {field}: {what}")

    unknown = sorted(set(map(str, data)) - set(FIELDS))
    if unknown:
        raise bad(unknown[0], f"unknown field (expected: {', '.join(FIELDS)})")
    site = Site()
    name = data.get("name", site.name)
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        raise bad("name", "must be the site's name (text, at most 120 characters)")
    timezone = data.get("timezone", site.timezone)
    try:
        if not isinstance(timezone, str):
            raise ValueError
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad("timezone", "not an IANA time zone (e.g. Asia/Jakarta, Asia/Makassar, Europe/Berlin)") from None
    sources = data.get("sources", list(site.sources))
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) for s in sources):
        raise bad("sources", f"must list the sources this site delivers (of: {', '.join(SOURCES)})")
    for s in sources:
        if s not in SOURCES:
            raise bad("sources", f"{s!r} is not a canonical source (known: {', '.join(SOURCES)})")
    if len(set(sources)) != len(sources):
        raise bad("sources", "a source is listed twice")
    starts = data.get("history_starts", site.history_starts)
    if not isinstance(starts, date):
        raise bad("history_starts", "must be a date, YYYY-MM-DD")
    opt_in = data.get("opt_in_kpis", [])
    if not isinstance(opt_in, list) or not all(isinstance(k, str) for k in opt_in):
        raise bad("opt_in_kpis", "must be a list of KPI ids of the register")
    return Site(
        name=name.strip(),
        timezone=timezone,
        sources=tuple(s for s in SOURCES if s in sources),  # the catalogue's order
        history_starts=starts,
        opt_in_kpis=tuple(opt_in),
        export_cutoff=(cutoffs := _export_cutoff(data.get("export_cutoff"), sources, bad)),
        daily_run_due_by=_due_by(data.get("daily_run_due_by"), cutoffs, bad),
    )


def _due_by(raw: object, cutoffs: tuple[tuple[str, time], ...], bad) -> time:  # type: ignore[no-untyped-def]
    if raw is None:
        at = DEFAULT_DAILY_RUN_DUE_BY
    else:
        try:
            if not isinstance(raw, str) or len(raw) != 5:
                raise ValueError
            at = time.fromisoformat(raw)
        except ValueError:
            raise bad("daily_run_due_by", 'must be a time HH:MM, quoted (e.g. "08:00")') from None
    latest = max(t for _, t in cutoffs)
    if at <= latest:
        raise bad("daily_run_due_by", f"{at:%H:%M} is not after the latest export cut-off ({latest:%H:%M})")
    return at


def _export_cutoff(raw: object, sources: list[str], bad) -> tuple[tuple[str, time], ...]:  # type: ignore[no-untyped-def]
    if raw is None:
        return (("default", DEFAULT_EXPORT_CUTOFF),)
    if not isinstance(raw, dict) or not raw:
        raise bad("export_cutoff", "must map 'default' or a source to a time HH:MM (e.g. default: \"06:00\")")
    out = []
    for key, value in raw.items():
        if key != "default" and key not in sources:
            raise bad("export_cutoff", f"{key!r} is neither 'default' nor a source of this site")
        text = value if isinstance(value, str) else None
        try:
            if text is None or len(text) != 5:
                raise ValueError
            at = time.fromisoformat(text)
        except ValueError:
            raise bad(f"export_cutoff.{key}", "must be a time HH:MM between 00:00 and 23:59, quoted") from None
        if at < time(1, 0):
            raise bad(f"export_cutoff.{key}", "is before the daily run starts (01:00): nothing would be waited for")
        out.append((str(key), at))
    if "default" not in dict(out):
        out.append(("default", DEFAULT_EXPORT_CUTOFF))
    return tuple(out)
