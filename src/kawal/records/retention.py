"""The retention table (work instruction §6; ISO 9001:2015 7.5.3.2 "retention and disposition").

``kpi_rules/retention.yaml`` says, per record type, how many years a record is kept and whether an
expired one is disposed of automatically. Every record type Kawal keeps must be in the table: a
missing one would otherwise be kept forever or disposed of by a default nobody chose.
"""

from __future__ import annotations

import calendar
from datetime import date
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kawal.errors import KawalError

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

    def retain_until(self, record_type: str, record_date: date) -> date:
        """The first day the record may be disposed of."""
        years = self.record_types[record_type].years
        if self.count_from is CountFrom.end_of_year:
            return date(record_date.year + years + 1, 1, 1)
        year = record_date.year + years
        return record_date.replace(year=year, day=min(record_date.day, calendar.monthrange(year, record_date.month)[1]))


def load_retention(path: Path | None = None) -> RetentionTable:
    """The retention table, or one clear :class:`KawalError` naming the file, the entry and the field."""
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
    return table
