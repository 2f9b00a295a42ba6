"""``kawal``: the command line for data engineers, managers' assistants and scripts.

A user mistake prints one line ``kawal: <what is wrong>`` and exits 2; never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kawal.errors import KawalError


class _Group(click.Group):
    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except KawalError as exc:
            click.echo(f"kawal: {exc}", err=True)
            sys.exit(2)


def _month(_ctx: click.Context, _param: click.Parameter, value: str | None):  # type: ignore[no-untyped-def]
    from kawal.periods import parse_month

    if value is None:
        return None
    try:
        return parse_month(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group(cls=_Group)
@click.version_option(package_name="kawal")
def main() -> None:
    """Kawal — pengawalan KPI contact center (KPI management on Apache Airflow)."""


@main.command("demo-data")
@click.option("--month", required=True, callback=_month, help="month to generate, YYYY-MM")
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
    """Write one realistic interactions file per day of MONTH into OUT/interactions/."""
    from kawal.demo.interactions import write_month

    paths = write_month(
        month,
        out,
        seed=seed,
        calls_per_day=calls_per_day,
        progress=lambda d, n, kind: click.echo(
            f"{d}  {n:>7} rows" + (f"  (planted: {kind})" if kind else "")
        ),
    )
    click.echo(f"{len(paths)} files in {out / 'interactions'}")


@main.command("demo")
@click.option("--month", default="2026-10", show_default=True, callback=_month, help="demo month, YYYY-MM")
@click.option("--seed", default=42, show_default=True)
@click.option("--calls-per-day", default=4000, show_default=True, type=click.IntRange(1, 1_000_000))
def demo(month, seed: int, calls_per_day: int) -> None:  # type: ignore[no-untyped-def]
    """Generate a demo month and run the daily DAG for each of its days under real Airflow."""
    from kawal.demo.run import run_demo
    from kawal.settings import kawal_home

    sys.exit(
        run_demo(month, kawal_home=kawal_home(), seed=seed, calls_per_day=calls_per_day, echo=click.echo)
    )


@main.group("kpi")
def kpi() -> None:
    """KPI values in the store."""


@kpi.command("month")
@click.option("--month", required=True, callback=_month, help="YYYY-MM")
@click.option("--scope", default="all", show_default=True, help="'all' or e.g. 'channel=voice'")
def kpi_month(month, scope: str) -> None:  # type: ignore[no-untyped-def]
    """Print the month's Performance KPIs per day and for the month."""
    from kawal.kpis.summary import month_table, render_month_table
    from kawal.register import load_register
    from kawal.store import engine_for

    table = month_table(engine_for(), load_register().for_source("interactions"), month, scope)
    click.echo(render_month_table(table))


@main.group("db")
def db() -> None:
    """Kawal's store."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (they also run automatically on first use)."""
    from kawal.settings import store_url
    from kawal.store import engine_for

    engine_for()
    click.echo(f"store at newest schema: {store_url()}")
