"""``kawal import`` and ``kawal backfill``: a site's history in (issue #16)."""

from __future__ import annotations

from pathlib import Path

import click

from kawal.cli.context import date_option


@click.command("import")
@click.argument("mapping", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("exports", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="supersede day files delivered with other content (kept beside)")
def import_cmd(mapping: Path, exports: tuple[Path, ...], replace: bool) -> None:
    """Split EXPORTS (a month, a quarter, a year of MAPPING's export) by business day into the landing
    folder, as the daily deliveries the DAG would have received; each written file is listed with
    its rows and SHA-256."""
    from kawal.ingest.history import import_export
    from kawal.ingest.mapping import load_mapping
    from kawal.settings import landing_dir

    m = load_mapping(mapping)
    written = import_export(m, list(exports), landing_dir(), replace=replace)
    for w in written:
        click.echo(f"{w.day}  {w.rows:>7} row(s)  {w.outcome:<9} {w.path}  sha256 {w.sha256[:16]}…")
    refused = [w for w in written if w.problem]
    for w in refused:
        click.echo(f"FLAGGED {w.day}: {w.problem}")
    counts = {o: sum(1 for w in written if w.outcome == o) for o in ("written", "unchanged", "replaced")}
    click.echo(
        f"{len(written)} day file(s) for {m.source} (mapping {m.name}), {written[0].day} … {written[-1].day}: "
        + ", ".join(f"{n} {o}" for o, n in counts.items() if n)
    )
    if refused:
        click.echo(
            f"{len(refused)} delivery(ies) the daily DAG will refuse (quarantine, data incident): "
            + ", ".join(str(w.day) for w in refused)
        )
    click.echo(f"next: kawal backfill --from {written[0].day} --to {written[-1].day}")


@click.command("backfill")
@click.option("--from", "first", required=True, callback=date_option, help="first business day, YYYY-MM-DD")
@click.option("--to", "last", required=True, callback=date_option, help="last business day, YYYY-MM-DD")
@click.option("--send-reports", is_flag=True, help="email the monthly report of each complete month (default: render)")
def backfill_cmd(first, last, send_reports: bool) -> None:  # type: ignore[no-untyped-def]
    """Run the real daily DAG for every day FROM..TO on the embedded default (a DagRun per day, breach
    mails held), then the month-end report of each complete month (rendered; emailed with
    --send-reports). Production: `airflow backfill create` (docs/onboarding-a-source.md)."""
    import sys

    from kawal.pipeline.backfill import check_range, run_backfill
    from kawal.settings import kawal_home

    check_range(first, last)  # a refused range says why before Airflow starts
    total = (last - first).days + 1
    bar = None

    def on_day(day, state, seconds, terminal):  # type: ignore[no-untyped-def]
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="kawal_daily_kpis", file=terminal, show_pos=True)
            bar.render_progress()
        if state != "success":
            click.echo(f"\n{day}: {state}", file=terminal)
        bar.update(1, current_item=day)

    summary = run_backfill(
        first,
        last,
        kawal_home=kawal_home(),
        send_reports=send_reports,
        on_day=on_day,
        on_wait=lambda line: click.echo(line, err=True),
    )
    if bar is not None:
        bar.render_finish()
    per_day = summary.seconds / max(summary.days, 1)
    click.echo(
        f"{summary.days} day(s) {first} … {last}: {len(summary.succeeded)} succeeded, {len(summary.failed)} failed "
        f"({summary.seconds:.0f} s, {per_day:.1f} s a day)"
    )
    for day, tasks in summary.failed.items():
        click.echo(f"  {day} failed: {', '.join(tasks)}  (the data incident names the file; kawal defects list)")
    for month, what in summary.reports.items():
        click.echo(f"  report {month}: {what}")
    if not summary.reports:
        click.echo("  no complete month in the range: no monthly report")
    click.echo(f"Data Docs: {summary.data_docs}")
    click.echo(f"Airflow's log: {kawal_home() / 'logs' / 'backfill-airflow.log'}")
    if summary.failed:
        sys.exit(1)
