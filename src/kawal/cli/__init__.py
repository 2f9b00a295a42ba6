"""``kawal``: the command line for data engineers, managers' assistants and scripts.

A user mistake prints one line ``kawal: <what is wrong>`` and exits 2; never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kawal.cli.context import date_option, month_option
from kawal.errors import KawalError


class _Group(click.Group):
    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except KawalError as exc:
            click.echo(f"kawal: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.version_option(package_name="kawal")
def main() -> None:
    """Kawal — pengawalan KPI contact center (KPI management on Apache Airflow)."""
    import logging

    # The commands print their own results; Kawal's INFO log lines are for task logs, not the terminal.
    logging.getLogger("kawal").setLevel(logging.WARNING)


@main.command("demo-data")
@click.option("--month", required=True, callback=month_option, help="month to generate, YYYY-MM")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="landing folder")
@click.option("--seed", default=42, show_default=True, help="same seed → byte-identical files")
@click.option(
    "--calls-per-day",
    default=4000,
    show_default=True,
    type=click.IntRange(1, 20_000_000),
    help="average interactions per weekday (weekends are quieter)",
)
def demo_data(month, out: Path, seed: int, calls_per_day: int) -> None:  # type: ignore[no-untyped-def]
    """Write one file per day of MONTH for every canonical source into OUT/<source>/ (never over a
    landing file, nor into the landing folder for a day already loaded)."""
    from kawal.demo.sources import plan_month, refuse_overwriting_records, write_demo_month

    refuse_overwriting_records(month, out)
    plan = plan_month(month, seed)

    def progress(source: str, day, n: int) -> None:  # type: ignore[no-untyped-def]
        if source == "interactions":
            kind = plan.interaction_kind(day)
            click.echo(f"{day}  {n:>7} interactions" + (f"  (planted: {kind})" if kind else ""))

    paths = write_demo_month(month, out, seed=seed, calls_per_day=calls_per_day, progress=progress)
    for source, files in paths.items():
        click.echo(f"{len(files)} files in {out / source}")


@main.command("demo")
@click.option("--month", default="2026-10", show_default=True, callback=month_option, help="demo month, YYYY-MM")
@click.option("--seed", default=42, show_default=True)
@click.option("--calls-per-day", default=4000, show_default=True, type=click.IntRange(1, 1_000_000))
def demo(month, seed: int, calls_per_day: int) -> None:  # type: ignore[no-untyped-def]
    """Generate a demo month and run the daily DAG for each of its days under real Airflow."""
    from kawal.demo.run import run_demo
    from kawal.settings import kawal_home

    sys.exit(run_demo(month, kawal_home=kawal_home(), seed=seed, calls_per_day=calls_per_day, echo=click.echo))


# --- the register -------------------------------------------------------------------------------


@main.group("rules")
def rules() -> None:
    """The KPI register in kpi_rules/ (KAWAL_RULES_DIR)."""


@rules.command("check")
def rules_check() -> None:
    """Validate the register; one line per problem, exit status 1 when there is any."""
    from kawal.ingest.mapping import active_mapping_problems
    from kawal.register import check_register

    register, problems = check_register()
    problems = [*problems, *active_mapping_problems()]  # the daily DAG loads them too (issue #17)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) found", err=True)
        sys.exit(1)
    assert register is not None
    revision = register.revisions[-1]
    click.echo(
        f"register OK: {len(register.kpis)} KPIs in {len({k.category for k in register.kpis})} categories, "
        f"{len(register.people.people)} people, revision {revision.rev} (effective {revision.effective_from})"
    )
    site = register.site
    click.echo(
        f"site {site.name!r}: business day in {site.timezone}, {len(site.sources)} source(s) "
        f"({', '.join(site.sources)}), history from {site.history_starts}"
    )
    for k in register.not_applicable:
        click.echo(f"  not applicable: {k.id} — {register.why_not_applicable(k.id)}")


@rules.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--on", "on", default=None, help="judge targets as in force on this date (YYYY-MM-DD); default today")
def rules_list(fmt: str, on: str | None) -> None:
    """The register as the pipeline sees it (targets as in force on a date)."""
    import json
    from datetime import date

    from kawal.cli.context import today
    from kawal.register import load_register

    register = load_register()
    try:
        day = date.fromisoformat(on) if on else today()
    except ValueError:
        raise KawalError(f"--on {on!r} is not a date YYYY-MM-DD") from None
    entries = []
    for k in register.kpis:
        target = register.target_on(k.id, day)
        entries.append(
            {
                **k.model_dump(mode="json", exclude={"definition"}),
                "formula": {"kind": k.formula.kind, "params": k.params.model_dump(mode="json")},
                "target_in_force": None
                if target is None
                else {"target": target.value, "warning": target.warning, "revision": target.rev},
            }
        )
    revision = register.revision_in_force(day)
    if fmt == "json":
        doc = {
            "as_of": day.isoformat(),
            "revision": revision.rev if revision else None,
            "kpis": entries,
            "accountable": register.people.accountable,
            "consulted": register.people.consulted,
            "data_engineering": register.people.data_engineering,
        }
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    click.echo(f"register as of {day} (revision {revision.rev if revision else '—'})")
    for e in entries:
        t = e["target_in_force"]
        shown = (
            "not in force"
            if t is None
            else f"target {t['target']:g}" + (f", warning {t['warning']:g}" if t["warning"] is not None else "")
        )
        click.echo(f"{e['id']:<26} {e['category']:<15} {e['scope']:<9} {e['unit']:<9} {shown}  PIC {e['pic']}")
    for k in register.not_applicable:
        click.echo(f"{k.id:<26} {k.category:<15} not applicable: {register.why_not_applicable(k.id)}")


@rules.command("history")
def rules_history() -> None:
    """The register's revisions (§7 change log), oldest first."""
    from kawal.register import load_register

    register = load_register()
    for rev in register.revisions:
        author = register.people.person(rev.author)
        click.echo(f"rev {rev.rev}  berlaku {rev.effective_from}  oleh {author.name if author else rev.author}")
        click.echo(f"       {rev.description}")
        for change in rev.changes:
            parts = [
                f"target → {change.target:g}" if change.target is not None else "",
                f"warning → {change.warning:g}" if change.warning is not None else "",
            ]
            click.echo(f"       - {change.kpi}: {', '.join(p for p in parts if p)}")


@rules.command("docs")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="write here instead of stdout",
)
def rules_docs(out: Path | None) -> None:
    """Generate docs/kpi-definitions.md from the register."""
    from kawal.register import load_register
    from kawal.register.docs import kpi_definitions_markdown

    text = kpi_definitions_markdown(load_register())
    if out:
        from kawal.records.folders import outside_record_folders

        outside_record_folders(out)  # never over the register it documents
        if not out.parent.is_dir():
            raise KawalError(f"--out {out}: folder {out.parent} does not exist")
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}")
    else:
        click.echo(text, nl=False)


# --- KPI values ---------------------------------------------------------------------------------


@main.group("kpi")
def kpi() -> None:
    """KPI values in the store."""


@kpi.command("month")
@click.option("--month", required=True, callback=month_option, help="YYYY-MM")
@click.option("--source", default="interactions", show_default=True, help="canonical source")
@click.option("--scope", default="all", show_default=True, help="'all' or e.g. 'channel=voice'")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
def kpi_month(month, source: str, scope: str, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """A source's KPIs per day and for the month (json/csv: every stored value at full precision, with
    its numerator, denominator, evaluation and why it is not evaluable)."""
    from kawal.kpis.summary import render_daily_table, render_stored_values
    from kawal.register import load_register
    from kawal.sources import source_spec
    from kawal.store import engine_for

    source_spec(source)  # an unknown source is one clear line, not an empty table
    if fmt != "text":
        click.echo(render_stored_values(engine_for(), load_register(), source, month, scope, fmt))
        return
    click.echo(render_daily_table(engine_for(), load_register(), source, month, scope))


@kpi.command("attainment")
@click.option("--month", required=True, callback=month_option, help="YYYY-MM")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
def kpi_attainment(month, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """Every KPI's month value against its target, by category (json/csv: full precision, with the
    numerator, denominator and day counts)."""
    from kawal.kpis.summary import month_attainment, range_totals, render_attainment, render_range
    from kawal.periods import days_of_month
    from kawal.register import load_register
    from kawal.store import engine_for

    register = load_register()
    if fmt != "text":
        click.echo(render_range(range_totals(engine_for(), register, month, days_of_month(month)[-1]), fmt))
        return
    click.echo(render_attainment(month_attainment(engine_for(), register, month), register, month))


@kpi.command("range")
@click.option("--from", "first", required=True, callback=date_option, help="first day, YYYY-MM-DD")
@click.option("--to", "last", required=True, callback=date_option, help="last day, YYYY-MM-DD")
@click.option("--scope", default="all", show_default=True, help="'all' or e.g. 'channel=voice'")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
def kpi_range(first, last, scope: str, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """Every KPI over any range (a quarter, a year): Σ numerator / Σ denominator of its days, the
    counts behind it, the target in force at its start, and why a value cannot be judged."""
    from kawal.kpis.summary import range_totals, render_range
    from kawal.register import load_register
    from kawal.store import engine_for

    if first > last:
        raise KawalError(f"--from {first} is after --to {last}")
    click.echo(render_range(range_totals(engine_for(), load_register(), first, last, scope), fmt))


def _register_subcommands() -> None:
    from kawal.cli.checks import checks
    from kawal.cli.defects import defects, notify
    from kawal.cli.report import report
    from kawal.cli.sources import sources

    main.add_command(defects)
    main.add_command(notify)
    main.add_command(report)
    main.add_command(sources)
    main.add_command(checks)

    from kawal.cli.history import backfill_cmd, import_cmd

    main.add_command(import_cmd)
    main.add_command(backfill_cmd)

    from kawal.cli.records import audit_pack, records
    from kawal.cli.review import review

    main.add_command(review)
    main.add_command(records)
    main.add_command(audit_pack)

    from kawal.cli.users import users

    main.add_command(users)


_register_subcommands()


@main.group("db")
def db() -> None:
    """Kawal's store."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (they also run automatically on first use)."""
    from kawal.settings import shown_url, store_url
    from kawal.store import engine_for

    engine_for()
    click.echo(f"store at newest schema: {shown_url(store_url())}")
