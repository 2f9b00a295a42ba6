"""``kawal checks suites|docs``: the GX suites of the canonical sources and their Data Docs."""

from __future__ import annotations

import click


@click.group("checks")
def checks() -> None:
    """Validation of deliveries: Great Expectations suites and Data Docs."""


@checks.command("suites")
def suites() -> None:
    """Rewrite great_expectations/gx/ (suites, validation definitions) from the canonical layouts;
    commit the result. Run after changing a layout in kawal.sources."""
    from kawal.checks.suites import gx_root, write_suites

    names = write_suites()
    click.echo(f"{len(names)} suite(s) written to {gx_root() / 'gx'}: {', '.join(names)}")


@checks.command("docs")
def docs() -> None:
    """Build Data Docs from every stored validation result into $KAWAL_HOME/gx-docs/."""
    from kawal.checks.suites import build_data_docs

    click.echo(f"Data Docs: {build_data_docs()}")
