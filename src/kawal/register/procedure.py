"""Settings of the defect procedure (``kpi_rules/procedure.yaml``), validated by pydantic."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kawal.errors import KawalError


class RepeatRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    breaches: int = Field(3, ge=1, description="breaches within the window that flag a KPI")
    periods: int = Field(7, ge=1, description="window, in periods (days)")


class SeverityRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    major_gap: float = Field(0.05, gt=0, description="relative gap to target from which a defect is major")
    critical_gap: float = Field(0.15, gt=0, description="relative gap from which it is critical")
    major_occurrences: int = Field(3, ge=1, description="occurrences from which it is at least major")
    critical_occurrences: int = Field(5, ge=1, description="occurrences from which it is critical")


class DefectSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    analysis_due_working_days: int = Field(2, ge=0, description="working days for the PIC's analysis")
    effectiveness_periods: int = Field(3, ge=1, description="periods back on target before closing")
    repeat_rule: RepeatRule = Field(default_factory=RepeatRule)
    severity: SeverityRule = Field(default_factory=SeverityRule)


class NotificationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    smtp_conn_id: str = Field("smtp_default", description="Airflow SMTP connection id")
    from_email: str = Field("Kawal KPI <kawal@localhost>", description="sender of every notification")
    ui_base_url: str | None = Field(None, description="base URL of the Kawal UI, for links in mails")


class DataCheckSettings(BaseModel):
    """Checks of a delivery against earlier ones, beyond what a suite of one file can say."""

    model_config = ConfigDict(extra="forbid")
    volume_window_days: int = Field(28, ge=1, description="trailing days whose row counts make the baseline")
    volume_min_history_days: int = Field(7, ge=1, description="days of history before the volume check applies")
    volume_factor: float = Field(10.0, gt=1, description="rows above factor × or below 1/factor × the median")
    covers_until: str | None = Field(
        "20:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="latest event at or after this site time"
    )
    covers_until_min_rows: int = Field(
        1000, ge=0, description="freshness is judged on days with at least this many rows (a quiet day may end early)"
    )


class Procedure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    defects: DefectSettings = Field(default_factory=DefectSettings)
    data_checks: DataCheckSettings = Field(default_factory=DataCheckSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)


def load_procedure(directory: Path) -> Procedure:
    """``procedure.yaml`` of the register folder; defaults when the file is absent."""
    from kawal.config import load_yaml_mapping, schema_problems

    path = directory / "procedure.yaml"
    if not path.is_file():
        return Procedure()
    data = load_yaml_mapping(path, "procedure.yaml")  # ConfigError: one line naming the file and line
    try:
        return Procedure.model_validate(data)
    except ValidationError as exc:
        field, what = next(schema_problems(exc))
        raise KawalError(f"{path}: field {field}: {what}") from None
