"""What each benchmark measures, run in a child process so every repetition starts clean.

``python -m bench.steps kawal LANDING DAY STORE_URL [--profile HTML] [--no-pandas]`` prints one
result line: the seconds (wall and CPU) of Kawal's daily processing of the day's interactions
(ingest + compute, the real GX suite, the store on SQLite), the child's own peak RSS (``VmHWM`` of
``/proc/self/status``: ``getrusage``'s ``ru_maxrss`` survives fork+exec, so it reports the bench
runner's peak when that is higher), how many times the day's CSV was parsed and opened for reading
(and by what: :class:`FileReads`), and the stored KPI values of the day (checked by the runner
against DuckDB's query; checked here, after the clock, against the pandas implementation Kawal had
before issue #21, unless ``--no-pandas``). Imports and the GX context are loaded before the clock
starts: a daily task pays them once per process — ``fixed`` measures that price.

``python -m bench.steps previous-day LANDING DAY STORE_URL``: yesterday through the pipeline (ingest
+ compute) into a fresh store: the store the runner copies for each run of today.

``python -m bench.steps fixed setup|ingest|compute LANDING DAY STORE_URL [BATCH_ID]``: the whole CPU
time of this fresh interpreter (start-up included) that runs one task on a one-row day, or only the
imports and set-up every task does — a task's cost before its first row.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path


def _peak_rss_mb() -> float:
    """This process's own peak resident set (``VmHWM``), in MB (MiB)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: may be the parent's


def _process_cpu_s() -> float:
    """User + system CPU seconds of this whole process so far (every thread, interpreter start-up included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


#: Functions that only hash a file: an open made inside one is labelled ``hash:``.
HASH_ONLY = frozenset({"sha256_of", "file_digest"})

#: The CSV parsers a parse goes through, by module: ``(module, attribute)``, patched while watching.
CSV_PARSERS = (
    ("pyarrow.csv", "read_csv"),
    ("pyarrow.csv", "open_csv"),
    ("pandas", "read_csv"),
    ("pandas.io.parsers", "read_csv"),
    ("pandas.io.parsers.readers", "read_csv"),
)

_IN_ACCESS, _IN_OPEN, _IN_CLOSE_WRITE, _IN_CLOSE_NOWRITE, _IN_Q_OVERFLOW = 0x01, 0x20, 0x08, 0x10, 0x4000
NATIVE_IN_PARSER = "native (in a pyarrow CSV-reader call)"
NATIVE_OUTSIDE = "native (no Python open, outside a CSV-reader call: DuckDB, a pyarrow stream or mmap)"


class FileReads:
    """How many times each watched file is opened for reading, and parsed, while active.

    Witnesses: inotify on the file itself (``IN_OPEN`` and ``IN_ACCESS``: every open and read,
    pyarrow's and DuckDB's native ones included; a thread reads the events as they come, as the
    kernel merges identical unread ones), a ``sys.addaudithook`` hook on the ``open`` event
    (Python-level opens, labelled with the Kawal function that opened the file), and the CSV parsers
    of :data:`CSV_PARSERS`, wrapped. **A parse** is an outermost call of one of those parsers during
    which the file was read, plus each native open made outside such a call and not used by one
    (a DuckDB ``read_csv`` over the file counts, conservatively, as many parses as it opens it). Hash
    passes (``sha256_of``) and header peeks (a few bytes through Python's ``open``) are opens, not
    parses.
    """

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = {name: os.path.realpath(p) for name, p in files.items()}
        self._names = {os.path.basename(p) for p in self.files.values()}
        zero = dict.fromkeys(self.files, 0)
        self.opens, self.accesses = dict(zero), dict(zero)
        self.opens_in_parsers, self.parser_calls, self.native_source_calls = dict(zero), dict(zero), dict(zero)
        self.python: dict[str, list[tuple[str, bool]]] = {name: [] for name in self.files}
        self.overflow = False
        self.active = False
        self._fd = -1
        self._wd: dict[int, str] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._stop_r, self._stop_w = os.pipe()
        self._thread: threading.Thread | None = None
        self._patched: list[tuple[object, str, object]] = []
        sys.addaudithook(self._audit)  # cannot be removed: it does nothing while inactive

    # -- Python-level opens -------------------------------------------------------------------------
    def _audit(self, event: str, args: tuple) -> None:
        if event != "open" or not self.active:
            return
        try:
            self._seen(args)
        except Exception:  # noqa: S110 - an audit hook's exception would fail the product's open()
            pass

    def _seen(self, args: tuple) -> None:
        path, mode, flags = (*args, None, None, None)[:3]
        if isinstance(path, int) or path is None:
            return
        try:
            text = os.fsdecode(os.fspath(path))
        except TypeError:
            return
        if os.path.basename(text) not in self._names:
            return
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            return
        if mode is None and isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR):
            return
        real = os.path.realpath(text)
        for name, watched in self.files.items():
            if real == watched:
                self.python[name].append((self._opener(), bool(getattr(self._local, "depth", 0))))

    @staticmethod
    def _opener() -> str:
        """``module.function`` of the innermost Kawal frame (else the outermost frame), with ``hash:``
        in front when a hash-only function is on the stack."""
        frame = sys._getframe(3)
        kawal, names, last = None, [], "?"
        while frame is not None:
            code = frame.f_code
            names.append(code.co_name)
            mod = frame.f_globals.get("__name__", "?")
            last = f"{mod}.{code.co_name}"
            if kawal is None and mod.startswith("kawal"):
                kawal = last
            frame = frame.f_back
        label = kawal or last
        return f"hash:{label}" if HASH_ONLY.intersection(names) else label

    # -- the parsers ----------------------------------------------------------------------------------
    def _wrap(self, fn):  # type: ignore[no-untyped-def]
        import functools

        reads = self

        @functools.wraps(fn)
        def parser(*args, **kwargs):  # type: ignore[no-untyped-def]
            if not reads.active or getattr(reads._local, "depth", 0):
                return fn(*args, **kwargs)
            reads._local.depth = 1
            before = reads.sync()
            try:
                return fn(*args, **kwargs)
            finally:
                after = reads.sync()
                reads._local.depth = 0
                source = args[0] if args else next(iter(kwargs.values()), None)
                native = type(source).__module__.startswith("pyarrow")  # a pa.NativeFile opened before
                for name in reads.files:
                    reads.opens_in_parsers[name] += after[name][0] - before[name][0]
                    if after[name][1] > before[name][1]:
                        reads.parser_calls[name] += 1
                        reads.native_source_calls[name] += native

        return parser

    def patch(self) -> None:
        """Wrap the parsers: before Kawal's modules import them by name (``from pyarrow.csv import ...``)."""
        import importlib

        if self._patched:
            return
        for module_name, attr in CSV_PARSERS:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            original = getattr(module, attr, None)
            if original is None:
                continue
            self._patched.append((module, attr, original))
            setattr(module, attr, self._wrap(original))

    def unpatch(self) -> None:
        for module, attr, original in reversed(self._patched):
            setattr(module, attr, original)
        self._patched.clear()

    # -- inotify -------------------------------------------------------------------------------------
    def start(self) -> FileReads:
        import ctypes

        self.patch()
        libc = ctypes.CDLL(None, use_errno=True)
        self._fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        mask = _IN_OPEN | _IN_ACCESS | _IN_CLOSE_WRITE | _IN_CLOSE_NOWRITE
        for name, path in self.files.items():
            wd = libc.inotify_add_watch(self._fd, os.fsencode(path), mask)
            if wd < 0:
                raise OSError(ctypes.get_errno(), f"inotify_add_watch {path}")
            self._wd[wd] = name
        self.active = True
        self._thread = threading.Thread(target=self._read_events, name="bench-file-reads", daemon=True)
        self._thread.start()
        return self

    def sync(self) -> dict[str, tuple[int, int]]:
        """(opens, reads) of each file so far: the kernel queues an event before the syscall returns."""
        import struct

        with self._lock:
            while True:
                try:
                    buf = os.read(self._fd, 1 << 16)
                except BlockingIOError:
                    break
                i = 0
                while i < len(buf):
                    wd, mask, _cookie, length = struct.unpack_from("iIII", buf, i)
                    i += 16 + length
                    self.overflow |= bool(mask & _IN_Q_OVERFLOW)
                    if wd in self._wd:
                        self.opens[self._wd[wd]] += bool(mask & _IN_OPEN)
                        self.accesses[self._wd[wd]] += bool(mask & _IN_ACCESS)
            return {name: (self.opens[name], self.accesses[name]) for name in self.files}

    def _read_events(self) -> None:
        import select

        while True:
            ready, _, _ = select.select([self._fd, self._stop_r], [], [])
            if self._fd in ready:
                self.sync()
            if self._stop_r in ready:
                return

    def stop(self) -> dict:
        self.active = False
        os.write(self._stop_w, b"x")
        assert self._thread is not None
        self._thread.join()
        self.sync()
        os.close(self._fd)
        self.unpatch()
        out = {}
        for name in self.files:
            python = self.python[name]
            python_outside = sum(1 for _label, inside in python if not inside)
            native_in = max(0, self.opens_in_parsers[name] - sum(1 for _label, inside in python if inside))
            native_outside = max(0, self.opens[name] - self.opens_in_parsers[name] - python_outside)
            parses = self.parser_calls[name] + max(0, native_outside - self.native_source_calls[name])
            out[name] = {
                "opens": self.opens[name],
                "parses": parses,
                "parser_calls": self.parser_calls[name],
                "openers": [label for label, _inside in python]
                + [NATIVE_IN_PARSER] * native_in
                + [NATIVE_OUTSIDE] * native_outside,
                "overflow": self.overflow,
            }
        return out


def previous_day(landing: Path, day: date, store_url: str) -> dict:
    """The store as today's run finds it in production: yesterday's delivery ingested and computed by
    the pipeline itself (its batch loaded, its rows staged), so the cross-delivery check
    ``ids_already_delivered`` reads yesterday's ids the way it does every day. The runner copies this
    store for each run and keeps yesterday's staged file."""
    from kawal.pipeline.daily import compute_source_kpis, ingest_source_day

    previous = day - timedelta(days=1)
    batch = ingest_source_day("interactions", previous, landing=landing, store_url=store_url)
    compute_source_kpis(batch.batch_id, landing=landing, store_url=store_url)
    return {"previous_day": previous.isoformat(), "batch_id": batch.batch_id, "rows": batch.rows}


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def _pandas_kpi_day_rows():  # type: ignore[no-untyped-def]
    """Kawal's pandas ``kpi_day_rows`` (before issue #21): kept as the tests' oracle once the product
    computes in DuckDB (``tests/kpis/pandas_reference.py``); until then, the product's own."""
    try:
        from tests.kpis.pandas_reference import kpi_day_rows

        return kpi_day_rows, "tests.kpis.pandas_reference"
    except ImportError:
        from kawal.kpis.day import kpi_day_rows

        return kpi_day_rows, "kawal.kpis.day"


def _pandas_reference(store_url: str, landing: Path, day: date, batch_id: int) -> dict:
    """The day's KPIs as Kawal computed them before issue #21 (pandas: ``reread`` + ``kpi_day_rows``),
    against the values stored: value, numerator, denominator and status of every KPI and scope of
    the source, to 1e-9 relative. Run after the clock; a failure is reported, never raised. The rows
    are the delivery re-read by ``kawal.ingest.delivery.reread`` (a pandas frame)."""
    try:
        from sqlalchemy import select

        from kawal.ingest.delivery import reread
        from kawal.register import load_register

        kpi_day_rows, implementation = _pandas_kpi_day_rows()
        from kawal.store import IngestionBatch, engine_for, session_scope
        from kawal.store.models import KpiValue

        kpis = load_register().for_source("interactions")
        with session_scope(engine_for(store_url)) as session:
            batch = session.get(IngestionBatch, batch_id)
            assert batch is not None
            file_name = batch.file_name
            stored = {
                f"{v.kpi_id}|{v.scope}": (v.value, v.numerator, v.denominator, v.status)
                for v in session.scalars(
                    select(KpiValue).where(
                        KpiValue.period_type == "day",
                        KpiValue.period_start == day,
                        KpiValue.kpi_id.in_([k.id for k in kpis]),
                    )
                )
            }
        rows = reread("interactions", file_name, landing, day)
        reference = {
            f"{r.kpi_id}|{r.scope}": (r.value, r.numerator, r.denominator, r.status)
            for r in kpi_day_rows(kpis, rows, day, None)
        }
    except Exception as exc:  # the product is changing under the bench: say so, go on
        return {"pandas_agree": None, "pandas_error": f"{type(exc).__name__}: {exc}"}
    differ = sorted(
        k
        for k in set(stored) | set(reference)
        if k not in stored
        or k not in reference
        or stored[k][3] != reference[k][3]
        or not all(_same(a, b) for a, b in zip(stored[k][:3], reference[k][:3], strict=True))
    )
    return {
        "pandas_agree": not differ,
        "pandas_differ": differ[:20],
        "pandas_values_compared": len(reference),
        "pandas_implementation": implementation,
    }


def kawal(landing: Path, day: date, store_url: str, profile: Path | None = None, pandas: bool = True) -> dict:
    delivered = {  # kawal.ingest.delivery.day_file's layout (checked below, after Kawal is imported)
        "day": landing / "interactions" / f"interactions_{day.isoformat()}.csv",
        "previous": landing / "interactions" / f"interactions_{(day - timedelta(days=1)).isoformat()}.csv",
    }
    reads = FileReads(delivered)
    reads.patch()  # before Kawal's modules import the CSV parsers

    from sqlalchemy import select

    from kawal.checks.suites import gx_context
    from kawal.ingest.delivery import day_file
    from kawal.pipeline.daily import compute_source_kpis, ingest_source_day
    from kawal.store import engine_for, session_scope
    from kawal.store.models import KpiValue

    assert delivered["day"] == day_file(landing, "interactions", day), "bench.steps: day_file's layout changed"
    with gx_context():  # GX's import and project load: paid once per worker process (see ``fixed``)
        pass
    rss_before = _peak_rss_mb()
    profiler = None
    if profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    reads.start()
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        batch = ingest_source_day("interactions", day, landing=landing, store_url=store_url)
        t1, c1 = time.perf_counter(), time.process_time()
        result = compute_source_kpis(batch.batch_id, landing=landing, store_url=store_url)
        t2, c2 = time.perf_counter(), time.process_time()
    finally:
        files = reads.stop()
    peak = _peak_rss_mb()  # before anything the bench adds (the stored values, the pandas reference)
    if profiler is not None:
        profiler.stop()
        profile.write_text(profiler.output_html(), encoding="utf-8")
        profile.with_suffix(".txt").write_text(profiler.output_text(unicode=True, show_all=False), encoding="utf-8")
    with session_scope(engine_for(store_url)) as session:
        stored = {
            f"{v.kpi_id}|{v.scope}": v.value
            for v in session.scalars(
                select(KpiValue).where(
                    KpiValue.period_type == "day",
                    KpiValue.period_start == day,
                    KpiValue.kpi_id.in_(("scr", "rt", "aht")),
                )
            )
        }
    return {
        "kawal_s": t2 - t0,
        "kawal_cpu_s": c2 - c0,
        "ingest_s": t1 - t0,
        "ingest_cpu_s": c1 - c0,
        "compute_s": t2 - t1,
        "compute_cpu_s": c2 - c1,
        "rows": result.get("rows", batch.rows),
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak,
        "rss_method": "VmHWM",
        "csv_opens": files["day"]["opens"],
        "csv_parses": files["day"]["parses"],
        "csv_openers": files["day"]["openers"],
        "previous_csv_opens": files["previous"]["opens"],
        "previous_csv_openers": files["previous"]["openers"],
        "opens_overflow": files["day"]["overflow"],
        "values": stored,
        **(_pandas_reference(store_url, landing, day, batch.batch_id) if pandas else {}),
    }


def fixed(task: str, landing: Path, day: date, store_url: str, batch_id: int | None = None) -> dict:
    """One task's whole cost in this fresh interpreter, on a one-row day: its CPU seconds from the
    interpreter's start (``getrusage``, every thread) to the end of the task. ``setup`` is only what
    every task does before it touches a file: the pipeline's imports, the store's engine (and its
    schema check), the register."""
    t0 = time.perf_counter()
    out: dict = {"task": task}
    first_row: list[float] = []  # the process's CPU seconds when the task reaches its first row

    def at_first_row(fn):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            if not first_row:
                first_row.append(_process_cpu_s())
            return fn(*args, **kwargs)

        return wrapper

    if task == "ingest":  # the reader of the day's file (both routes reach it before any row is parsed)
        import kawal.ingest.readers as readers
        import kawal.ingest.stream as stream

        readers.read_csv_strings = at_first_row(readers.read_csv_strings)
        stream._stream = at_first_row(stream._stream)
    elif task == "compute":  # the staged rows' aggregate
        import kawal.pipeline.daily as daily

        daily.kpi_day_rows = at_first_row(daily.kpi_day_rows)
    if task == "setup":
        import kawal.pipeline.daily  # noqa: F401 - what a task imports
        from kawal.register import load_register
        from kawal.store import engine_for

        engine_for(store_url)
        load_register()
    elif task == "ingest":
        from kawal.pipeline.daily import ingest_source_day

        batch = ingest_source_day("interactions", day, landing=landing, store_url=store_url)
        out.update(batch_id=batch.batch_id, rows=batch.rows)
    elif task == "compute":
        from kawal.pipeline.daily import compute_source_kpis

        assert batch_id is not None
        out["rows"] = compute_source_kpis(batch_id, landing=landing, store_url=store_url).get("rows")
    else:
        raise SystemExit(f"unknown fixed-cost task {task!r}")
    out["cpu_s"] = _process_cpu_s()
    out["before_first_row_cpu_s"] = first_row[0] if first_row else out["cpu_s"]
    out["wall_s"] = time.perf_counter() - t0  # after the interpreter started: the bench's own clock
    out["peak_rss_mb"] = _peak_rss_mb()
    out["modules"] = len(sys.modules)
    out["gx_imported"] = "great_expectations" in sys.modules
    out["pandas_imported"] = "pandas" in sys.modules
    return out


TRIVIAL_DAG = """from airflow.sdk import dag


@dag(schedule=None)
def trivial():
    pass


trivial()
"""


#: Airflow's own price of a TaskFlow DAG on a cron schedule: one ``@task`` (loads the standard
#: provider's Python operator) and a ``CronTriggerTimetable`` (loads croniter). The issue's trivial
#: file has neither; this second baseline tells Airflow's share from Kawal's.
TASKFLOW_CRON_DAG = """from datetime import datetime
from zoneinfo import ZoneInfo

from airflow.sdk import CronTriggerTimetable, dag, task


@task
def one():
    pass


@dag(schedule=CronTriggerTimetable("0 1 * * *", timezone=ZoneInfo("Asia/Jakarta")), start_date=datetime(2026, 1, 1))
def taskflow_cron():
    one()


taskflow_cron()
"""


def dag_parse(path: Path) -> dict:
    """Seconds to import one DAG file, in this fresh interpreter, after ``airflow.sdk`` is imported: the
    dag-processor's parsing process already has Airflow loaded, so what a file adds is what it costs."""
    import importlib.util

    t0 = time.perf_counter()
    import airflow.sdk  # noqa: F401 - what every DAG file (and the trivial one) shares

    sdk_s = time.perf_counter() - t0
    spec = importlib.util.spec_from_file_location(f"bench_dag_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    t0, c0 = time.perf_counter(), time.process_time()
    spec.loader.exec_module(module)
    return {"import_s": time.perf_counter() - t0, "import_cpu_s": time.process_time() - c0, "airflow_sdk_s": sdk_s}


def report(month: date, store_url: str, reps: int) -> dict:
    """The month's PDF (context from the store → HTML → PDF), as ``kawal report`` renders it: the first
    render (fonts and templates loaded) and the median of ``reps`` more."""
    from statistics import median

    from kawal.register import load_register
    from kawal.rendering import html_to_pdf as render_pdf
    from kawal.reports.context import build_context
    from kawal.reports.render import render_html
    from kawal.store import engine_for

    engine, register = engine_for(store_url), load_register()
    times, cpu, pages = [], [], 0
    for _ in range(reps + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        pdf = render_pdf(render_html(build_context(engine, register, month, "id").as_dict()))
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    import pypdfium2

    pages = len(pypdfium2.PdfDocument(pdf))
    return {
        "first_s": times[0],
        "report_pdf_s": median(times[1:]),
        "report_pdf_cpu_s": median(cpu[1:]),
        "runs_s": times[1:],
        "pages": pages,
    }


def dag_wall(home: Path, day: date, store_url: str) -> dict:
    """One ``dag.test()`` of ``kawal_daily_kpis`` for ``day`` (the Airflow DB under ``home`` is migrated
    by the runner); its state must be success, or the figure would time a failure."""
    import os

    from kawal.airflow_env import embedded_airflow_env
    from kawal.notify.mailsink import MailSink

    env = embedded_airflow_env(home)
    sink = MailSink(home / "mail").start()
    env["AIRFLOW_CONN_SMTP_DEFAULT"] = sink.connection_uri
    env["KAWAL_DB_URL"] = store_url
    os.environ.update(env)  # before Airflow is imported (it reads its configuration at import)
    try:
        from airflow.dag_processing.dagbag import DagBag

        from kawal.periods import daily_run_logical_date

        t0 = time.perf_counter()
        bag = DagBag(dag_folder=env["AIRFLOW__CORE__DAGS_FOLDER"])
        dag = bag.get_dag("kawal_daily_kpis")
        t1 = time.perf_counter()
        run = dag.test(logical_date=daily_run_logical_date(day))
        t2 = time.perf_counter()
        failed = sorted(ti.task_id for ti in run.get_task_instances() if str(ti.state) != "success")
    finally:
        sink.stop()
    return {"dag_wall_s": t2 - t1, "dagbag_s": t1 - t0, "state": str(run.state), "failed_tasks": failed}


def main(argv: list[str]) -> None:
    what = argv[0]
    if what == "kawal":
        profile = Path(argv[argv.index("--profile") + 1]) if "--profile" in argv else None
        out = kawal(Path(argv[1]), date.fromisoformat(argv[2]), argv[3], profile, "--no-pandas" not in argv)
    elif what == "previous-day":
        out = previous_day(Path(argv[1]), date.fromisoformat(argv[2]), argv[3])
    elif what == "fixed":
        batch_id = int(argv[5]) if len(argv) > 5 else None
        out = fixed(argv[1], Path(argv[2]), date.fromisoformat(argv[3]), argv[4], batch_id)
    elif what == "dag-parse":
        out = dag_parse(Path(argv[1]))
    elif what == "report":
        out = report(date.fromisoformat(argv[1]), argv[2], int(argv[3]))
    elif what == "dag-wall":
        out = dag_wall(Path(argv[1]), date.fromisoformat(argv[2]), argv[3])
    else:
        raise SystemExit(f"unknown step {what!r}")
    print("BENCH-RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
