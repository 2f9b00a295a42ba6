"""Settings of the defect procedure (``kpi_rules/procedure.yaml``), validated by pydantic."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

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


#: Airflow's rule for a connection id (airflow.utils.helpers.validate_key): letters, digits, _ . -
_CONN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,250}$")


def _url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the base of the links in mails, or None. Only an absolute http(s) URL:
    a mail has no page a relative link could resolve against, and any other scheme (``javascript:``,
    ``data:``, ``file:``) would run or open something other than the board when clicked."""
    if any(not c.isprintable() or c.isspace() for c in url):
        return "contains white space or a control character"
    parts = urlsplit(url)
    example = "an absolute http or https URL (e.g. https://airflow.example/kawal)"
    if not parts.scheme:
        return f"must be {example}: a mail has no page a relative link could resolve against"
    if parts.scheme.lower() not in ("http", "https"):
        return f"scheme {parts.scheme!r} is not allowed: {example}"
    if not parts.hostname:
        return f"names no host: {example}"
    if "@" in parts.netloc:
        return "carries a user name or password: mails are read by many people"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "has a query or fragment: Kawal appends /defects/<ticket> to it"
    return None


def procedure_problems(procedure: Procedure) -> list[tuple[str, str]]:
    """``(where, what)`` for settings that parse but cannot work (issue #17): a repeat rule that can
    never fire, severity tiers out of order, no SMTP connection, a link base that is not http(s)."""
    out: list[tuple[str, str]] = []
    repeat = procedure.defects.repeat_rule
    if repeat.breaches > repeat.periods:
        out.append(
            (
                "defects.repeat_rule field breaches",
                f"{repeat.breaches} breaches can never occur within {repeat.periods} periods (one value a period): "
                "breaches must be at most periods",
            )
        )
    severity = procedure.defects.severity
    # tickets.severity tests critical first: a critical tier at or below the major one leaves no major band
    for field, major in (("gap", severity.major_gap), ("occurrences", severity.major_occurrences)):
        critical = getattr(severity, f"critical_{field}")
        if critical <= major:
            out.append(
                (
                    f"defects.severity field critical_{field}",
                    f"{critical:g} is not above major_{field} {major:g}: the thresholds are out of order "
                    "(minor < major < critical), no defect could be major",
                )
            )
    notifications = procedure.notifications
    if not notifications.smtp_conn_id.strip():
        out.append(
            (
                "notifications field smtp_conn_id",
                "is empty: name the Airflow SMTP connection notifications go through (e.g. smtp_default)",
            )
        )
    elif not _CONN_ID.match(notifications.smtp_conn_id):
        out.append(
            (
                "notifications field smtp_conn_id",
                f"{notifications.smtp_conn_id!r} is not an Airflow connection id (letters, digits, _ . - only)",
            )
        )
    if notifications.ui_base_url is not None and (why := _url_problem(notifications.ui_base_url)):
        out.append(("notifications field ui_base_url", why))
    return out


def check_procedure(directory: Path) -> tuple[Procedure | None, list[tuple[str, str]]]:
    """``procedure.yaml`` of the register folder (defaults when the file is absent) and every problem
    as ``(where, what)``: where is the section and the field; the procedure is None when there are any."""
    from kawal.config import ConfigError, load_yaml_mapping, schema_problems

    path = directory / "procedure.yaml"
    if not path.is_file():
        return Procedure(), []
    try:
        data = load_yaml_mapping(path, "procedure.yaml")
    except ConfigError as exc:  # not YAML, or not a mapping: the line (and line number) it names
        return None, [(exc.where, exc.what)]
    try:
        procedure = Procedure.model_validate(data)
    except ValidationError as exc:
        problems = []
        for field, what in schema_problems(exc):
            section, _, name = field.rpartition(".")
            problems.append((f"{section} field {name}" if section else f"field {name}", what))
        return None, problems
    problems = procedure_problems(procedure)
    return (None, problems) if problems else (procedure, [])


def load_procedure(directory: Path) -> Procedure:
    """``procedure.yaml`` of the register folder; defaults when the file is absent; a
    :class:`KawalError` naming the file, section and field of its first problem."""
    from kawal.config import shown_path

    procedure, problems = check_procedure(directory)
    if procedure is None:
        where, what = problems[0]
        raise KawalError(f"{shown_path(directory / 'procedure.yaml')}: {where}: {what}")
    return procedure
