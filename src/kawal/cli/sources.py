"""``kawal sources check MAPPING FILE``: dry-run a mapping on an export before it goes live."""

from __future__ import annotations

from pathlib import Path

import click

from kawal.cli.context import today
from kawal.errors import KawalError, SourceFileError
from kawal.redaction import header_cell


@click.group("sources")
def sources() -> None:
    """Canonical sources and the mappings that feed them from vendor exports."""


@sources.command("columns")
@click.argument("source", required=False)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="write the markdown here")
def columns(source: str | None, out: Path | None) -> None:
    """The canonical columns of SOURCE (or of every source): required, optional, kind, meaning —
    from the source catalogue (kawal.sources). --out writes docs/sources.md."""
    from kawal.sources import SOURCES, catalogue_markdown, source_spec

    if out is not None:
        from kawal.records.folders import outside_record_folders

        outside_record_folders(out)  # never over a record (ISO 9001 §7.5.3.2)
        out.write_text(catalogue_markdown() + "\n", encoding="utf-8")
        click.echo(f"wrote {out}")
        return
    for spec in [source_spec(source)] if source else SOURCES.values():
        click.echo(f"{spec.name}: {spec.description}")
        for c in spec.columns:
            flags = ("optional" if c.optional else "required") + (
                ", unknown when blank" if c.unknown_when_blank else ""
            )
            click.echo(f"  {c.name:<24} {c.kind:<7} {flags:<32} {c.description}")


@sources.command("check")
@click.argument("mapping", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("export", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--day",
    type=click.DateTime(["%Y-%m-%d"]),
    help="business day of the export: its timestamps must fall on it; for a SQL source, the day to extract into EXPORT",
)
def check(mapping: Path, export: Path, day: object) -> None:
    """Map EXPORT with MAPPING (a mappings/*.yaml file): what mapped, what failed, the KPIs it gives,
    and the source's Great Expectations suite on the result. Nothing is stored."""
    from kawal.checks.suites import validate_delivery
    from kawal.ingest.mapping import apply_mapping, load_mapping, read_export, read_mapped
    from kawal.kpis.day import kpi_day_rows
    from kawal.register import load_register
    from kawal.sources import SOURCES

    m = load_mapping(mapping)
    business_day = day.date() if day is not None else None  # type: ignore[attr-defined]
    if m.sql is not None and business_day is not None:
        from kawal.ingest.extract import extract_day

        try:
            extract_day(m, business_day, export)
        except SourceFileError as exc:
            click.echo(f"FAILED: {exc}")
            raise SystemExit(1) from None
        click.echo(f"extracted {business_day} from the database into {export}")
    if not export.is_file():
        raise KawalError(f"{export}: no such file")
    try:
        raw = read_export(m, export)
    except SourceFileError as exc:
        click.echo(f"FAILED: {exc}")
        raise SystemExit(1) from None
    click.echo(f"mapping {m.name}: {export.name} → canonical source {m.source}")
    spec = SOURCES[m.source]
    optional = [c.name for c in spec.columns if c.optional]
    click.echo(
        f"  canonical columns: required {', '.join(spec.required_columns)}; optional {', '.join(optional) or '—'}"
        f"  (kawal sources columns {m.source})"
    )
    # a header's names only when the first line is evidently a header (kawal.redaction, issue #17)
    is_header = bool(set(map(str, raw.columns)) & m.vendor_columns())
    names = (
        ", ".join(map(header_cell, raw.columns))
        if is_header
        else "not quoted (the first line names none the mapping reads)"
    )
    click.echo(f"  {len(raw)} row(s) read, {len(raw.columns)} column(s): {names}")
    for column, rule in m.columns.items():
        origin = rule.origin_text()
        how = ", ".join(
            x
            for x in (
                f"map {len(rule.map)} value(s)" if rule.map else "",
                f"duration {rule.duration}" if rule.duration else "",
                f"timestamp {rule.timestamp}" if rule.timestamp else "",
                "keyed hash" if rule.pseudonymise else "",
            )
            if x
        )
        click.echo(f"  {column:<15} ← {origin}" + (f"  ({how})" if how else ""))
    unused = sorted(set(map(str, raw.columns)) - m.vendor_columns())
    if unused and is_header:
        click.echo(f"  not read (dropped, never stored): {', '.join(map(header_cell, unused))}")
    try:
        kept = len(apply_mapping(m, raw, export))
        rows = read_mapped(m, export, business_day)
    except SourceFileError as exc:
        click.echo(f"FAILED: {exc}")
        raise SystemExit(1) from None
    click.echo(f"  {kept} row(s) after filters, all valid")
    from kawal.ingest.delivery import sha256_of

    suite = validate_delivery(m.source, rows, sha256_of(export))
    verdict = "all met" if suite.success else f"FAILED: {suite.problem()}"
    click.echo(f"GX suite {m.source}: {suite.evaluated} expectation(s), {verdict}")
    register = load_register()
    kpis = register.for_source(m.source)
    click.echo(f"KPI components this export gives ({len(kpis)} KPI(s), overall):")
    values = kpi_day_rows(kpis, rows, business_day or today(), None)
    for row in values:
        if row.scope == "all":
            kpi = register.kpi(row.kpi_id)
            value = "—" if row.value is None else f"{row.value:.6g} {kpi.unit.label_id}"
            click.echo(f"  {row.kpi_id:<24} {row.numerator:>14g} / {row.denominator:<12g} = {value}")
    from kawal.checks.plausibility import interaction_counts, warnings

    counts = None
    if m.source == "interactions" and not rows.empty:
        scr = [k for k in kpis if k.formula.kind == "success_call_ratio"]
        counts = interaction_counts(rows, *(k.params.short_abandon_s for k in scr[:1]))
        click.echo("Counts:")
        for line in counts.lines():
            click.echo(f"  {line}")
    for line in warnings(counts, values, {k.id: k.name_en for k in kpis}):
        click.echo(f"WARNING: {line}")
