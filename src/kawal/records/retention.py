"""The retention table (work instruction §6; ISO 9001:2015 7.5.3.2 "retention and disposition").

``kpi_rules/retention.yaml`` says, per record type, how many years a record is kept and whether an
expired one is disposed of automatically. Every record type Kawal keeps must be in the table: a
missing one would otherwise be kept forever or disposed of by a default nobody chose.
"""

from __future__ import annotations

import calendar
import re
import string
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kawal.errors import KawalError

if TYPE_CHECKING:
    from kawal.register import Register

RETENTION_FILE = "retention.yaml"

#: The record types Kawal holds, in the order the retention table lists them.
RECORD_TYPES = (
    "register_revision",
    "monthly_report",
    "review_minutes",
    "defect_ticket",
    "source_file",
    "validation_result",
    "quarantined_batch",
)


class CountFrom(StrEnum):
    end_of_year = "end_of_year"
    record_date = "record_date"


class RecordRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    years: int = Field(ge=1, le=100, strict=True, description="retention period in whole years")
    dispose: bool = Field(True, description="dispose of expired records automatically (false: list only)")
    description: str = Field(min_length=1, description="what the record is, in the site's words")


class RetentionTable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count_from: CountFrom = Field(
        CountFrom.end_of_year, description="end_of_year: N years after the record's year ends; record_date: N years"
    )
    record_types: dict[str, RecordRule] = Field(description="record type → its rule")
    disposal_by: list[str] | None = Field(
        None,
        min_length=1,
        description="person ids (people.yaml) who may dispose of records for real and release a legal hold; "
        "default: the Accountable",
    )
    signoff_days: int = Field(
        14,
        ge=1,
        le=27,  # the monthly run waits for it (max_active_runs=1): decided before the next month's run starts
        strict=True,
        description="days the disposers have to approve the retention DAG's proposed list; unanswered by then "
        "it times out and nothing is disposed of (kawal.records.signoff)",
    )

    def disposers(self, register: Register) -> list[str]:
        """Who may destroy records or lift a hold (ISO 9001 §7.5.3.2: disposition is decided, not done by anyone)."""
        return list(self.disposal_by) if self.disposal_by else [register.people.accountable]

    def check_people(self, register: Register, shown: str = RETENTION_FILE) -> None:
        for pid in self.disposal_by or ():
            if register.people.person(pid) is None:
                raise KawalError(f"{shown}: field disposal_by: {pid!r} is not among the people in people.yaml")

    def retain_until(self, record_type: str, record_date: date) -> date:
        """The first day the record may be disposed of."""
        years = self.record_types[record_type].years
        if self.count_from is CountFrom.end_of_year:
            return date(record_date.year + years + 1, 1, 1)
        year = record_date.year + years
        return record_date.replace(year=year, day=min(record_date.day, calendar.monthrange(year, record_date.month)[1]))


def may_dispose(table: RetentionTable, register: Register, person: str | None, what: str) -> None:
    """One line unless ``person`` may ``what`` (dispose of records for real / release a legal hold)."""
    allowed = table.disposers(register)
    if person is None:
        raise KawalError(
            f"a real disposal says who disposes: --as PERSON (one of {', '.join(allowed)}; or try --dry-run first)"
        )
    if register.people.person(person) is None:
        raise KawalError(f"--as {person!r} is not among the people in kpi_rules/people.yaml")
    if person not in allowed:
        raise KawalError(
            f"--as {person} may not {what}: that belongs to {', '.join(allowed)} "
            f"(kpi_rules/{RETENTION_FILE} disposal_by; default the Accountable)"
        )


def load_retention(path: Path | None = None, register: Register | None = None) -> RetentionTable:
    """The retention table, or one clear :class:`KawalError` naming the file, the entry and the field
    (``register`` given: the people of ``disposal_by`` are checked against it too)."""
    from kawal.config import ConfigError, load_yaml, schema_problems
    from kawal.settings import rules_dir

    path = path or rules_dir() / RETENTION_FILE
    shown = str(path)
    if not path.is_file():
        raise KawalError(f"{shown}: the retention table (work instruction §6) is missing")
    try:
        raw = load_yaml(path)
    except ConfigError as exc:
        raise KawalError(f"{shown}: {'file' if exc.where == '(file)' else exc.where}: {exc.what}") from None
    try:
        table = RetentionTable.model_validate(raw)
    except ValidationError as exc:
        field, what = next(schema_problems(exc))
        parts = field.split(".")
        if len(parts) >= 2 and parts[0] == "record_types":
            where = f"record type {parts[1]}" + (f" field {'.'.join(parts[2:])}" if len(parts) > 2 else "")
        else:
            where = f"field {field}"
        raise KawalError(f"{shown}: {where}: {what}") from None
    unknown = sorted(set(table.record_types) - set(RECORD_TYPES))
    if unknown:
        raise KawalError(f"{shown}: record type {unknown[0]}: unknown (Kawal keeps: {', '.join(RECORD_TYPES)})")
    missing = [t for t in RECORD_TYPES if t not in table.record_types]
    if missing:
        raise KawalError(f"{shown}: record type {missing[0]}: missing — every record Kawal keeps needs a period")
    if register is not None:
        table.check_people(register, shown)
    return table


def _pattern_days(pattern: str) -> tuple[re.Pattern[str], list[str]]:
    """A mapping's ``file.pattern`` ('calls_{date:%Y%m%d}.csv') as a regex and the date formats of its fields."""
    parts, formats = [], []
    for literal, name, spec, _conv in string.Formatter().parse(pattern):
        parts.append(re.escape(literal))
        if name is not None:
            parts.append(f"(?P<d{len(formats)}>.+?)")
            formats.append(spec or "%Y-%m-%d")  # '{date}' formats as str(date): ISO
    return re.compile("".join(parts)), formats


def mapped_file_days(landing: Path) -> dict[str, date]:
    """The exports of the active mappings in the landing folder (ref → business day), by each
    mapping's own ``file.pattern``: objective evidence like a canonical source's files (§6)."""
    from kawal.ingest.mapping import active_mapping
    from kawal.sources import SOURCES

    out: dict[str, date] = {}
    for source in SOURCES:
        mapping = active_mapping(source)
        if mapping is None:
            continue
        regex, formats = _pattern_days(mapping.file.pattern)
        folder = landing / mapping.landing_folder
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            found = regex.fullmatch(path.name)
            if not found or not path.is_file():
                continue
            try:
                days = {datetime.strptime(found.group(f"d{i}"), fmt).date() for i, fmt in enumerate(formats)}
            except ValueError:
                continue
            if len(days) == 1:
                out[path.relative_to(landing).as_posix()] = days.pop()
    return out
