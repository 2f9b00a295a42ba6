"""``kawal records verify-pack`` checks a pack against the store, not only against itself (issue #17
findings 7 and 11; ISO 9001 §7.5.3).

- a delivered PDF swapped inside the pack, its manifest entry fixed up, fails: its SHA-256 is not the
  one ``report_delivery`` recorded when the report was sent, and the pack is not one Kawal wrote
  (every pack's own SHA-256 is recorded in ``audit_pack`` when it is written);
- a swapped context JSON, or a delivery proof edited to name the swapped PDF, fails the same way;
- entries are read in chunks: a 256 MiB entry in a small pack costs the checking process no more
  memory than a tiny one (the child's peak RSS, measured).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.records.demo_month import kawal, sql_rows

pytestmark = pytest.mark.security

ROOT = "audit-pack-2026-02/"


def _pack(home: Path) -> Path:
    result = kawal("audit-pack", "2026-02")
    assert result.exit_code == 0, result.output
    return home / "audit" / "audit-pack-2026-02.zip"


def _rewrite(pack: Path, out: Path, changes: dict[str, bytes], fix_manifest: bool = True) -> None:
    """A copy of ``pack`` with entries replaced, its manifest fixed up to match: what a forger does."""
    with zipfile.ZipFile(pack) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    for name, data in changes.items():
        entries[ROOT + name] = data
    if fix_manifest:
        manifest = json.loads(entries[ROOT + "MANIFEST.json"])
        for f in manifest["files"]:
            if f["path"] in changes:
                f["sha256"], f["bytes"] = hashlib.sha256(changes[f["path"]]).hexdigest(), len(changes[f["path"]])
        entries[ROOT + "MANIFEST.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


def test_an_untouched_pack_checks_out_and_its_sha256_is_recorded(demo_home: Path) -> None:
    pack = _pack(demo_home)

    result = kawal("records", "verify-pack", str(pack))

    assert result.exit_code == 0, result.output
    (row,) = sql_rows(demo_home, "SELECT sha256, bytes, month FROM audit_pack")
    assert row.sha256 == hashlib.sha256(pack.read_bytes()).hexdigest() and row.bytes == pack.stat().st_size
    assert "checked against the store" in result.output


def test_a_swapped_delivered_pdf_with_its_manifest_fixed_up_fails(demo_home: Path, tmp_path: Path) -> None:
    pack = _pack(demo_home)
    (delivered,) = sql_rows(demo_home, "SELECT id, pdf_sha256 FROM report_delivery")
    forged_pdf = b"%PDF-1.7\n% a different report\n"
    forged = tmp_path / "forged.zip"
    _rewrite(pack, forged, {"laporan/laporan-kpi-2026-02-id.pdf": forged_pdf})

    result = kawal("records", "verify-pack", str(forged))

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert (
        f"laporan/laporan-kpi-2026-02-id.pdf: SHA-256 {hashlib.sha256(forged_pdf).hexdigest()[:16]}… is not the "
        f"delivered edition 1 (report_delivery {delivered.id}: {delivered.pdf_sha256[:16]}…)"
    ) in lines
    assert any("is not a pack Kawal wrote" in line for line in lines)
    assert any("bukti-pengiriman.json" in line and "names" in line for line in lines)  # the pack's own proof

    # the forger fixes the delivery proof too: the store still knows the delivered hash
    with zipfile.ZipFile(pack) as zf:
        proof = json.loads(zf.read(ROOT + "laporan/bukti-pengiriman.json"))
    proof["deliveries"][0]["pdf_sha256"] = hashlib.sha256(forged_pdf).hexdigest()
    both = tmp_path / "forged-both.zip"
    _rewrite(pack, both, {"laporan/laporan-kpi-2026-02-id.pdf": forged_pdf,
                          "laporan/bukti-pengiriman.json": json.dumps(proof).encode()})  # fmt: skip

    again = kawal("records", "verify-pack", str(both))

    assert again.exit_code == 1
    assert any(
        line.startswith("laporan/bukti-pengiriman.json: edition 1 names SHA-256") and "store" in line
        for line in again.output.splitlines()
    )
    alone = kawal("records", "verify-pack", "--without-store", str(both))  # what the pack alone can tell
    assert alone.exit_code == 0 and "not checked against the store" in alone.output


def test_a_swapped_context_fails_against_the_pack_kawal_wrote_and_the_archive(demo_home: Path, tmp_path: Path) -> None:
    pack = _pack(demo_home)
    forged = tmp_path / "forged.zip"
    _rewrite(pack, forged, {"laporan/laporan-kpi-2026-02-id.json": b'{"context": {"kpis_met": 31}}'})

    result = kawal("records", "verify-pack", str(forged))

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(
        line.startswith("laporan/laporan-kpi-2026-02-id.json: differs from the pack Kawal wrote") for line in lines
    )
    assert any(line.startswith("laporan/laporan-kpi-2026-02-id.json: differs from the archived") for line in lines)


# The imports alone peak far above the check (their peak would hide it): the child resets its
# high-water mark after importing (Linux: /proc/self/clear_refs "5") and reports the growth of its peak
# RSS over the RSS it had before the check.
_MEASURE = """
import sys
from pathlib import Path
from kawal.records.audit_pack import verify_audit_pack

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])

with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")
before = status("VmRSS")
problems = verify_audit_pack(Path(sys.argv[1]))
assert problems == [], problems
print(status("VmHWM") - before)
"""


def _peak_kib(pack: Path) -> int:
    """How much the child's peak RSS grew while it checked ``pack`` (KiB)."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(pack)], capture_output=True, text=True, env=os.environ.copy(), check=True
    )
    return int(out.stdout.strip())


def _zero_pack(path: Path, size: int) -> None:
    chunk = bytes(1 << 20)
    digest = hashlib.sha256()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open(ROOT + "validasi/besar.bin", "w", force_zip64=True) as fh:
            for _ in range(size // len(chunk)):
                fh.write(chunk)
                digest.update(chunk)
        manifest = {
            "month": "2026-02",
            "files": [{"path": "validasi/besar.bin", "sha256": digest.hexdigest(), "bytes": size}],
        }
        zf.writestr(ROOT + "MANIFEST.json", json.dumps(manifest))


def test_entries_are_streamed_a_large_entry_costs_no_memory(tmp_path: Path) -> None:
    small, large = tmp_path / "small.zip", tmp_path / "large.zip"
    _zero_pack(small, 1 << 20)
    _zero_pack(large, 256 << 20)
    assert large.stat().st_size < 4 << 20  # a small pack with a large entry

    baseline, peak = _peak_kib(small), _peak_kib(large)

    assert peak < 32 * 1024 and peak - baseline < 16 * 1024, (baseline, peak)  # KiB: far below 256 MiB


def test_the_pack_is_anchored_in_the_store_on_both_databases(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    from kawal.records.audit_pack import build_audit_pack, verify_audit_pack
    from kawal.register import load_register
    from kawal.store import engine_for
    from tests.conftest import REPO

    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    engine = engine_for(store_url)
    pack = build_audit_pack(engine, load_register(REPO / "kpi_rules"), date(2026, 2, 1)).path

    assert verify_audit_pack(pack, engine) == []

    forged = tmp_path / "forged.zip"
    _rewrite(pack, forged, {"register/retention.yaml": b"count_from: end_of_year\nrecord_types: {}\n"})
    problems = verify_audit_pack(forged, engine)

    assert verify_audit_pack(forged) == []  # against itself alone it passes: the manifest was fixed up
    assert problems[0].startswith("forged.zip: SHA-256 ") and "is not a pack Kawal wrote" in problems[0]
    assert problems[1:] == ["register/retention.yaml: differs from the pack Kawal wrote at " + json.loads(
        zipfile.ZipFile(pack).read(ROOT + "MANIFEST.json"))["generated_at"]]  # fmt: skip
