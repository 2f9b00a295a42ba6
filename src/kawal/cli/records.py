"""``kawal records …`` (retention, disposal, legal holds, disposal log) and ``kawal audit-pack MONTH``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from kawal.cli.context import date_option, store_context, today


@click.group("records")
def records() -> None:
    """Records (§6): retention table, expired records, disposal with its log, legal holds."""


@records.command("retention")
def retention() -> None:
    """The retention table (kpi_rules/retention.yaml)."""
    from kawal.records.retention import load_retention

    table = load_retention()
    click.echo(f"masa simpan dihitung dari: {table.count_from.value}")
    for name, rule in table.record_types.items():
        mode = "" if rule.dispose else "  (pemusnahan manual)"
        click.echo(f"{name:<18} {rule.years} tahun{mode}  {rule.description}")


@records.command("list")
@click.option(
    "--as-of", callback=date_option, default=None, help="judge expiry on this day (YYYY-MM-DD); default today"
)
@click.option("--expired", is_flag=True, help="only records past their retention period")
def list_records(as_of: date | None, expired: bool) -> None:
    """Every record Kawal holds, with the day it may be disposed of."""
    from sqlalchemy.orm import Session

    from kawal.records.disposal import active_holds, holds_on, inventory
    from kawal.records.retention import load_retention

    table = load_retention()
    register, engine = store_context()
    day = as_of or today()
    with Session(engine) as s:
        holds = active_holds(s)
        rows = inventory(s, register)
    for r in rows:
        until = table.retain_until(r.record_type, r.record_date)
        if expired and until > day:
            continue
        held = holds_on(r, holds)
        flag = "kedaluwarsa" if until <= day else "disimpan"
        if held:
            flag += f", legal hold {', '.join(map(str, held))}"
        click.echo(f"{r.record_type:<18} {r.ref:<52} sampai {until}  {flag}")


@records.command("dispose")
@click.option("--as-of", callback=date_option, default=None, help="judge expiry on this day; default today (site time)")
@click.option("--dry-run", is_flag=True, help="list what would be disposed of; change nothing")
@click.option(
    "--as",
    "person",
    default=None,
    help="person id disposing: the Accountable or one of retention.yaml disposal_by (required unless --dry-run)",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def dispose(as_of: date | None, dry_run: bool, person: str | None, fmt: str) -> None:
    """Dispose of expired records (legal holds honoured), one disposal-log entry each."""
    from kawal.records.disposal import dispose_expired
    from kawal.records.retention import load_retention, may_dispose

    register, engine = store_context()
    table = load_retention(register=register)
    if not dry_run:  # ISO 9001 §7.5.3.2: disposition is the Accountable's (or whom the table names)
        may_dispose(table, register, person, "dispose of records for real")
    result = dispose_expired(engine, register, as_of or today(), dry_run=dry_run, actor=person or "kawal", table=table)
    if fmt == "json":
        click.echo(json.dumps(result.summary(), indent=2, ensure_ascii=False))
        return
    verb = {
        "dispose": "akan dimusnahkan" if dry_run else "dimusnahkan",
        "held": "legal hold",
        "manual": "manual",
        "in_use": "dipakai pipeline",
        "unapproved": "menunggu sign-off",
        "changed": "berubah",
    }
    for d in result.decisions:
        extra = f" (hold {', '.join(map(str, d.holds))})" if d.holds else (f" ({d.in_use})" if d.in_use else "")
        click.echo(f"{verb[d.action]:<16} {d.record.record_type:<18} {d.record.ref}  sampai {d.retain_until}{extra}")
    s = result.summary()
    click.echo(
        f"{'DRY RUN — ' if dry_run else ''}{s['expired']} kedaluwarsa per {s['as_of']}: {s['to_dispose']} untuk "
        f"dimusnahkan, {s['held']} ditahan legal hold, {s['manual']} manual, {s['in_use']} dipakai pipeline; "
        f"{s['disposed']} dimusnahkan"
    )


def _month(value: str) -> date:
    from kawal.periods import parse_month

    try:
        return parse_month(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@records.command("signoff")
@click.argument("month", metavar="YYYY-MM")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def signoff(month: str, fmt: str) -> None:
    """The month's disposal list awaiting (or given) sign-off: its records, digest, deadline, decision."""
    from sqlalchemy.orm import Session

    from kawal.records.signoff import _find, summary

    first = _month(month)
    _register, engine = store_context()
    with Session(engine) as s:
        shown = summary(_find(s, first), first)
    if fmt == "json":
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    if shown["state"] == "nothing":
        click.echo(f"no disposal list proposed for {month}")
        return
    for r in shown["records"]:
        click.echo(f"{r['type']:<18} {r['ref']:<52} sampai {r['retain_until']}  sha256 {r['evidence_sha256'][:16]}…")
    decided = f" by {shown['decided_by']} at {shown['decided_at']}" if shown["decided_by"] else ""
    click.echo(
        f"{shown['record_count']} rekaman, digest {shown['digest']}; {shown['state']}{decided}; "
        f"batas {shown['due_at']}" + (f"; {shown['note']}" if shown["note"] else "")
    )


@records.command("approve-disposal")
@click.argument("month", metavar="YYYY-MM")
@click.option("--as", "person", required=True, help="the Accountable or one of retention.yaml disposal_by")
@click.option("--digest", default=None, help="the list's digest as you reviewed it (≥ 8 characters): refused if not")
def approve_disposal(month: str, person: str, digest: str | None) -> None:
    """Approve the month's proposed disposal list: the retention run then disposes of exactly it."""
    from kawal.records.signoff import decide

    register, engine = store_context()
    out = decide(engine, register, _month(month), person, approve=True, digest=digest)
    click.echo(
        f"disposal list {out['month']} ({out['record_count']} records, digest {out['digest'][:12]}…) "
        f"approved by {person}"
    )


@records.command("reject-disposal")
@click.argument("month", metavar="YYYY-MM")
@click.option("--as", "person", required=True, help="the Accountable or one of retention.yaml disposal_by")
@click.option("--reason", required=True, help="why: the list is wrong, a legal hold is missing …")
def reject_disposal(month: str, person: str, reason: str) -> None:
    """Reject the month's proposed disposal list: nothing of it is disposed of."""
    from kawal.records.signoff import decide

    register, engine = store_context()
    out = decide(engine, register, _month(month), person, approve=False, reason=reason)
    click.echo(f"disposal list {out['month']} rejected by {person}: nothing is disposed of")


@records.command("hold")
@click.option("--type", "record_type", required=True, help="record type of the retention table, or '*'")
@click.option("--ref", "ref_pattern", required=True, help="a record's ref or a pattern, e.g. 'ticket-3', '2023-*'")
@click.option("--reason", required=True)
@click.option("--as", "person", required=True, help="person id placing the hold")
def hold(record_type: str, ref_pattern: str, reason: str, person: str) -> None:
    """Place a legal hold: matching records are not disposed of, whatever their age."""
    from kawal.records.disposal import place_hold
    from kawal.store import session_scope

    register, engine = store_context()
    with session_scope(engine) as s:
        h = place_hold(s, register, person, record_type, ref_pattern, reason)
        click.echo(f"legal hold {h.id}: {h.record_type} {h.ref_pattern}")


@records.command("release")
@click.argument("hold_id", type=int)
@click.option("--as", "person", required=True, help="the Accountable or one of retention.yaml disposal_by")
def release(hold_id: int, person: str) -> None:
    """Release a legal hold (as a real disposal: the Accountable's, or whom retention.yaml names)."""
    from kawal.records.disposal import release_hold
    from kawal.store import session_scope

    register, engine = store_context()
    with session_scope(engine) as s:
        h = release_hold(s, register, hold_id, person)
        click.echo(f"legal hold {h.id} dilepas oleh {h.released_by}")


@records.command("holds")
def holds() -> None:
    """Legal holds in force."""
    from sqlalchemy.orm import Session

    from kawal.records.disposal import active_holds

    _register, engine = store_context()
    with Session(engine) as s:
        found = active_holds(s)
    for h in found:
        click.echo(f"{h.id:>4}  {h.record_type:<18} {h.ref_pattern:<24} oleh {h.placed_by}: {h.reason}")
    if not found:
        click.echo("tidak ada legal hold yang berlaku")


@records.command("log")
def log() -> None:
    """The disposal log: what was disposed of, when, why, with its checksum."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from kawal.settings import in_site_time
    from kawal.store.models import DisposalLog

    _register, engine = store_context()
    with Session(engine) as s:
        entries = s.scalars(select(DisposalLog).order_by(DisposalLog.id)).all()
    for e in entries:
        click.echo(
            f"{e.id:>5} {in_site_time(e.disposed_at):%Y-%m-%d %H:%M} {e.record_type:<18} {e.ref}  sha256 "
            f"{e.checksum_sha256[:16]}…  oleh {e.actor}: {e.reason}"
        )
    if not entries:
        click.echo("belum ada rekaman yang dimusnahkan")


@records.command("verify-log")
def verify_log() -> None:
    """Check the disposal log's hash chain: names the first row changed, or following a removed one (exit 1)."""
    import sys

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from kawal.records.log_chain import verify_chain
    from kawal.store.models import DisposalLog

    _register, engine = store_context()
    columns = DisposalLog.__table__.c
    with Session(engine) as s:
        rows = [dict(r) for r in s.execute(select(DisposalLog.__table__).order_by(columns.id)).mappings()]
    checked, problem = verify_chain(rows)
    if problem:
        click.echo(problem)
        sys.exit(1)
    click.echo(f"disposal log OK: {checked} rows, hash chain intact")


@records.command("verify-pack")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--without-store",
    is_flag=True,
    help="check the pack against its own manifest only (an auditor's copy away from the store): "
    "a pack forged with its manifest fixed up passes this",
)
def verify_pack(path: Path, without_store: bool) -> None:
    """Check an audit pack against its manifest and the store: the pack as Kawal wrote it, every
    delivered PDF and its proof as the delivery records have them (exit 1 on any difference)."""
    import sys

    from kawal.records.audit_pack import verify_audit_pack

    engine = None if without_store else store_context()[1]
    problems = verify_audit_pack(path, engine)
    for p in problems:
        click.echo(p)
    if problems:
        sys.exit(1)
    if without_store:
        click.echo(f"{path}: manifest OK (not checked against the store: --without-store)")
    else:
        click.echo(f"{path}: manifest OK, checked against the store (written by Kawal, deliveries as recorded)")


@click.command("audit-pack")
@click.argument("month", metavar="YYYY-MM")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="zip path")
def audit_pack(month: str, out: Path | None) -> None:
    """Write the audit evidence pack of MONTH (report, delivery proof, minutes, defects, validation, register)."""
    from kawal.periods import parse_month
    from kawal.records.audit_pack import build_audit_pack

    try:
        first = parse_month(month)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if out is not None:  # never over a delivered report or any other record (§7.5.3.2)
        from kawal.records.folders import outside_record_folders

        outside_record_folders(out)
    register, engine = store_context()
    pack = build_audit_pack(engine, register, first, out)
    click.echo(f"wrote {pack.path} ({len(pack.manifest['files'])} files)")
    for line in pack.manifest["absent"]:
        click.echo(f"  tidak ada: {line}")
