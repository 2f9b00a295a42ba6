"""Schema of the KPI register in ``kpi_rules/`` (YAML validated by pydantic).

The Operations Manager (Accountable) owns the register (§4.1–4.2); data engineers edit the YAML.
Every field carries a description so ``kawal rules`` errors and docs can explain it.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kawal.errors import KawalError


class Category(StrEnum):
    """The five KPI categories of §5.1.1."""

    performance = "performance"
    quality = "quality"
    infrastructure = "infrastructure"
    hr_fulfilment = "hr_fulfilment"  # Pemenuhan SDM
    hr_performance = "hr_performance"  # Kinerja SDM


class Scope(StrEnum):
    internal = "internal"  # the center's own target, often stricter
    external = "external"  # contractual


class Direction(StrEnum):
    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"


class Unit(StrEnum):
    percent = "percent"
    seconds = "seconds"

    @property
    def scale(self) -> float:
        """Factor from numerator/denominator to the unit (a ratio shown as a percentage)."""
        return 100.0 if self is Unit.percent else 1.0


class Formula(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="formula kind, one of kawal.kpis.formulas.FORMULA_KINDS")
    params: dict[str, Any] = Field(
        default_factory=dict, description="the kind's variant parameters, e.g. short_abandon_s"
    )


class Kpi(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="stable KPI id, snake_case")
    name_id: str = Field(description="name in Indonesian, as people read it in reports")
    name_en: str = Field(description="name in English")
    category: Category = Field(description="one of the five §5.1.1 categories")
    scope: Scope = Field(description="external (contractual) or internal (the center's own)")
    source: str = Field(description="canonical source the KPI is computed from, e.g. interactions")
    formula: Formula = Field(description="how numerator and denominator are computed")
    breakdowns: list[str] = Field(
        default_factory=list, description="source columns to compute the KPI by, besides overall"
    )
    unit: Unit = Field(description="unit of the value")
    direction: Direction = Field(description="whether a higher or a lower value is better")
    period: str = Field(default="daily", pattern=r"^(daily|monthly)$", description="evaluation period")
    target: float = Field(description="the target the Accountable set (shipped: an industry default)")

    @model_validator(mode="after")
    def _known_formula(self) -> Kpi:
        from kawal.kpis.formulas import FORMULA_KINDS

        if self.formula.kind not in FORMULA_KINDS:
            known = ", ".join(sorted(FORMULA_KINDS))
            raise ValueError(f"unknown formula kind {self.formula.kind!r} (known: {known})")
        return self


class Register(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kpis: list[Kpi] = Field(description="every KPI under guard")

    def for_source(self, source: str) -> list[Kpi]:
        return [k for k in self.kpis if k.source == source]


def register_dir() -> Path:
    return Path(os.environ.get("KAWAL_RULES_DIR", Path.cwd() / "kpi_rules")).resolve()


def load_register(path: Path | None = None) -> Register:
    """Load and validate ``kpi_rules/register.yaml``; a problem is one :class:`KawalError` line."""
    import yaml

    path = path or register_dir() / "register.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KawalError(f"{path}: register file not found") from None
    except yaml.YAMLError as exc:
        raise KawalError(f"{path}: not valid YAML: {exc}".replace("\n", " ")) from None
    try:
        return Register.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = list(err["loc"])
            where = ".".join(str(p) for p in loc)
            if len(loc) >= 2 and loc[0] == "kpis" and isinstance(loc[1], int):
                kpis = (data or {}).get("kpis") or []
                kpi_id = kpis[loc[1]].get("id", "?") if isinstance(kpis[loc[1]], dict) else "?"
                where = f"KPI {kpi_id!r} field {'.'.join(str(p) for p in loc[2:]) or '(entry)'}"
            problems.append(f"{path}: {where}: {err['msg']}")
        raise KawalError("; ".join(problems)) from None
