"""``kawal report MONTH [--lang id|en] [--out FILE]`` renders on demand (nothing is sent);
``kawal report workbook MONTH --out FILE [--lang id|en]`` writes the month's KPI table as XLSX;
``kawal report send MONTH [--force --as PERSON]`` delivers (once, unless forced)."""

from __future__ import annotations

from pathlib import Path

import click

from kawal.errors import KawalError


class _ReportGroup(click.Group):
    """``kawal report 2026-10`` means ``kawal report render 2026-10``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["render", *args]
        return super().parse_args(ctx, args)


def _month(value: str):  # type: ignore[no-untyped-def]
    from kawal.periods import parse_month

    try:
        return parse_month(value)
    except ValueError as exc:
        raise KawalError(str(exc)) from None


@click.group("report", cls=_ReportGroup)
def report() -> None:
    """The monthly KPI report (Laporan Capaian KPI Bulanan)."""


@report.command("render")
@click.argument("month")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="PDF path")
def render_cmd(month: str, lang: str, out: Path | None) -> None:
    """Render MONTH's report to a PDF without sending it."""
    from kawal.register import load_register
    from kawal.reports.deliver import produce
    from kawal.store import engine_for

    first = _month(month)
    if out is not None:  # never over a delivered report or any other record (§7.5.3.2)
        from kawal.records.folders import outside_record_folders

        outside_record_folders(out)
    produced = produce(
        engine_for(), load_register(), first, lang=lang, out=out, stem=f"draf-laporan-kpi-{first:%Y-%m}-{lang}"
    )
    click.echo(f"{produced.pdf}  (SHA-256 {produced.sha256[:16]}…, context {produced.context.name})")
    if not produced.ctx.complete:
        click.echo("note: the month's data is incomplete; the report says so: " + "; ".join(produced.ctx.caveats))


@report.command("workbook")
@click.argument("month")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="XLSX path")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
def workbook_cmd(month: str, out: Path, lang: str) -> None:
    """Write MONTH's KPI table (the report's figures, per KPI and per breakdown) as an XLSX workbook."""
    import hashlib

    from kawal.records.folders import outside_record_folders
    from kawal.register import load_register
    from kawal.reports.workbook import month_workbook
    from kawal.store import engine_for

    first = _month(month)
    if out.suffix.lower() != ".xlsx":
        raise KawalError(f"--out {out.name}: the workbook is an .xlsx file")
    outside_record_folders(out)  # never over a delivered report's workbook or any other record (§7.5.3.2)
    data = month_workbook(engine_for(), load_register(), first, lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".xlsx.part")
    tmp.write_bytes(data)
    tmp.replace(out)
    click.echo(f"{out}  (SHA-256 {hashlib.sha256(data).hexdigest()[:16]}…)")


@report.command("send")
@click.argument("month")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
@click.option("--force", is_flag=True, help="send a new edition even though the month was delivered")
@click.option("--as", "person", default=None, help="who forces the re-send (person id), recorded")
def send_cmd(month: str, lang: str, force: bool, person: str | None) -> None:
    """Deliver MONTH's report to the Accountable (To) and the Consulted lists (Cc), once."""
    from kawal.register import load_register
    from kawal.reports.deliver import send_report
    from kawal.store import engine_for

    register = load_register()
    if force and (person is None or register.people.person(person) is None):
        raise KawalError(
            "--force needs --as PERSON (an id of kpi_rules/people.yaml): a re-send is recorded with who asked"
        )
    status = send_report(engine_for(), register, _month(month), lang=lang, force=force, forced_by=person)
    verb = "sent" if status.state == "sent" else f"queued ({status.state})"
    if not status.new:
        click.echo(
            f"{status.month} edition {status.edition} was already delivered: nothing sent (use --force to re-send)"
        )
    click.echo(f"{status.pdf}: {verb} at {status.sent_at or '—'}, Message-ID {status.message_id}")
    click.echo(f"  To: {status.to}")
    click.echo(f"  Cc: {status.cc}")
    click.echo(f"  SHA-256 {status.sha256}")
    if status.xlsx_sha256:
        click.echo(f"  SHA-256 {status.xlsx_sha256} (workbook)")
