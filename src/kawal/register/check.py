"""Loading and checking the register: every problem is one line naming file, entry, field, and what
is wrong (``kawal rules check`` prints them all; the pipeline refuses to run on a broken register)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from kawal.config import ConfigError, content_key, load_yaml, one_line, schema_problems, shown_path
from kawal.errors import KawalError
from kawal.register.model import Direction, Kpi, People, Register, Revision
from kawal.settings import rules_dir

PEOPLE_FILE = "people.yaml"
REGISTER_FILE = "register.yaml"


@dataclass(frozen=True)
class Problem:
    file: str
    where: str
    what: str

    def __str__(self) -> str:
        # one line whatever the file holds: a key or id with a line break is shown escaped
        return _printable(f"{self.file}: {self.where}: {self.what}")


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _shown(path: Path) -> str:
    return shown_path(path)


def _one_line(text: object) -> str:
    return one_line(text)


def _load_yaml(path: Path, problems: list[Problem]) -> Any:
    try:
        data = load_yaml(path)
    except ConfigError as exc:
        problems.append(Problem(_shown(path), exc.where, exc.what))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(_shown(path), "(file)", "must be a mapping of sections"))
        return None
    return data


def _pydantic_problems(exc: ValidationError, file: str, entry: str, problems: list[Problem]) -> None:
    for field, what in schema_problems(exc):
        problems.append(Problem(file, f"{entry} field {field}", what))


def _validate(model: type[BaseModel], data: Any, file: str, entry: str, problems: list[Problem]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        _pydantic_problems(exc, file, entry, problems)
        return None


def _check_people(people: People, file: str, problems: list[Problem]) -> None:
    import unicodedata

    seen: set[str] = set()
    logins: dict[str, str] = {}
    addresses: dict[str, str] = {}
    for person in people.people:
        if person.id in seen:
            problems.append(Problem(file, f"person {person.id!r}", "duplicate person id"))
        seen.add(person.id)
        # one address, one person: a mail meant for one would reach the other (and a reply could not
        # tell who answered); mailboxes are case-insensitive in practice. The address is not quoted.
        address = person.email.strip().casefold()
        if address in addresses and addresses[address] != person.id:
            what = f"already the address of {addresses[address]!r}: every person needs an address of their own"
            problems.append(Problem(file, f"person {person.id!r} field email", what))
        addresses.setdefault(address, person.id)
        # the KPI board acts as the person of a login: one login, one person (else it would act as nobody)
        if person.login in logins and logins[person.login] != person.id:
            problems.append(
                Problem(
                    file,
                    f"person {person.id!r} field airflow_user",
                    f"Airflow login {person.login!r} already belongs to {logins[person.login]!r}",
                )
            )
        logins.setdefault(person.login, person.id)
        # Names go into mail headers and PDFs: NEL and U+2028/2029 end a line there too (header injection).
        for field, text in (("name", person.name), ("role", person.role)):
            bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Zl", "Zp")), None)
            if bad is not None:
                what = f"contains a line break or control character (U+{ord(bad):04X})"
                problems.append(Problem(file, f"person {person.id!r} field {field}", what))
    if people.person(people.accountable) is None:
        problems.append(Problem(file, "accountable", f"{people.accountable!r} is not among the people"))
    for required in ("operations_team", "operations_support_team"):  # §4.6: the two Consulted teams
        if not people.consulted.get(required):
            problems.append(
                Problem(file, f"consulted.{required}", "missing or empty: the monthly report is copied to it (§4.6)")
            )
    lists = {f"consulted.{name}": ids for name, ids in people.consulted.items()}
    lists["data_engineering"] = people.data_engineering
    for where, ids in lists.items():
        for pid in ids:
            if people.person(pid) is None:
                problems.append(Problem(file, where, f"{pid!r} is not among the people"))


#: Formula kinds whose value is a part of its whole (the numerator counts a subset of what the
#: denominator counts): 0–1 before the unit's scale, whatever the data. Every other kind is bounded
#: by its unit only (a duration is >= 0, a score 0–100, a rating 1–5, a rate of sums has no top).
PROPORTION_KINDS = frozenset({"success_call_ratio", "service_level", "abandon_rate", "share", "availability"})


def value_range(kpi: Kpi) -> tuple[float, float | None]:
    """The values ``kpi`` can take: its unit's bounds, narrowed by its formula kind's range."""
    low, high = kpi.unit.bounds
    if kpi.formula.kind in PROPORTION_KINDS:
        scale = kpi.unit.scale
        low, high = max(low, 0.0), min(high, scale) if high is not None else scale
    return low, high


def _range_text(low: float, high: float | None) -> str:
    return f"{low:g}–{high:g}" if high is not None else f">= {low:g}"


def _reach_problem(kpi: Kpi, name: str, value: float) -> str | None:
    """Why a target (or warning) of ``value`` can never decide anything, or None. A target is met by
    a value on its good side or equal (kawal.kpis.evaluation): ``≥ low`` is met by every value, ``≥``
    above the top by none (and the mirror for lower_is_better)."""
    low, high = value_range(kpi)
    higher = kpi.direction is Direction.higher_is_better
    sign = "≥" if higher else "≤"
    gives = f"{kpi.formula.kind} in unit {kpi.unit} gives values in {_range_text(low, high)}"
    unreachable = value > high if higher and high is not None else (not higher and value < low)
    if name == "warning":
        # a warning no value reaches: no day is ever "met", every good day is "at risk"
        return f"no value reaches warning {sign} {value:g}: {gives}" if unreachable else None
    if unreachable:
        return f"target {sign} {value:g} is never met: {gives}"
    always = value <= low if higher else (high is not None and value >= high)
    return f"target {sign} {value:g} is always met: {gives}" if always else None


def _check_target(kpi: Kpi, target: float, warning: float | None, file: str, where: str) -> list[Problem]:
    out = []
    low, high = kpi.unit.bounds
    for name, value in (("target", target), ("warning", warning)):
        if value is None:
            continue
        if value < low or (high is not None and value > high):
            rng = _range_text(low, high)
            out.append(
                Problem(
                    file,
                    f"{where} field {name}",
                    f"{value:g} is outside the range of unit {kpi.unit} ({rng})",
                )
            )
        elif (why := _reach_problem(kpi, name, value)) is not None:
            out.append(Problem(file, f"{where} field {name}", why))
    if warning is not None:
        higher = kpi.direction is Direction.higher_is_better
        if (higher and warning <= target) or (not higher and warning >= target):
            side = "above" if higher else "below"
            what = f"{warning:g} is on the wrong side of target {target:g}: for {kpi.direction} it must be {side} it"
            out.append(Problem(file, f"{where} field warning", what))
    return out


def _check_kpi(kpi: Kpi, people: People | None, file: str, problems: list[Problem]) -> None:
    from kawal.formulas import FORMULA_KINDS
    from kawal.sources import SOURCES

    where = f"KPI {kpi.id!r}"
    kind = FORMULA_KINDS.get(kpi.formula.kind)
    source = SOURCES.get(kpi.source)
    if source is None:
        problems.append(
            Problem(file, f"{where} field source", f"unknown source {kpi.source!r} (known: {', '.join(SOURCES)})")
        )
    if kind is None:
        known = ", ".join(sorted(FORMULA_KINDS))
        problems.append(
            Problem(
                file,
                f"{where} field formula.kind",
                f"unknown formula kind {kpi.formula.kind!r} (known: {known})",
            )
        )
    else:
        if kind.source is not None and kind.source != kpi.source:
            problems.append(
                Problem(
                    file,
                    f"{where} field formula.kind",
                    f"{kpi.formula.kind} works on source {kind.source}, not {kpi.source}",
                )
            )
        try:
            kpi._params = kind.params.model_validate(kpi.formula.params)
        except ValidationError as exc:
            _pydantic_problems(exc, file, f"{where} formula.params", problems)
    if source is not None:
        known = set(source.column_names)
        for column in kpi.breakdowns:
            if column not in known:
                problems.append(
                    Problem(file, f"{where} field breakdowns", f"column {column!r} is not in source {kpi.source}")
                )
        if kpi.params is not None:
            for column in sorted(kpi.params.columns() - known):
                problems.append(
                    Problem(file, f"{where} field formula", f"column {column!r} is not in source {kpi.source}")
                )
            for column in sorted(kpi.params.numeric_columns() & known):
                if source.column(column).kind == "text":
                    problems.append(
                        Problem(
                            file,
                            f"{where} field formula.params",
                            f"column {column!r} of source {kpi.source} is text; the formula needs numbers",
                        )
                    )
            for condition in kpi.params.conditions():
                col = source.column(condition.column)
                if col is None:
                    continue
                if condition.op in (">=", "<=", ">", "<") and col.kind == "text":
                    problems.append(
                        Problem(
                            file, f"{where} field formula.params", f"{condition.op} on text column {condition.column!r}"
                        )
                    )
                # a number compared with a text column (or text with a number column) matches no row
                mismatched = [v for v in condition.values if isinstance(v, str) != (col.kind == "text")]
                if mismatched:
                    kind = "text" if col.kind == "text" else "numbers"
                    problems.append(
                        Problem(
                            file,
                            f"{where} field formula.params",
                            f"{mismatched[0]!r} compared with column {condition.column!r}, which holds {kind}",
                        )
                    )
                if col.allowed is not None:
                    unknown = [v for v in condition.values if v not in col.allowed]
                    if unknown:
                        allowed = ", ".join(sorted(col.allowed))
                        problems.append(
                            Problem(
                                file,
                                f"{where} field formula.params",
                                f"{unknown[0]!r} never occurs in column {condition.column!r} (values: {allowed})",
                            )
                        )
    if people is not None and people.person(kpi.pic) is None:
        problems.append(Problem(file, f"{where} field pic", f"{kpi.pic!r} is not among the people in {PEOPLE_FILE}"))
    problems.extend(_check_target(kpi, kpi.target, kpi.warning, file, where))


def _check_revisions(
    revisions: list[Revision], kpis: dict[str, Kpi], people: People | None, file: str, problems: list[Problem]
) -> None:
    if not revisions:
        problems.append(Problem(file, "revisions", "at least revision 1 is required (§7 change log)"))
        return
    for i, rev in enumerate(revisions):
        where = f"revision {rev.rev}"
        if rev.rev != i + 1:
            problems.append(
                Problem(
                    file,
                    f"{where} field rev",
                    f"revisions must be numbered 1, 2, 3 … in order; expected {i + 1}",
                )
            )
        if i and rev.effective_from <= revisions[i - 1].effective_from:
            previous = revisions[i - 1]
            what = (
                f"{rev.effective_from} overlaps revision {previous.rev} (effective {previous.effective_from}): "
                "each revision must start later"
            )
            problems.append(Problem(file, f"{where} field effective_from", what))
        if people is not None and people.person(rev.author) is None:
            problems.append(
                Problem(file, f"{where} field author", f"{rev.author!r} is not among the people in {PEOPLE_FILE}")
            )
    # apply the changes in order and check every resulting target
    current = {k.id: (k.target, k.warning) for k in kpis.values()}
    for rev in revisions:
        for j, change in enumerate(rev.changes):
            where = f"revision {rev.rev} changes[{j}]"
            kpi = kpis.get(change.kpi)
            if kpi is None:
                problems.append(Problem(file, f"{where} field kpi", f"unknown KPI {change.kpi!r}"))
                continue
            if kpi.introduced_in >= rev.rev:
                problems.append(
                    Problem(
                        file,
                        f"{where} field kpi",
                        f"KPI {change.kpi!r} is introduced in revision {kpi.introduced_in}",
                    )
                )
            if change.target is None and change.warning is None:
                problems.append(Problem(file, where, "a change must set target and/or warning"))
                continue
            target, warning = current[kpi.id]
            target = change.target if change.target is not None else target
            warning = change.warning if change.warning is not None else warning
            problems.extend(_check_target(kpi, target, warning, file, where))
            current[kpi.id] = (target, warning)
    for kpi in kpis.values():
        if kpi.introduced_in > len(revisions):
            problems.append(
                Problem(
                    file,
                    f"KPI {kpi.id!r} field introduced_in",
                    f"revision {kpi.introduced_in} does not exist",
                )
            )


def check_register(directory: Path | None = None) -> tuple[Register | None, list[Problem]]:
    """Load ``people.yaml`` and ``register.yaml``; return the register (None if broken) and problems."""
    directory = directory or rules_dir()
    problems: list[Problem] = []
    people_path, register_path = directory / PEOPLE_FILE, directory / REGISTER_FILE
    pfile, rfile = _shown(people_path), _shown(register_path)
    people_data = _load_yaml(people_path, problems)
    register_data = _load_yaml(register_path, problems)

    people = _validate(People, people_data, pfile, "people", problems) if people_data is not None else None
    if people is not None:
        _check_people(people, pfile, problems)
    if register_data is None:
        return None, problems
    for key in sorted(set(register_data) - {"revisions", "kpis"}):
        problems.append(Problem(rfile, key, "unknown section (expected: revisions, kpis)"))

    raw_kpis = register_data.get("kpis")
    if not isinstance(raw_kpis, list) or not raw_kpis:
        problems.append(Problem(rfile, "kpis", "must be a non-empty list of KPI entries"))
        raw_kpis = []
    kpis: dict[str, Kpi] = {}
    for i, item in enumerate(raw_kpis):
        entry_id = item.get("id") if isinstance(item, dict) else None
        entry = f"KPI {entry_id!r}" if entry_id else f"KPI #{i + 1}"
        kpi = _validate(Kpi, item, rfile, entry, problems)
        if kpi is None:
            continue
        if kpi.id in kpis:
            problems.append(
                Problem(
                    rfile,
                    f"KPI {kpi.id!r} field id",
                    f"duplicate KPI id (entries #{list(kpis).index(kpi.id) + 1} and #{i + 1})",
                )
            )
            continue
        _check_kpi(kpi, people, rfile, problems)
        kpis[kpi.id] = kpi

    raw_revisions = register_data.get("revisions")
    revisions: list[Revision] = []
    if not isinstance(raw_revisions, list):
        problems.append(Problem(rfile, "revisions", "must be a list of revisions (§7 change log)"))
    else:
        for i, item in enumerate(raw_revisions):
            rev_no = item.get("rev") if isinstance(item, dict) else None
            rev = _validate(
                Revision, item, rfile, f"revision {rev_no if rev_no is not None else f'#{i + 1}'}", problems
            )
            if rev is not None:
                revisions.append(rev)
        _check_revisions(revisions, kpis, people, rfile, problems)

    from kawal.register.procedure import Procedure, check_procedure

    checked, procedure_problems = check_procedure(directory)
    procedure = checked or Procedure()
    problems.extend(Problem(_shown(directory / "procedure.yaml"), where, what) for where, what in procedure_problems)
    from kawal.site import SITE_FILE, Site, load_site

    site, sfile = Site(), _shown(directory / SITE_FILE)
    try:
        site = load_site(directory)
    except KawalError as exc:
        problems.append(Problem(sfile, "(file)", _one_line(str(exc).split(": ", 1)[-1])))
    for kpi_id in site.opt_in_kpis:
        if kpi_id not in kpis:
            problems.append(Problem(sfile, "opt_in_kpis", f"{kpi_id!r} is not a KPI of {rfile}"))
        elif not kpis[kpi_id].opt_in:
            problems.append(Problem(sfile, "opt_in_kpis", f"{kpi_id!r} is not opt-in: it is always reported"))
    if problems or people is None:
        return None, problems
    applicable = [k for k in kpis.values() if site.uses(k.source) and (not k.opt_in or k.id in site.opt_in_kpis)]
    return (
        Register(
            people=people,
            kpis=applicable,
            revisions=revisions,
            procedure=procedure,
            site=site,
            not_applicable=[k for k in kpis.values() if k not in applicable],
        ),
        problems,
    )


#: the last register loaded, keyed by the folder and the bytes of its files: every task of a DagRun
#: (and every day of a backfill, all in one process) loads it, and parsing its YAML costs ~0.1 s
_LOADED: dict[tuple[str, str], Register] = {}


def load_register(directory: Path | None = None) -> Register:
    """The register, or a :class:`KawalError` with its first problem (``kawal rules check`` lists all).
    The same files give the same (cached) register; any change to one of them reloads it."""
    directory = directory or rules_dir()
    files = [directory / name for name in (PEOPLE_FILE, REGISTER_FILE, "procedure.yaml", "site.yaml")]
    key = (str(directory), content_key(files))
    if key in _LOADED:
        return _LOADED[key]
    register, problems = check_register(directory)
    if register is None:
        more = f" (and {len(problems) - 1} more problem(s): run `kawal rules check`)" if len(problems) > 1 else ""
        raise KawalError(f"{problems[0]}{more}")
    _LOADED.clear()
    _LOADED[key] = register
    return register
