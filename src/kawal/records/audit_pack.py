"""The audit evidence pack of a month: what an ISO 9001 auditor asks for, in one archive.

``kawal audit-pack MONTH`` writes ``audit-pack-YYYY-MM.zip`` with:

- ``laporan/``: the month's archived report (PDF + the JSON context it was rendered from) and
  ``bukti-pengiriman.json``, the delivery proof of each edition (recipients, time, Message-ID,
  SHA-256 of the PDF checked against the archived file) — §4.6, §5.4;
- ``risalah/``: the review minutes and addenda as PDF and JSON, with their frozen-content check — §5.5;
- ``defect/``: every defect ticket and data incident of the month with its full history (occurrences,
  events, recovery actions, notifications) — §5.3, ISO 9001 8.7/10.2;
- ``validasi/``: the month's ingestion batches with their validation results, and the GX Data Docs
  if present — objective evidence, §6;
- ``register/``: the register files and the revision in force for the month with its history — §7;
- ``MANIFEST.json``: every file's SHA-256 and size, and what was absent (stated, never hidden).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from kawal.errors import KawalError
from kawal.periods import days_of_month
from kawal.register import Register
from kawal.settings import in_site_time, kawal_home
from kawal.store.models import (
    DefectEvent,
    DefectOccurrence,
    DefectTicket,
    IngestionBatch,
    Notification,
    RecoveryAction,
    ReportDelivery,
    ReviewItem,
    ReviewMinutes,
)

MANIFEST = "MANIFEST.json"
#: Fixed entry times: the same content gives the same entries (the manifest carries the real time).
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class AuditPack:
    path: Path
    manifest: dict


def _json(data: object) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n").encode()


def _when(moment: datetime | None) -> str | None:
    return in_site_time(moment).strftime("%Y-%m-%d %H:%M:%S %Z") if moment else None


def _notification(n: Notification) -> dict:
    return {
        "id": n.id,
        "kind": n.kind,
        "subject": n.subject,
        "to": n.to_addrs,
        "cc": n.cc_addrs,
        "state": n.state,
        "created_at": _when(n.created_at),
        "sent_at": _when(n.sent_at),
        "message_id": n.message_id,
        "attempts": n.attempts,
        "attachment_sha256": n.attachment_sha256,
    }


def _ticket_history(s: Session, t: DefectTicket) -> dict:
    def parsed(text: str | None) -> object:
        try:
            return json.loads(text) if text else None
        except ValueError:
            return text

    return {
        "ticket": {
            "id": t.id,
            "kind": t.kind,
            "subject": t.subject,
            "scope": t.scope,
            "state": t.state,
            "severity": t.severity,
            "external": t.external,
            "responsible": t.responsible,
            "opened_on": t.opened_on,
            "notified_on": t.notified_on,
            "analysis_due": t.analysis_due,
            "root_cause": t.root_cause,
            "coordinated_with": t.coordinated_with,
            "recommendation": t.recommendation,
            "monitoring_since": t.monitoring_since,
            "repeat_flag": t.repeat_flag,
            "closed_at": _when(t.closed_at),
        },
        "occurrences": [
            {
                "period_type": o.period_type,
                "period_start": o.period_start,
                "value": o.value,
                "target": o.target,
                "register_rev": o.register_rev,
                "note": o.note,
            }
            for o in s.scalars(
                select(DefectOccurrence)
                .where(DefectOccurrence.ticket_id == t.id)
                .order_by(DefectOccurrence.period_start)
            )
        ],
        "events": [
            {
                "at": _when(e.at),
                "actor": e.actor,
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "details": parsed(e.details),
            }
            for e in s.scalars(select(DefectEvent).where(DefectEvent.ticket_id == t.id).order_by(DefectEvent.id))
        ],
        "recovery_actions": [
            {
                "kind": a.kind,
                "description": a.description,
                "owner": a.owner,
                "due_date": a.due_date,
                "done_on": a.done_on,
            }
            for a in s.scalars(
                select(RecoveryAction).where(RecoveryAction.ticket_id == t.id).order_by(RecoveryAction.id)
            )
        ],
        "notifications": [
            _notification(n)
            for n in s.scalars(select(Notification).where(Notification.ticket_id == t.id).order_by(Notification.id))
        ],
    }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_audit_pack(engine: Engine, register: Register, first: date, out: Path | None = None) -> AuditPack:
    """Write the month's audit pack (replacing an earlier one of the same name) and return its manifest."""
    from kawal.records.retention import RETENTION_FILE
    from kawal.review.minutes import verify_frozen
    from kawal.review.render import minutes_context, render_minutes_pdf
    from kawal.settings import rules_dir

    home = kawal_home()
    month = first.strftime("%Y-%m")
    last = days_of_month(first)[-1]
    out = out or home / "audit" / f"audit-pack-{month}.zip"
    if not out.parent.is_dir():
        if out.parent == home / "audit":
            out.parent.mkdir(parents=True)
        else:
            raise KawalError(f"--out {out}: folder {out.parent} does not exist")
    entries: dict[str, bytes] = {}
    absent: list[str] = []
    now = datetime.now(UTC)

    # --- the report and its delivery proof (§4.6, §5.4)
    report_dir = home / "reports" / month
    archived = sorted(p for p in report_dir.rglob("*") if p.is_file()) if report_dir.is_dir() else []
    for p in archived:
        entries[f"laporan/{p.relative_to(report_dir).as_posix()}"] = p.read_bytes()
    if not archived:
        absent.append(f"laporan: tidak ada laporan terarsip di {report_dir}")
    with Session(engine) as s:
        deliveries = []
        for d in s.scalars(
            select(ReportDelivery).where(ReportDelivery.month == first).order_by(ReportDelivery.edition)
        ):
            pdf = home / d.pdf_path
            n = s.get(Notification, d.notification_id)
            deliveries.append(
                {
                    "edition": d.edition,
                    "lang": d.lang,
                    "pdf": d.pdf_path,
                    "pdf_sha256": d.pdf_sha256,
                    "pdf_archived_matches": pdf.is_file() and _sha256(pdf.read_bytes()) == d.pdf_sha256,
                    "register_rev": d.register_rev,
                    "complete": d.complete,
                    "created_at": _when(d.created_at),
                    "forced_by": d.forced_by,
                    "email": _notification(n) if n else None,
                }
            )
            if not pdf.is_file():
                absent.append(f"laporan edisi {d.edition}: PDF {d.pdf_path} tidak ada lagi di arsip")
        if deliveries:
            entries["laporan/bukti-pengiriman.json"] = _json({"month": month, "deliveries": deliveries})
            if not any(x["email"] and x["email"]["state"] == "sent" for x in deliveries):
                absent.append("bukti pengiriman: email laporan belum terkirim (masih di outbox)")
        else:
            absent.append(f"bukti pengiriman: laporan {month} belum pernah dikirim (`kawal report send {month}`)")

        # --- the review minutes (§5.5)
        docs = list(
            s.scalars(select(ReviewMinutes).where(ReviewMinutes.month == first).order_by(ReviewMinutes.sequence))
        )
        if docs:
            ctx = minutes_context(s, register, first, in_site_time(now).date())
            for doc, m in zip(ctx["documents"], docs, strict=True):
                doc["frozen_content_intact"] = verify_frozen(s, m) if m.state == "final" else None
            entries[f"risalah/risalah-rapat-{month}.json"] = _json(ctx)
            entries[f"risalah/risalah-rapat-{month}.pdf"] = render_minutes_pdf(ctx)
            drafts = [d["document_number"] for d in ctx["documents"] if d["state"] != "final"]
            if drafts:
                absent.append(f"risalah: {', '.join(drafts)} masih draf (belum final)")
        else:
            absent.append(f"risalah: belum ada risalah rapat review untuk {month} (`kawal review new {month}`)")

        # --- every defect ticket of the month, with its full history (§5.3)
        discussed = set(
            s.scalars(
                select(ReviewItem.ticket_id)
                .join(ReviewMinutes, ReviewMinutes.id == ReviewItem.minutes_id)
                .where(ReviewMinutes.month == first, ReviewItem.ticket_id.is_not(None))
            )
        )
        with_occurrence = set(
            s.scalars(
                select(DefectOccurrence.ticket_id).where(
                    DefectOccurrence.period_start >= first, DefectOccurrence.period_start <= last
                )
            )
        )
        ids = sorted(with_occurrence | discussed)
        tickets = s.scalars(
            select(DefectTicket)
            .where(or_(DefectTicket.id.in_(ids), (DefectTicket.opened_on >= first) & (DefectTicket.opened_on <= last)))
            .order_by(DefectTicket.id)
        ).all()
        for t in tickets:
            entries[f"defect/tiket-{t.id:04d}.json"] = _json(_ticket_history(s, t))
        missing_tickets = sorted(set(ids) - {t.id for t in tickets})
        if missing_tickets:
            absent.append(
                f"defect: tiket {', '.join(map(str, missing_tickets))} tidak ada lagi di store (dimusnahkan?)"
            )
        if not tickets:
            absent.append(f"defect: tidak ada tiket defect atau insiden data pada {month}")

        # --- validation results (objective evidence, §6)
        batches = s.scalars(
            select(IngestionBatch)
            .where(IngestionBatch.business_date >= first, IngestionBatch.business_date <= last)
            .order_by(IngestionBatch.business_date, IngestionBatch.source, IngestionBatch.id)
        ).all()
        without = 0
        rows = []
        for b in batches:
            try:
                validation = json.loads(b.validation) if b.validation else None
            except ValueError:
                validation = b.validation
            without += validation is None
            rows.append(
                {
                    "id": b.id,
                    "source": b.source,
                    "business_date": b.business_date,
                    "file": b.file_name,
                    "sha256": b.checksum_sha256,
                    "rows": b.row_count,
                    "state": b.state,
                    "received_at": _when(b.received_at),
                    "reason": b.reason,
                    "validation": validation,
                }
            )
        entries["validasi/batch-ingestion.json"] = _json({"month": month, "batches": rows})
        if not batches:
            absent.append(f"validasi: tidak ada batch ingestion untuk {month}")
        elif without:
            absent.append(
                f"validasi: {without} dari {len(batches)} batch tanpa hasil validasi tersimpan "
                "(ingestion_batch.validation kosong: diproses sebelum hasil validasi dicatat)"
            )
    gx_docs = home / "gx-docs"
    docs_files = sorted(p for p in gx_docs.rglob("*") if p.is_file()) if gx_docs.is_dir() else []
    for p in docs_files:
        entries[f"validasi/gx-docs/{p.relative_to(gx_docs).as_posix()}"] = p.read_bytes()
    if not docs_files:
        absent.append(f"validasi: Data Docs Great Expectations tidak ada ({gx_docs})")

    # --- the register and its revision in force (§7)
    rules = rules_dir()
    for name in ("register.yaml", "people.yaml", "procedure.yaml", RETENTION_FILE):
        if (rules / name).is_file():
            entries[f"register/{name}"] = (rules / name).read_bytes()
        else:
            absent.append(f"register: {name} tidak ada di {rules}")
    revision = register.revision_in_force(first)
    entries["register/revisi.json"] = _json(
        {
            "month": month,
            "in_force": revision.model_dump(mode="json") if revision else None,
            "history": [r.model_dump(mode="json") for r in register.revisions],
        }
    )
    if revision is None:
        absent.append(f"register: tidak ada revisi register yang berlaku pada {first}")

    manifest = {
        "pack": f"Paket bukti audit KPI {month}",
        "month": month,
        "generated_at": _when(now),
        "register_revision": revision.rev if revision else None,
        "standard": "ISO 9001:2015 7.5, 9.1, 10.3; IK KPI Management §4.6, §5.3–§5.5, §6, §7",
        "files": [
            {"path": name, "sha256": _sha256(data), "bytes": len(data)} for name, data in sorted(entries.items())
        ],
        "absent": absent,
    }
    tmp = out.with_suffix(out.suffix + ".part")
    manifest_bytes = _json(manifest)
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in [*sorted(entries.items()), (MANIFEST, manifest_bytes)]:
            info = zipfile.ZipInfo(f"audit-pack-{month}/{name}", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    # its own SHA-256 in the store before it goes under its name: verify-pack knows Kawal's packs
    record_pack(engine, tmp, first, manifest, manifest_bytes)
    tmp.replace(out)  # never a half-written archive under the final name
    return AuditPack(out, manifest)


#: entries are hashed in chunks of this size: memory stays flat whatever an entry's size (issue #17)
CHUNK = 1 << 20
#: the JSON entries verify-pack parses (manifest, delivery proof) are read whole, so they are bounded
MAX_JSON_BYTES = 64 << 20


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _entry_sha256(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> tuple[str, int]:
    """SHA-256 and size of an entry, read in chunks and never past ``limit`` + 1 bytes (a zip bomb
    stops there: its size already differs)."""
    digest, size = hashlib.sha256(), 0
    with zf.open(info) as fh:
        while size <= limit and (chunk := fh.read(min(CHUNK, limit + 1 - size))):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _json_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> object:
    if info.file_size > MAX_JSON_BYTES:
        raise ValueError(f"{info.file_size} bytes, more than the {MAX_JSON_BYTES} a pack's JSON may have")
    with zf.open(info) as fh:
        data = fh.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise ValueError(f"more than the {MAX_JSON_BYTES} bytes a pack's JSON may have")
    return json.loads(data)


def record_pack(engine: Engine, pack: Path, first: date, manifest: dict, manifest_bytes: bytes) -> str:
    """Record a pack's own SHA-256 and manifest in the store as it is written (verify-pack's anchor)."""
    from kawal.store.db import session_scope
    from kawal.store.models import AuditPackRecord

    home = kawal_home()
    digest = _file_sha256(pack)
    with session_scope(engine) as s:
        s.add(
            AuditPackRecord(
                month=first,
                path=f"audit/{pack.name}" if pack.parent == home / "audit" else str(pack),
                sha256=digest,
                bytes=pack.stat().st_size,
                manifest_sha256=_sha256(manifest_bytes),
                manifest=json.dumps(manifest, ensure_ascii=False, sort_keys=True),
                written_at=datetime.now(UTC),
            )
        )
    return digest


def verify_audit_pack(path: Path, engine: Engine | None = None) -> list[str]:
    """Problems found checking an audit pack (empty: it checks out): every entry against the
    manifest, streamed; with ``engine``, the pack against the store too (:func:`_store_problems`)."""
    if not path.is_file():
        raise KawalError(f"{path}: no such audit pack")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise KawalError(f"{path}: not a zip archive") from None
    with zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        manifests = [i for i in infos if i.filename.endswith("/" + MANIFEST)]
        if len(manifests) != 1:
            return [f"{path}: expected one {MANIFEST}, found {len(manifests)}"]
        root = manifests[0].filename[: -len(MANIFEST)]
        try:
            manifest = _json_entry(zf, manifests[0])
            if not isinstance(manifest, dict) or not isinstance(manifest.get("files", []), list):
                raise ValueError("not a manifest object with a list of files")
        except ValueError as exc:
            return [f"{manifests[0].filename}: not valid JSON ({exc})"]
        problems = [f"{n[len(root) :]}: in the archive twice" for n in sorted({n for n in names if names.count(n) > 1})]
        listed: dict[str, str] = {}
        by_name = {i.filename: i for i in infos}
        for f in manifest.get("files", []):
            try:
                entry, want_sha, want_bytes = str(f["path"]), str(f["sha256"]), int(f["bytes"])
            except (KeyError, TypeError, ValueError):
                problems.append(f"{MANIFEST}: an entry without path, sha256 and bytes")
                continue
            name = root + entry
            if name not in by_name:
                problems.append(f"{entry}: listed in the manifest but missing from the archive")
                continue
            sha, size = _entry_sha256(zf, by_name[name], max(want_bytes, 0))
            listed[entry] = sha
            if sha != want_sha or size != want_bytes:
                problems.append(f"{entry}: checksum or size differs from the manifest")
        for name in names:
            if name[len(root) :] not in listed and name != manifests[0].filename:
                problems.append(f"{name[len(root) :]}: in the archive but not in the manifest")
        if engine is not None:
            problems += _store_problems(engine, path, zf, root, manifest, listed)
        return problems


def _store_problems(
    engine: Engine, path: Path, zf: zipfile.ZipFile, root: str, manifest: dict, listed: dict[str, str]
) -> list[str]:
    """The pack against the store (ISO 9001 §7.5.3): its own SHA-256 recorded when Kawal wrote it,
    each entry as in the manifest Kawal recorded, every delivered PDF as ``report_delivery`` has it,
    the pack's delivery proof as the store has it, PDFs and contexts as archived (when still there)."""
    from kawal.periods import parse_month
    from kawal.store.models import AuditPackRecord

    problems: list[str] = []
    try:
        first = parse_month(str(manifest.get("month")))
    except ValueError:
        return [f"{MANIFEST}: month {str(manifest.get('month'))[:10]!r} is not YYYY-MM"]
    month = first.strftime("%Y-%m")
    pack_sha = _file_sha256(path)
    with Session(engine) as s:
        written = s.scalars(select(AuditPackRecord).where(AuditPackRecord.month == first)).all()
        deliveries = s.scalars(
            select(ReportDelivery).where(ReportDelivery.month == first).order_by(ReportDelivery.edition)
        ).all()
    if not any(w.sha256 == pack_sha for w in written):
        problems.append(f"{path.name}: SHA-256 {pack_sha[:16]}… is not a pack Kawal wrote (no audit_pack record)")
        same = [w for w in written if json.loads(w.manifest).get("generated_at") == manifest.get("generated_at")]
        if same:
            recorded = {f["path"]: f["sha256"] for f in json.loads(same[-1].manifest)["files"]}
            for entry, sha in sorted(listed.items()):
                if recorded.get(entry) != sha:
                    problems.append(f"{entry}: differs from the pack Kawal wrote at {manifest.get('generated_at')}")
    # every delivered edition's PDF, as the delivery record has it (§4.6, §5.4)
    prefix = f"reports/{month}/"
    for d in deliveries:
        if not d.pdf_path.startswith(prefix):
            continue
        entry = "laporan/" + d.pdf_path.removeprefix(prefix)
        if entry not in listed:
            if not any(entry.removeprefix("laporan/") in line for line in manifest.get("absent", [])):
                problems.append(f"{entry}: the delivered edition {d.edition} is neither in the pack nor stated absent")
        elif listed[entry] != d.pdf_sha256:
            problems.append(
                f"{entry}: SHA-256 {listed[entry][:16]}… is not the delivered edition {d.edition} "
                f"(report_delivery {d.id}: {d.pdf_sha256[:16]}…)"
            )
    problems += _proof_problems(zf, root, listed, deliveries)
    # the archived report files that are still there: PDFs and the contexts they were rendered from
    archive = kawal_home() / "reports" / month
    for entry, sha in sorted(listed.items()):
        if entry.startswith("laporan/") and entry != "laporan/bukti-pengiriman.json":
            archived = archive / entry.removeprefix("laporan/")
            if archived.is_file() and _file_sha256(archived) != sha:
                problems.append(f"{entry}: differs from the archived {archived.relative_to(kawal_home()).as_posix()}")
    return problems


def _proof_problems(
    zf: zipfile.ZipFile, root: str, listed: dict[str, str], deliveries: list[ReportDelivery]
) -> list[str]:
    """The pack's own delivery proof against the store and against the PDFs beside it."""
    entry = "laporan/bukti-pengiriman.json"
    if entry not in listed:
        return [f"{entry}: missing, though the store has {len(deliveries)} delivery(ies)"] if deliveries else []
    try:
        proof = _json_entry(zf, zf.getinfo(root + entry))
        shown = {int(x["edition"]): (str(x["pdf"]), str(x["pdf_sha256"])) for x in proof["deliveries"]}  # type: ignore[index]
    except (ValueError, KeyError, TypeError):
        return [f"{entry}: not a delivery proof (deliveries with edition, pdf, pdf_sha256)"]
    problems = []
    stored = {d.edition: d for d in deliveries}
    for edition, (pdf, sha) in sorted(shown.items()):
        d = stored.get(edition)
        if d is None:
            problems.append(f"{entry}: edition {edition} is not a delivery in the store")
            continue
        if sha != d.pdf_sha256:
            problems.append(
                f"{entry}: edition {edition} names SHA-256 {sha[:16]}…, the store's delivery record "
                f"{d.pdf_sha256[:16]}…"
            )
        pdf_entry = "laporan/" + Path(pdf).name
        if pdf_entry in listed and listed[pdf_entry] != sha:
            problems.append(
                f"{entry}: edition {edition} names SHA-256 {sha[:16]}…, but {pdf_entry} in the pack has another"
            )
    for edition in sorted(set(stored) - set(shown)):
        problems.append(f"{entry}: edition {edition} of the store is missing from the proof")
    return problems
