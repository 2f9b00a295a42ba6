"""A year of a 5,000-calls-a-day center through ``kawal import`` and ``kawal backfill`` (issue #16).

Run: ``make bench-backfill`` (``DAYS=`` / ``CALLS=`` to change the size). It builds, under
``var/bench/backfill/``: an interactions-only site (a copy of ``kpi_rules/`` whose site.yaml lists
the ACD only and starts history on the first day; the register's baseline revision is moved to that
day, as a site with its own history does), one tab-separated export of the whole range
(``tests/onboarding/exports.py``'s bank shape), then times, each in its own process as a user runs
them: ``kawal import`` of the export, ``kawal backfill`` of every day. The figures go to
``bench/results/backfill.json``; BENCHMARKS.md keeps the table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--first", default="2025-01-01")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from tests.onboarding.exports import BANK_MAPPING, bank_month_tsv

    first = date.fromisoformat(args.first)
    last = first + timedelta(days=args.days - 1)
    work = REPO / "var" / "bench" / "backfill"
    shutil.rmtree(work, ignore_errors=True)
    rules = work / "kpi_rules"
    shutil.copytree(REPO / "kpi_rules", rules)
    site = (rules / "site.yaml").read_text(encoding="utf-8")
    site = re.sub(r"sources:\n(  - .*\n)+", "sources:\n  - interactions\n", site)
    site = re.sub(r"history_starts: .*", f"history_starts: {first}", site)
    (rules / "site.yaml").write_text(site, encoding="utf-8")
    register = (rules / "register.yaml").read_text(encoding="utf-8")
    (rules / "register.yaml").write_text(register.replace("effective_from: 2026-01-01", f"effective_from: {first}", 1))
    (work / "mappings").mkdir()
    (work / "mappings" / "bank.yaml").write_text(BANK_MAPPING, encoding="utf-8")
    t = time.monotonic()
    export = bank_month_tsv(work / "bank-year.tsv", first, last, calls_per_day=args.calls, seed=3)
    generated = time.monotonic() - t
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "KAWAL_"))},
        "KAWAL_HOME": str(work / "var"),
        "KAWAL_RULES_DIR": str(rules),
        "KAWAL_MAPPINGS_DIR": str(work / "mappings"),
        "KAWAL_NOW": f"{last + timedelta(days=2)}T09:00:00+07:00",
    }
    kawal = str(Path(sys.executable).with_name("kawal"))
    figures = {"days": args.days, "calls_per_day": args.calls, "export_mb": export.stat().st_size / 1e6}
    for name, argv in (
        ("import", [kawal, "import", str(work / "mappings" / "bank.yaml"), str(export)]),
        ("backfill", [kawal, "backfill", "--from", str(first), "--to", str(last)]),
    ):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.monotonic()
        done = subprocess.run(argv, env=env, capture_output=True, text=True)  # noqa: S603 - our own kawal
        wall = time.monotonic() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            print(done.stdout[-2000:], done.stderr[-2000:], sep="\n")
            return 1
        figures[name] = {
            "wall_s": round(wall, 1),
            "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
            "summary": [line for line in done.stdout.strip().splitlines() if "day(s)" in line or "day file(s)" in line],
        }
        print(f"{name}: {wall:.0f} s wall", flush=True)
    figures["generate_s"] = round(generated, 1)
    figures["per_day_s"] = round(figures["backfill"]["wall_s"] / args.days, 2)
    figures["load_average_after"] = os.getloadavg()
    figures["measured_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")  # bench/run.py shows it
    out = REPO / "bench" / "results" / "backfill.json"
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
