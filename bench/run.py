"""``make bench``: Kawal's daily processing against the read floor and a DuckDB peer (issue #10).

On seeded interaction days of 100,000 and 1,000,000 rows (10,000,000 with ``ROWS=...`` or
``BENCH_10M=1``), on the same files, the median of ``--reps`` (≥ 3) repetitions of:

- floor: the day's CSV into Arrow with pyarrow, nothing else;
- peer: DuckDB computing SCR, RT and AHT (overall and per channel) in one SQL query, no validation;
- kawal: ``ingest_source_day`` + ``compute_source_kpis`` in a fresh process per repetition (fresh
  SQLite store; imports and the GX context loaded before the clock starts), and its peak RSS;

and once per bench run: each DAG file's import time over a trivial DAG file's, the demo month's
PDF, and the daily DAG's ``dag.test()`` wall time on the 100,000-row day. Speed goals live here,
never in a timed test. The machine is shared (2 cores, other engineers' tests): every figure is
kept with the 1-minute load average around it, and with CPU seconds where they mean something.

Figures go to ``bench/results/latest.json``; the generated table to ``BENCHMARKS.md`` (between its
markers). Working files (data, stores, Airflow home, profiles) live under ``var/bench/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "var" / "bench"
RESULTS = REPO / "bench" / "results" / "latest.json"
DOC = REPO / "BENCHMARKS.md"
DAY = date(2026, 10, 7)  # a Wednesday of the demo month, clear of its planted broken-data day
MONTH = date(2026, 10, 1)
SEED = 42
MB = 1024.0

#: The issue's goals. Ratios are against the median of each side.
GOAL_FLOOR_RATIO = 3.0
GOAL_DUCKDB_RATIO = 2.0
GOAL_RSS_1M_MB = 1.5 * 1024
GOAL_RSS_10M_MB = 4 * 1024
GOAL_DAG_PARSE_MS = 50.0
GOAL_REPORT_S = 3.0

PEER_SQL = """
SELECT CASE WHEN grouping(channel) = 1 THEN 'all' ELSE 'channel=' || channel END AS scope,
       100.0 * count(*) FILTER (WHERE outcome = 'answered')
             / count(*) FILTER (WHERE NOT (outcome = 'abandoned' AND wait_s < 5)) AS scr,
       sum(wait_s) FILTER (WHERE outcome = 'answered') / count(*) FILTER (WHERE outcome = 'answered') AS rt,
       sum(talk_s + hold_s + acw_s) FILTER (WHERE outcome = 'answered')
             / count(*) FILTER (WHERE outcome = 'answered') AS aht
FROM read_csv(?, header = true)
GROUP BY GROUPING SETS ((channel), ())
"""


def load1() -> float:
    return round(os.getloadavg()[0], 2)


def child_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "KAWAL_HOME": str(WORK / "home"),
        "KAWAL_RULES_DIR": str(REPO / "kpi_rules"),
        "KAWAL_MAPPINGS_DIR": str(REPO / "mappings"),
        "GX_ANALYTICS_ENABLED": "false",
        "PYTHONPATH": str(REPO),
    }
    env.pop("KAWAL_DB_URL", None)
    env.update(extra)
    return env


def child(args: list[str], **env: str) -> dict:
    """Run ``python -m bench.steps ARGS`` and return its result line; its log goes to var/bench/children.log."""
    log = WORK / "children.log"
    proc = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.steps", *args],
        cwd=REPO,
        env=child_env(**env),
        capture_output=True,
        text=True,
        check=False,
    )
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"$ bench.steps {' '.join(args)}\n{proc.stdout}{proc.stderr}\n")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH-RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise SystemExit(f"bench step {' '.join(args)} failed (exit {proc.returncode}): {tail}; see {log}")
    return json.loads(lines[-1].removeprefix("BENCH-RESULT "))


def timed(fn: Callable[[], object], reps: int) -> tuple[list[float], list[float], list[float], object]:
    """(wall seconds, CPU seconds of this process and its threads, load before each, last result)."""
    walls, cpus, loads, out = [], [], [], None
    for _ in range(reps):
        loads.append(load1())
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return walls, cpus, loads, out


def ensure_day_files(rows: int) -> Path:
    """The day and the day before at ``rows`` rows (the day before feeds the ids-already-delivered check)."""
    from bench.data import write_interactions_day
    from kawal.ingest.delivery import day_file

    landing = WORK / f"landing-{rows}"
    marker = landing / f".seed-{SEED}"
    if not marker.exists():
        for day in (DAY.replace(day=DAY.day - 1), DAY):
            t0 = time.perf_counter()
            write_interactions_day(landing, day, rows, seed=SEED)
            print(f"  data: {day_file(landing, 'interactions', day)} ({time.perf_counter() - t0:.1f} s)", flush=True)
        marker.touch()
    return landing


def floor(path: Path, reps: int) -> dict:
    import pyarrow.csv as pacsv

    walls, cpus, loads, _table = timed(lambda: pacsv.read_csv(path), reps)
    return {"floor_s": median(walls), "floor_cpu_s": median(cpus), "floor_runs_s": walls, "floor_load": loads}


def peer(path: Path, reps: int) -> dict:
    import duckdb

    def query() -> list[tuple]:
        with duckdb.connect() as con:
            return con.execute(PEER_SQL, [str(path)]).fetchall()

    walls, cpus, loads, rows = timed(query, reps)
    values = {}
    for scope, scr, rt, aht in rows:  # type: ignore[union-attr]
        values.update({f"scr|{scope}": scr, f"rt|{scope}": rt, f"aht|{scope}": aht})
    return {
        "duckdb_s": median(walls),
        "duckdb_cpu_s": median(cpus),
        "duckdb_runs_s": walls,
        "duckdb_load": loads,
        "duckdb_values": values,
    }


def kawal_step(landing: Path, reps: int, profile: bool) -> dict:
    runs = []
    for i in range(reps):
        store = WORK / f"store-{landing.name}-{i}.db"
        store.unlink(missing_ok=True)
        load = load1()
        args = ["kawal", str(landing), DAY.isoformat(), f"sqlite:///{store}"]
        if profile and i == 0:
            args += ["--profile", str(WORK / "profiles" / f"kawal-{landing.name}.html")]
            (WORK / "profiles").mkdir(parents=True, exist_ok=True)
        out = child(args)
        out["load"] = load
        runs.append(out)
        print(
            f"  kawal run {i + 1}: {out['kawal_s']:.2f} s, peak RSS {out['peak_rss_mb']:.0f} MB, load {load}",
            flush=True,
        )
    timed_runs = [r for r in runs if not (profile and r is runs[0])] or runs
    return {
        "kawal_s": median(r["kawal_s"] for r in timed_runs),
        "kawal_cpu_s": median(r["kawal_cpu_s"] for r in timed_runs),
        "kawal_ingest_s": median(r["ingest_s"] for r in timed_runs),
        "kawal_compute_s": median(r["compute_s"] for r in timed_runs),
        "kawal_runs_s": [r["kawal_s"] for r in timed_runs],
        "kawal_load": [r["load"] for r in timed_runs],
        "kawal_peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "kawal_rss_before_mb": median(r["rss_before_mb"] for r in runs),
        "kawal_values": runs[-1]["values"],
        "kawal_rows": runs[-1]["rows"],
    }


def dag_parse(reps: int) -> dict:
    trivial = WORK / "dags-trivial" / "trivial_dag.py"
    trivial.parent.mkdir(parents=True, exist_ok=True)
    from bench.steps import TASKFLOW_CRON_DAG, TRIVIAL_DAG

    trivial.write_text(TRIVIAL_DAG, encoding="utf-8")
    taskflow = trivial.with_name("taskflow_cron_dag.py")
    taskflow.write_text(TASKFLOW_CRON_DAG, encoding="utf-8")
    files = [trivial, taskflow, *sorted((REPO / "dags").glob("*.py"))]
    from kawal.airflow_env import embedded_airflow_env

    env = embedded_airflow_env(WORK / "parse-home")
    env.pop("KAWAL_HOME")
    times: dict[str, list[float]] = {f.name: [] for f in files}
    for _ in range(reps):  # interleaved, so a burst of load hits every file alike
        for f in files:
            times[f.name].append(child(["dag-parse", str(f)], **env)["import_s"])
    base, airflow_base = median(times[trivial.name]), median(times[taskflow.name])
    ours = [f.name for f in files[2:]]
    return {
        "dag_parse_overhead_ms": {n: round(1000 * (median(times[n]) - base), 1) for n in ours},
        "dag_parse_overhead_vs_taskflow_cron_ms": {n: round(1000 * (median(times[n]) - airflow_base), 1) for n in ours},
        "dag_parse_ms": {n: round(1000 * median(t), 1) for n, t in times.items()},
        "dag_parse_load": load1(),
    }


def report_store() -> str:
    """The demo month (every source, ``calls_per_day`` 4000) through the pipeline's steps, once."""
    db = WORK / "report-month" / "kawal.db"
    url = f"sqlite:///{db}"
    if not (db.parent / ".done").exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        db.unlink(missing_ok=True)
        print("  building the demo month's store for the report (once) …", flush=True)
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.month", str(db.parent / "landing"), MONTH.isoformat(), url],
            cwd=REPO,
            env=child_env(KAWAL_HOME=str(db.parent / "home")),
            check=True,
        )
        (db.parent / ".done").touch()
    return url


def report(reps: int) -> dict:
    url = report_store()
    load = load1()
    out = child(["report", MONTH.isoformat(), url, str(reps)], KAWAL_HOME=str(WORK / "report-month" / "home"))
    return {
        "report_pdf_s": out["report_pdf_s"],
        "report_pdf_cpu_s": out["report_pdf_cpu_s"],
        "report_first_s": out["first_s"],
        "report_runs_s": out["runs_s"],
        "report_pages": out["pages"],
        "report_load": load,
    }


def dag_wall(reps: int) -> dict:
    """The daily DAG on the 100,000-row day: the demo month's other sources, a 100k interactions day."""
    from bench.data import write_interactions_day
    from kawal.airflow_env import embedded_airflow_env, migrate_airflow_db

    home = WORK / "dag-home"
    if not (home / ".ready").exists():
        from kawal.demo.sources import write_demo_month

        write_demo_month(MONTH, home / "landing", seed=SEED)
        for day in (DAY.replace(day=DAY.day - 1), DAY):
            write_interactions_day(home / "landing", day, 100_000, seed=SEED)
        migrate_airflow_db(embedded_airflow_env(home), home / "airflow-db-migrate.log")
        (home / ".ready").touch()
    runs = []
    for i in range(reps):
        store = home / f"kawal-{i}.db"
        store.unlink(missing_ok=True)
        load = load1()
        out = child(["dag-wall", str(home), DAY.isoformat(), f"sqlite:///{store}"], KAWAL_HOME=str(home))
        if out["state"] != "success":
            raise SystemExit(f"daily DAG run {i + 1} ended {out['state']} (failed: {', '.join(out['failed_tasks'])})")
        out["load"] = load
        runs.append(out)
        print(f"  dag.test run {i + 1}: {out['dag_wall_s']:.1f} s, load {load}", flush=True)
    return {
        "dag_wall_s": median(r["dag_wall_s"] for r in runs),
        "dag_wall_runs_s": [r["dag_wall_s"] for r in runs],
        "dag_wall_load": [r["load"] for r in runs],
    }


def values_agree(kawal: dict, duckdb: dict) -> bool:
    """Kawal's stored SCR/RT/AHT equal DuckDB's independent computation (same file), to 1e-9 relative."""
    keys = set(kawal) | set(duckdb)
    return all(
        k in kawal and k in duckdb and abs(kawal[k] - duckdb[k]) <= 1e-9 * max(1.0, abs(duckdb[k])) for k in keys
    )


def verdicts(results: list[dict], shared: dict) -> list[tuple[str, str, bool | None]]:
    out: list[tuple[str, str, bool | None]] = []
    for r in results:
        n = r["rows"]
        if n == 1_000_000:
            fr, dr = r["kawal_s"] / r["floor_s"], r["kawal_s"] / r["duckdb_s"]
            out.append(("kawal ≤ 3× floor at 1M", f"{fr:.1f}× ({r['kawal_s']:.2f} s / {r['floor_s']:.2f} s)", fr <= 3))
            out.append(
                ("kawal ≤ 2× DuckDB at 1M", f"{dr:.1f}× ({r['kawal_s']:.2f} s / {r['duckdb_s']:.2f} s)", dr <= 2)
            )
            rss = r["kawal_peak_rss_mb"]
            out.append(("peak RSS ≤ 1.5 GB at 1M", f"{rss:.0f} MB", rss <= GOAL_RSS_1M_MB))
        if n >= 10_000_000:
            rss = r["kawal_peak_rss_mb"]
            out.append((f"peak RSS < 4 GB at {n:,}", f"{rss:.0f} MB", rss < GOAL_RSS_10M_MB))
    worst = max(shared["dag_parse_overhead_ms"].items(), key=lambda kv: kv[1])
    out.append(
        ("every DAG file ≤ 50 ms over trivial", f"worst {worst[0]} {worst[1]:.0f} ms", worst[1] <= GOAL_DAG_PARSE_MS)
    )
    out.append(("month's PDF ≤ 3 s", f"{shared['report_pdf_s']:.2f} s", shared["report_pdf_s"] <= GOAL_REPORT_S))
    return out


def table(results: list[dict], shared: dict, checks: list[tuple[str, str, bool | None]], meta: dict) -> str:
    lines = [
        f"Measured {meta['measured_at']} on {meta['machine']} ({meta['cpus']} CPUs, shared; "
        f"load average at start {meta['load_start']}, at end {meta['load_end']}); median of {meta['reps']} runs.",
        "",
        *(
            [f"Row counts this run did not measure are kept from the run of {meta['merged_with_run_of']}.", ""]
            if meta.get("merged_with_run_of")
            else []
        ),
        "Wall seconds, CPU seconds in brackets (all threads of the process); ratios on wall (on CPU).",
        "",
        "| rows | floor (pyarrow) s | DuckDB s | kawal s | kawal / floor | kawal / DuckDB | kawal peak RSS MB "
        "| ingest s | compute s | load 1-min (kawal runs) | SCR/RT/AHT = DuckDB's |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['rows']:,} | {r['floor_s']:.3f} ({r['floor_cpu_s']:.3f}) "
            f"| {r['duckdb_s']:.3f} ({r['duckdb_cpu_s']:.3f}) "
            f"| {r['kawal_s']:.2f} ({r['kawal_cpu_s']:.2f}) "
            f"| {r['kawal_s'] / r['floor_s']:.1f}× ({r['kawal_cpu_s'] / r['floor_cpu_s']:.1f}×) "
            f"| {r['kawal_s'] / r['duckdb_s']:.1f}× ({r['kawal_cpu_s'] / r['duckdb_cpu_s']:.1f}×) "
            f"| {r['kawal_peak_rss_mb']:.0f} "
            f"| {r['kawal_ingest_s']:.2f} | {r['kawal_compute_s']:.2f} | {', '.join(map(str, r['kawal_load']))} "
            f"| {'yes' if r['values_agree'] else 'NO'} |"
        )
    lines += [
        "",
        "| DAG file | import ms over the trivial DAG file | over a one-`@task` cron DAG file (Airflow's share) |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| `dags/{n}` | {ms:.1f} | {shared['dag_parse_overhead_vs_taskflow_cron_ms'][n]:.1f} |"
        for n, ms in shared["dag_parse_overhead_ms"].items()
    ]
    lines += [
        "",
        f"Trivial DAG file: {shared['dag_parse_ms']['trivial_dag.py']:.1f} ms, one-`@task` cron DAG file: "
        f"{shared['dag_parse_ms']['taskflow_cron_dag.py']:.1f} ms (both after `airflow.sdk` is imported; "
        f"load {shared['dag_parse_load']}).",
        f"Month's PDF ({shared['report_pages']} pages): {shared['report_pdf_s']:.2f} s median "
        f"(CPU {shared['report_pdf_cpu_s']:.2f} s; first render in a process {shared['report_first_s']:.2f} s; "
        f"load {shared['report_load']}).",
    ]
    if shared.get("dag_wall_s") is not None:
        lines.append(
            f"Daily DAG `dag.test()` on the 100,000-row day: {shared['dag_wall_s']:.1f} s median "
            f"(runs {', '.join(f'{s:.1f}' for s in shared['dag_wall_runs_s'])} s; "
            f"load {shared.get('dag_wall_load', '-')}; 8 sources, Data Docs, defects, mail)."
        )
    lines += ["", "| goal | measured | verdict |", "|---|---|---|"]
    lines += [f"| {g} | {m} | {'met' if ok else '**not met**'} |" for g, m, ok in checks]
    return "\n".join(lines)


def write_doc(generated: str) -> None:
    begin, end = "<!-- bench:begin (written by make bench) -->", "<!-- bench:end -->"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else f"# Benchmarks\n\n{begin}\n{end}\n"
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    DOC.write_text(f"{head}{begin}\n{generated}\n{end}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_rows = os.environ.get("ROWS") or (
        "100000,1000000,10000000" if os.environ.get("BENCH_10M") else "100000,1000000"
    )
    parser.add_argument("--rows", default=default_rows, help="comma-separated row counts")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="pyinstrument profile of one extra kawal run per size")
    parser.add_argument("--skip-dag-wall", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only; keep latest.json and BENCHMARKS.md")
    parser.add_argument("--merge", action="store_true", help="keep latest.json's results of the other row counts")
    parser.add_argument("--skip-shared", action="store_true", help="with --merge: reuse its DAG/report figures")
    parser.add_argument("--doc-only", action="store_true", help="rewrite BENCHMARKS.md's table from latest.json")
    args = parser.parse_args(argv)
    if args.doc_only:
        saved = json.loads(RESULTS.read_text(encoding="utf-8"))
        shared = saved.get("shared") or {
            k: v for k, v in saved["results"][0].items() if k.startswith(("dag_parse", "report_", "dag_wall"))
        }
        write_doc(table(saved["results"], shared, verdicts(saved["results"], shared), saved["meta"]))
        return 0
    if args.reps < 3:
        parser.error("--reps: the issue asks for the median of at least 3 repetitions")
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "children.log").unlink(missing_ok=True)
    os.environ.update({k: v for k, v in child_env().items() if k.startswith(("KAWAL_", "GX_"))})
    meta = {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": platform.node() and platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_start": load1(),
        "reps": args.reps,
        "day": DAY.isoformat(),
        "seed": SEED,
    }
    results = []
    for rows in [int(r) for r in args.rows.split(",")]:
        print(f"[{rows:,} rows]", flush=True)
        landing = ensure_day_files(rows)
        from kawal.ingest.delivery import day_file

        path = day_file(landing, "interactions", DAY)
        r: dict = {"rows": rows, "file_mb": round(path.stat().st_size / MB / MB, 1)}
        r.update(floor(path, args.reps))
        r.update(peer(path, args.reps))
        r.update(kawal_step(landing, args.reps + (1 if args.profile else 0), args.profile))
        r["values_agree"] = values_agree(r["kawal_values"], r["duckdb_values"])
        print(
            f"  floor {r['floor_s']:.3f} s · DuckDB {r['duckdb_s']:.3f} s · kawal {r['kawal_s']:.2f} s "
            f"(×{r['kawal_s'] / r['floor_s']:.1f} floor, ×{r['kawal_s'] / r['duckdb_s']:.1f} DuckDB) · "
            f"peak RSS {r['kawal_peak_rss_mb']:.0f} MB · values agree: {r['values_agree']}",
            flush=True,
        )
        results.append(r)
    previous = json.loads(RESULTS.read_text(encoding="utf-8")) if args.merge and RESULTS.exists() else None
    if previous is not None and args.skip_shared:
        shared = previous.get("shared") or {
            k: v for k, v in previous["results"][0].items() if k.startswith(("dag_parse", "report_", "dag_wall"))
        }
    else:
        print("[DAG files]", flush=True)
        shared = dag_parse(max(args.reps, 5))
        print(f"  {shared['dag_parse_overhead_ms']}", flush=True)
        print("[monthly report PDF]", flush=True)
        shared.update(report(args.reps))
        print(f"  {shared['report_pdf_s']:.2f} s", flush=True)
        shared["dag_wall_s"] = None
        if not args.skip_dag_wall:
            print("[daily DAG under Airflow, 100,000-row day]", flush=True)
            shared.update(dag_wall(args.reps))
    meta["load_end"] = load1()
    if previous is not None:  # a 10M run added to the last full run: keep its other row counts
        measured = {r["rows"] for r in results}
        results = sorted(
            [r for r in previous["results"] if r["rows"] not in measured] + results, key=lambda r: r["rows"]
        )
        meta["merged_with_run_of"] = previous["meta"]["measured_at"]
    for r in results:  # the keys, per row count; the DAG wall time is the 100k day's only
        r.update({k: v for k, v in shared.items() if not k.startswith("dag_wall")})
        r["dag_wall_s"] = shared["dag_wall_s"] if r["rows"] == 100_000 else None
        r["dag_wall_runs_s"] = shared.get("dag_wall_runs_s") if r["rows"] == 100_000 else None
    checks = verdicts(results, shared)
    print("\nGoals:")
    for goal, measured, ok in checks:
        print(f"  {'MET    ' if ok else 'NOT MET'}  {goal}: {measured}")
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "meta": meta,
            "goals": [{"goal": g, "measured": m, "met": ok} for g, m, ok in checks],
            "results": results,
            "shared": shared,
        }
        RESULTS.write_text(json.dumps(payload, indent=1, sort_keys=False) + "\n", encoding="utf-8")
        write_doc(table(results, shared, checks, meta))
        print(f"\n{RESULTS.relative_to(REPO)} and {DOC.relative_to(REPO)} written")
    return 0 if all(r["values_agree"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
