"""Hostile input (issue #11): property-based fuzzing of the register loader and of source ingest.

Whatever a file holds, Kawal answers with a result or one clean, named error (:class:`KawalError`,
one line naming the file) — never another exception, never a hang. Inputs are small (hypothesis
shrinks better and the suite stays cheap); the oversized cases are separate, run in a child
process under a hard time limit (a hang guard, not a timing assertion).

Entry points: ``kawal.register.check.check_register``/``load_register``; for ingest those that
survive the ingestion rewrite: ``kawal.ingest.mapping.load_mapping``, ``read_mapped``,
``locate_and_read`` and the ``kawal sources check`` CLI (click's CliRunner).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from kawal.errors import KawalError
from tests.conftest import REPO
from tests.properties import budget

pytestmark = pytest.mark.security

EXAMPLES = 250  # per test under CI (the same examples every run); make fuzz draws 2,500 fresh ones
FUZZ = budget(EXAMPLES, all_health_checks_off=True)
DAY = date(2026, 10, 1)
GENESYS = REPO / "mappings" / "examples" / "genesys-interactions.yaml"
_WORK = Path(tempfile.mkdtemp(prefix="kawal-fuzz-"))
#: A mapping pseudonymises customer identifiers with this key (the ingest rewrite): a test value.
PII_KEY = "fuzz-test-pii-key-not-a-secret"

# --- values a hostile or broken file may hold ---------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "<script>alert(1)</script>", "../../etc/passwd", "=cmd|' /C calc'!A0", "\x00", "ÿ" * 3]),
    st.dates().map(str),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _paths(data: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _replace(data: object, path: tuple, new: object) -> object:
    if not path:
        return new
    head, *rest = path
    if isinstance(data, dict):
        return {k: (_replace(v, tuple(rest), new) if k == head else v) for k, v in data.items()}
    return [(_replace(v, tuple(rest), new) if i == head else v) for i, v in enumerate(data)]  # type: ignore[union-attr]


def _delete(data: object, path: tuple) -> object:
    if not path:
        return None
    *parent, last = path
    holder = data
    for p in parent:
        holder = holder[p]  # type: ignore[index]
    copy = yaml.safe_load(yaml.safe_dump(data))  # deep copy that stays YAML-shaped
    holder = copy
    for p in parent:
        holder = holder[p]
    del holder[last]
    return copy


@st.composite
def mutated_yaml(draw, base: object) -> str:  # type: ignore[no-untyped-def]
    """``base`` with one to three fields replaced by hostile values or deleted, or its text damaged."""
    text = yaml.safe_dump(base, allow_unicode=True, sort_keys=False)
    how = draw(st.sampled_from(["replace", "delete", "text"]))
    if how == "text":
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 40)))
        return text[:i] + draw(st.text(max_size=20)) + text[j:]
    data = base
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        if how == "delete" and path:
            try:
                data = _delete(data, path)
            except (KeyError, IndexError, TypeError):
                continue
        else:
            data = _replace(data, path, draw(values))
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:  # e.g. a float key PyYAML cannot write: fall back to damaging the text
        return text + "\n:" + str(draw(scalars))


# --- the register loader --------------------------------------------------------------------------

_RULES = yaml.safe_load((REPO / "kpi_rules" / "register.yaml").read_text(encoding="utf-8"))
#: a small valid register (two KPIs and the first revision): cheap to parse thousands of times
MINI_REGISTER = {
    "revisions": _RULES["revisions"][:1],
    "kpis": [k for k in _RULES["kpis"] if k["id"] in ("scr", "attrition")],
}
PEOPLE = yaml.safe_load((REPO / "kpi_rules" / "people.yaml").read_text(encoding="utf-8"))


def _rules_dir(register_text: str, people_text: str | None = None) -> Path:
    folder = Path(tempfile.mkdtemp(dir=_WORK))
    (folder / "register.yaml").write_text(register_text, encoding="utf-8", errors="surrogatepass")
    (folder / "people.yaml").write_text(
        people_text if people_text is not None else yaml.safe_dump(PEOPLE, allow_unicode=True), encoding="utf-8"
    )
    return folder


def _assert_clean_register_answer(folder: Path) -> None:
    from kawal.register.check import check_register, load_register

    register, problems = check_register(folder)  # must not raise, whatever the files hold
    if register is None:
        assert problems, "a refused register names at least one problem"
        for p in problems:
            line = str(p)
            assert "\n" not in line and line.startswith(p.file) and p.file.endswith((".yaml", ".yml")), line
        with pytest.raises(KawalError):
            load_register(folder)


def test_the_mini_register_is_valid() -> None:
    from kawal.register.check import check_register

    register, problems = check_register(_rules_dir(yaml.safe_dump(MINI_REGISTER, allow_unicode=True)))
    assert problems == [] and [k.id for k in register.kpis] == ["scr", "attrition"]


@FUZZ
@given(register_text=mutated_yaml(MINI_REGISTER))
def test_register_fuzz_gives_a_register_or_named_problems(register_text: str) -> None:
    _assert_clean_register_answer(_rules_dir(register_text))


@FUZZ
@given(people_text=mutated_yaml(PEOPLE))
def test_people_fuzz_gives_a_register_or_named_problems(people_text: str) -> None:
    _assert_clean_register_answer(_rules_dir(yaml.safe_dump(MINI_REGISTER, allow_unicode=True), people_text))


@FUZZ
@given(raw=st.binary(max_size=200))
def test_register_bytes_fuzz(raw: bytes) -> None:
    folder = _rules_dir("")
    (folder / "register.yaml").write_bytes(raw)
    _assert_clean_register_answer(folder)


# --- mappings and exports -----------------------------------------------------------------------

MAPPING = yaml.safe_load(GENESYS.read_text(encoding="utf-8"))
HEADER = [
    "ConversationId",
    "QueueName",
    "StartTime",
    "AnswerTime",
    "EndTime",
    "Disposition",
    "TalkTime",
    "HoldTime",
    "WrapUpMs",
    "ANI",
]
GOOD_ROW = [
    "c1",
    "GADAI",
    "01/10/2026 09:00:00",
    "01/10/2026 09:00:20",
    "01/10/2026 09:04:00",
    "ANSWERED",
    "0:03:10",
    "0:00:05",
    "30000",
    "081234567890",
]

cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1e400",
            "inf",
            "nan",
            "99:99:99",
            "0:03:10",
            "31/02/2026 25:61:00",
            "01/10/2026 09:00:00",
            "ANSWERED",
            "ABANDONED",
            "TEST",
            '"',
            '""',
            ";",
            "\r",
            "\x00",
            "=1+1",
            "@SUM(A1)",
        ]
    ),
)


@st.composite
def exports(draw) -> bytes:  # type: ignore[no-untyped-def]
    """A Genesys-shaped export with hostile cells, shuffled/missing/extra columns, odd encodings."""
    header = list(HEADER)
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    if draw(st.integers(0, 4)) == 0:
        header = header[: draw(st.integers(0, len(header)))]
    rows = [
        [draw(cells) if draw(st.integers(0, 2)) == 0 else GOOD_ROW[HEADER.index(h)] for h in header]
        for _ in range(draw(st.integers(0, 4)))
    ]
    delimiter = draw(st.sampled_from([";", ";", ",", "\t"]))
    text = "\n".join(delimiter.join(r) for r in [header, *rows])
    data = text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"])), errors="replace")
    if draw(st.integers(0, 5)) == 0:
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=16))
    return data


def _export_file(data: bytes) -> Path:
    path = Path(tempfile.mkdtemp(dir=_WORK)) / "calls_20261001.csv"
    path.write_bytes(data)
    return path


def _clean(fn, *args):  # type: ignore[no-untyped-def]
    """Run ``fn``: a result, or a KawalError naming the file on one line; anything else fails."""
    try:
        return fn(*args)
    except KawalError as exc:
        assert "\n" not in str(exc) and str(exc).strip(), repr(exc)
        return exc


@FUZZ
@given(mapping_text=mutated_yaml(MAPPING))
def test_mapping_fuzz_gives_a_mapping_or_a_named_error(mapping_text: str) -> None:
    from kawal.ingest.mapping import load_mapping

    path = Path(tempfile.mkdtemp(dir=_WORK)) / "genesys.yaml"
    path.write_text(mapping_text, encoding="utf-8", errors="surrogatepass")
    result = _clean(load_mapping, path)
    if isinstance(result, KawalError):
        assert str(path) in str(result)


@FUZZ
@given(data=exports())
# an answered call without its answer time: its wait is unknown (NaN), never 0 and never a crash
@example(
    data=b"ConversationId;AnswerTime;StartTime;QueueName;Disposition;EndTime;TalkTime;HoldTime;WrapUpMs;ANI\n"
    b"c1;;01/10/2026 09:00:00;GADAI;ANSWERED;;0:03:10;0:00:05;30000;081234567890",
)
def test_export_fuzz_through_a_mapping(data: bytes) -> None:
    import pandas as pd

    from kawal.ingest.mapping import load_mapping, read_mapped

    os.environ["KAWAL_PII_KEY"] = PII_KEY
    mapping = load_mapping(GENESYS)
    path = _export_file(data)
    result = _clean(read_mapped, mapping, path, DAY)
    if isinstance(result, KawalError):
        assert str(path) in str(result)
    else:
        assert isinstance(result, pd.DataFrame)
        assert "ANI" not in result.columns  # the caller's number never leaves the reader
        for column in ("wait_s", "talk_s", "hold_s", "acw_s"):
            known = result[column].dropna() if column in ("wait_s", "talk_s") else result[column]  # blank: unknown
            assert all(0 <= v <= 86400 and math.isfinite(v) for v in known)


canonical_cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "answered",
            "abandoned",
            "voice",
            "2026-10-01T09:00:00+07:00",
            "2026-10-01T09:00:00",
            "-5",
            "1e309",
            "NaN",
            "0x10",
            "=HYPERLINK(1)",
        ]
    ),
)


@FUZZ
@given(
    header=st.lists(
        st.sampled_from(
            ["interaction_id", "channel", "queue", "arrived_at", "outcome", "wait_s", "talk_s", "hold_s", "acw_s", "x"]
        ),
        max_size=10,
    ),
    rows=st.lists(st.lists(canonical_cells, max_size=10), max_size=4),
    tail=st.binary(max_size=8),
)
def test_canonical_file_fuzz_through_locate_and_read(header: list[str], rows: list[list[str]], tail: bytes) -> None:
    from kawal.ingest.delivery import day_file, locate_and_read

    landing = Path(tempfile.mkdtemp(dir=_WORK))
    path = day_file(landing, "interactions", DAY)
    path.parent.mkdir(parents=True)
    path.write_bytes("\n".join(",".join(r) for r in [header, *rows]).encode("utf-8", errors="surrogatepass") + tail)
    os.environ["KAWAL_MAPPINGS_DIR"] = str(_WORK / "no-mappings")  # the canonical reader, no mapping
    result = _clean(locate_and_read, "interactions", DAY, landing)
    if isinstance(result, KawalError):
        assert str(path) in str(result)


@FUZZ
@given(data=exports())
def test_sources_check_cli_fuzz_exits_with_a_line_never_a_traceback(data: bytes) -> None:
    import traceback

    from click.testing import CliRunner

    from kawal.cli import main

    os.environ["KAWAL_PII_KEY"] = PII_KEY
    path = _export_file(data)
    result = CliRunner().invoke(main, ["sources", "check", str(GENESYS), str(path)])
    assert result.exit_code in (0, 1, 2), result.output
    crash = result.exception if not isinstance(result.exception, SystemExit | None) else None
    assert crash is None, "".join(traceback.format_exception(crash))[-1500:]
    assert "Traceback" not in result.output


# --- oversized inputs: bounded, in a child process under a hard limit -----------------------------

OVERSIZED = {
    "register: billion laughs (YAML aliases)": (
        "register",
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
        + "kpis: [*i]\nrevisions: [*i]\n",
    ),
    "register: 20 MB of one scalar": ("register", "kpis: '" + "x" * 20_000_000 + "'\n"),
    "register: 100 000 nested lists": ("register", "kpis: " + "[" * 100_000 + "]" * 100_000 + "\n"),
    "export: one 20 MB cell": ("export", "ConversationId;QueueName\n" + "x" * 20_000_000 + ";q\n"),
    "export: 100 000 columns": ("export", ";".join(f"c{i}" for i in range(100_000)) + "\n"),
    "export: 300 000 rows": ("export", ";".join(HEADER) + "\n" + (";".join(GOOD_ROW) + "\n") * 300_000),
}

_CHILD = """
import sys
from pathlib import Path
from datetime import date
from kawal.errors import KawalError
kind, path = sys.argv[1], Path(sys.argv[2])
try:
    if kind == "register":
        from kawal.register.check import load_register
        load_register(path.parent)
    else:
        from kawal.ingest.mapping import load_mapping, read_mapped
        read_mapped(load_mapping(Path(sys.argv[3])), path, date(2026, 10, 1))
    print("ACCEPTED")
except KawalError as exc:
    print("REFUSED", str(exc)[:300])
"""


@pytest.mark.parametrize("case", list(OVERSIZED))
def test_oversized_input_is_bounded(case: str, tmp_path: Path) -> None:
    kind, text = OVERSIZED[case]
    path = tmp_path / ("register.yaml" if kind == "register" else "calls_20261001.csv")
    path.write_text(text, encoding="utf-8")
    if kind == "register":
        (tmp_path / "people.yaml").write_text(yaml.safe_dump(PEOPLE), encoding="utf-8")
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, kind, str(path), str(GENESYS)],
            capture_output=True,
            text=True,
            timeout=180,  # a hang guard: far above any honest answer
            cwd=REPO,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case}: no answer within 180 s (unbounded)")
    out = done.stdout.strip().splitlines()
    assert done.returncode == 0 and out, f"{case}: crashed\n{done.stderr[-1500:]}"
    assert out[-1].startswith(("REFUSED", "ACCEPTED")), out
    if kind == "register" or "cell" in case or "columns" in case:
        assert out[-1].startswith("REFUSED") and str(path) in out[-1], out[-1]
