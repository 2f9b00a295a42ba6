"""Schema of the KPI register in ``kpi_rules/`` (YAML validated by pydantic models).

Two files, both owned by the Operations Manager (Accountable, §4.1–4.2), edited by data engineers:

- ``people.yaml`` — people and RACI: the Accountable, the PICs (Responsible), the Consulted lists
  (Operations Team, Operations Support Team) and the data-engineering list.
- ``register.yaml`` — the revisions (§7 *Catatan Perubahan*) and the KPIs (§5.1.1).

Revisions: the KPI entries hold the targets of revision 1; each later revision has an effective
date and lists its changes (new target/warning per KPI). History is never edited: a change is a new
revision. A value for a period is judged against the revision in force on the period's first day,
so a change never applies retroactively to part of a period already under way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from kawal.register.procedure import Procedure
from kawal.site import Site


class Category(StrEnum):
    """The five KPI categories of §5.1.1."""

    performance = "performance"
    quality = "quality"
    infrastructure = "infrastructure"
    hr_fulfilment = "hr_fulfilment"  # Pemenuhan SDM
    hr_performance = "hr_performance"  # Kinerja SDM

    @property
    def label_id(self) -> str:
        return {
            "performance": "Performance",
            "quality": "Quality",
            "infrastructure": "Infrastructure",
            "hr_fulfilment": "Pemenuhan SDM",
            "hr_performance": "Kinerja SDM",
        }[self.value]


class Scope(StrEnum):
    external = "external"  # contractual
    internal = "internal"  # the center's own target, often stricter


class Direction(StrEnum):
    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"


class Unit(StrEnum):
    percent = "percent"
    score = "score"  # points on a 0-100 scale
    seconds = "seconds"
    minutes = "minutes"
    contacts = "contacts"  # interactions per agent-day
    rating = "rating"  # points on the survey's 1-5 scale (mean CSAT)

    @property
    def scale(self) -> float:
        """Factor from numerator/denominator to the unit: a ratio as %, source seconds as minutes."""
        return {"percent": 100.0, "minutes": 1 / 60}.get(self.value, 1.0)

    @property
    def bounds(self) -> tuple[float, float | None]:
        if self.value == "rating":
            return (1.0, 5.0)
        return (0.0, 100.0) if self.value in ("percent", "score") else (0.0, None)

    @property
    def label_id(self) -> str:
        return {
            "percent": "%",
            "score": "poin",
            "seconds": "detik",
            "minutes": "menit",
            "contacts": "kontak/agen/hari",
            "rating": "poin (1–5)",
        }[self.value]


class Period(StrEnum):
    daily = "daily"  # evaluated per day (and per month)
    monthly = "monthly"  # evaluated per month only (e.g. attrition)


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="id used by KPIs and lists")
    # no control characters: names go into mail headers and PDF text
    name: str = Field(min_length=1, pattern=r"^[^\x00-\x1f\x7f]+$", description="full name as it appears in reports")
    email: str = Field(pattern=r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$", description="mail address")
    role: str = Field(
        pattern=r"^[^\x00-\x1f\x7f]*$", description="function, e.g. Manajer Operasional, Supervisor Quality"
    )
    # The KPI board in the Airflow UI (kawal.web) acts as the person whose Airflow login this is.
    airflow_user: str | None = Field(
        None,
        min_length=1,
        pattern=r"^[^\x00-\x1f\x7f\s]+$",
        description="Airflow username of this person for the KPI board; unset: the person's id",
    )

    # #18: the language this person reads Kawal's mails in; unset, the site's (Indonesian, docs/PRODUCT.md)
    lang: Literal["id", "en"] | None = Field(
        None, description="language of this person's mails: id or en; unset: the site's language (id)"
    )

    @property
    def login(self) -> str:
        """The Airflow username that acts as this person in the KPI board."""
        return self.airflow_user or self.id


class People(BaseModel):
    model_config = ConfigDict(extra="forbid")
    people: list[Person] = Field(description="everyone the register refers to")
    accountable: str = Field(description="person id of the Operations Manager (Accountable, §4.1)")
    consulted: dict[str, list[str]] = Field(
        description="Consulted lists (§4.6): operations_team, operations_support_team → person ids"
    )
    data_engineering: list[str] = Field(min_length=1, description="person ids told about data incidents")

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)

    def describe(self, person_id: str, detail: Literal["role", "id"] | None = None) -> str:
        """How people read a person: "Name", "Name (role)" or "Name (id)"; the id if unknown."""
        p = self.person(person_id)
        if p is None:
            return person_id
        return p.name if detail is None else f"{p.name} ({p.role if detail == 'role' else p.id})"


class FormulaSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="formula kind, one of kawal.formulas.FORMULA_KINDS")
    params: dict[str, Any] = Field(default_factory=dict, description="the kind's parameters (variant, columns)")


class Definition(BaseModel):
    """The KPI in words, for people (docs/kpi-definitions.md is generated from these)."""

    model_config = ConfigDict(extra="forbid")
    in_words: str
    numerator: str
    denominator: str
    exclusions: str | None = None
    variants_not_chosen: str | None = None


class Kpi(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="stable KPI id, snake_case")
    name_id: str = Field(min_length=1, description="name in Indonesian")
    name_en: str = Field(min_length=1, description="name in English")
    category: Category = Field(description="one of the five §5.1.1 categories")
    scope: Scope = Field(description="external (contractual) or internal (the center's own)")
    source: str = Field(description="canonical source it is computed from (kawal.sources)")
    formula: FormulaSpec = Field(description="how numerator and denominator are computed")
    breakdowns: list[str] = Field(default_factory=list, description="source columns to compute it by")
    unit: Unit = Field(description="unit of the value")
    direction: Direction = Field(description="whether a higher or a lower value is better")
    period: Period = Field(description="evaluation period")
    # strict: YAML's `yes` or "95" is not a number; allow_inf_nan=False (model config): .nan is no target
    target: float = Field(strict=True, description="target of revision 1 (or of introduced_in)")
    warning: float | None = Field(
        None,
        strict=True,
        description="optional warning threshold on the good side of the target: between the two is at risk",
    )
    pic: str = Field(description="person id of the PIC (Responsible, §4.2)")
    introduced_in: int = Field(1, ge=1, description="register revision that added the KPI")
    opt_in: bool = Field(
        False, description="computed and reported only where kpi_rules/site.yaml lists it in opt_in_kpis"
    )
    definition: Definition = Field(description="the KPI in words")

    _params: Any = PrivateAttr(default=None)

    @property
    def params(self) -> Any:
        """The formula's parameters, validated against its kind (set by the register checker)."""
        return self._params


class TargetChange(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    kpi: str = Field(description="KPI id")
    target: float | None = Field(None, strict=True, description="new target from this revision on")
    warning: float | None = Field(None, strict=True, description="new warning threshold from this revision on")


class Revision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rev: int = Field(ge=1, description="revision number, 1, 2, 3 ... in order")
    effective_from: date = Field(description="first day the revision is in force")
    author: str = Field(description="person id who approved it (normally the Accountable)")
    description: str = Field(min_length=1, description="what changed and why (§7 Deskripsi Perubahan)")
    changes: list[TargetChange] = Field(default_factory=list, description="target changes")


@dataclass(frozen=True)
class Target:
    """A KPI's target as in force on a date."""

    value: float
    warning: float | None
    rev: int


@dataclass
class Register:
    people: People
    kpis: list[Kpi]
    revisions: list[Revision]
    procedure: Procedure = field(default_factory=Procedure)
    site: Site = field(default_factory=Site)
    #: entries of register.yaml this site does not report: their source is not among the site's
    #: sources, or they are opt-in and not opted in (``kpi_rules/site.yaml``). Nothing computes them.
    not_applicable: list[Kpi] = field(default_factory=list)

    @property
    def entries(self) -> list[Kpi]:
        """Every entry of register.yaml, applicable here or not (the generated definitions list all)."""
        return [*self.kpis, *self.not_applicable]

    def kpi(self, kpi_id: str) -> Kpi:
        from kawal.errors import KawalError

        found = next((k for k in self.kpis if k.id == kpi_id), None)
        if found is None and any(k.id == kpi_id for k in self.not_applicable):
            raise KawalError(f"KPI {kpi_id!r} is not applicable at this site ({self.why_not_applicable(kpi_id)})")
        if found is None:
            raise KawalError(
                f"KPI {kpi_id!r} is not in the register (retired or renamed?): see kpi_rules/register.yaml"
            )
        return found

    def why_not_applicable(self, kpi_id: str) -> str:
        kpi = next(k for k in self.not_applicable if k.id == kpi_id)
        if not self.site.uses(kpi.source):
            return f"the site has no {kpi.source} source: kpi_rules/site.yaml sources"
        return "an opt-in KPI not listed in kpi_rules/site.yaml opt_in_kpis"

    def has_kpi(self, kpi_id: str) -> bool:
        return any(k.id == kpi_id for k in self.kpis)

    def for_source(self, source: str) -> list[Kpi]:
        return [k for k in self.kpis if k.source == source]

    def revision_in_force(self, day: date) -> Revision | None:
        in_force = [r for r in self.revisions if r.effective_from <= day]
        return in_force[-1] if in_force else None

    def target_on(self, kpi_id: str, day: date) -> Target | None:
        """The KPI's target for a period starting on ``day``; None before the KPI was in force."""
        current = self.revision_in_force(day)
        kpi = self.kpi(kpi_id)
        if current is None or kpi.introduced_in > current.rev:
            return None
        value, warning, rev = kpi.target, kpi.warning, kpi.introduced_in
        for revision in self.revisions:
            if revision.rev > current.rev:
                break
            for change in revision.changes:
                if change.kpi == kpi_id:
                    value = change.target if change.target is not None else value
                    warning = change.warning if change.warning is not None else warning
                    rev = revision.rev
        return Target(value, warning, rev)
