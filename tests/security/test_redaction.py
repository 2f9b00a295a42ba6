"""No raw data in messages (issue #17, finding 2).

"missing required column(s) … (found: <the first line>)" put a file's first line — a password
file, a headerless export's first customer row with a phone number — into ``ingestion_batch``,
``kpi_value``, ``defect_occurrence``, ``defect_event``, the outbox and a delivered mail. Now a
message shows a data cell by its shape only, a header cell only when the line is evidently a header
and the cell looks like a name, and one guard (:func:`kawal.redaction.scrub`) masks e-mail
addresses, URL passwords and identifier-long numbers wherever a message leaves the process.

The end-to-end test runs the daily pipeline's steps (ingest → defects → send, through a real SMTP
server) on both stores; the property tests feed hostile and personal data as a first line and as a
cell, and check the message never carries it.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kawal.errors import SourceFileError
from kawal.redaction import cell, figure, header_cell, header_line, moment, scrub, scrub_json
from tests.conftest import REPO
from tests.properties import budget

pytestmark = pytest.mark.security

DAY = date(2026, 10, 1)
PHONE = "081298765432"
NIK = "3174051207850003"
EMAIL = "siti.rahmawati@gmail.com"
NAME = "Siti Rahmawati"
CUSTOMER_ROW = f"10042,voice,gadai,2026-10-01T09:00:00+07:00,answered,12,180,0,20,{PHONE},{NAME},{EMAIL},{NIK}"
GENESYS = REPO / "mappings" / "examples" / "genesys-interactions.yaml"
SECRETS_OF_THE_ROW = (PHONE, NIK, EMAIL, NAME, "siti.rahmawati", "98765432")


# --- the finding, end to end --------------------------------------------------------------------


def _texts_of_the_store(url: str) -> dict[str, str]:
    """Every row of the tables a problem reaches, as one text per table."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    out = {}
    with engine.connect() as conn:
        for table in (
            "ingestion_batch",
            "kpi_value",
            "defect_ticket",
            "defect_occurrence",
            "defect_event",
            "notification",
        ):
            rows = conn.execute(text(f"SELECT * FROM {table}")).all()
            out[table] = "\n".join(" | ".join(map(str, r)) for r in rows)
    engine.dispose()
    return out


@pytest.mark.parametrize("delivery", ["canonical", "mapped"])
def test_a_headerless_export_leaves_its_customer_row_nowhere(  # type: ignore[no-untyped-def]
    delivery: str, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mail_sink
) -> None:
    # arrange: a headerless export — its first line is a customer's row, phone and e-mail included
    from kawal.pipeline.daily import ingest_source_day, open_defects_for_day, send_notifications

    landing = tmp_path / "landing"
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(landing))
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAWAL_MAPPINGS_DIR", str(mappings))
    second = CUSTOMER_ROW.replace("10042", "10043").replace("09:00:00", "09:05:00")
    if delivery == "canonical":
        target = landing / "interactions" / "interactions_2026-10-01.csv"
        body = f"{CUSTOMER_ROW}\n{second}\n"
    else:
        from kawal.ingest.mapping import load_mapping

        shutil.copy(GENESYS, mappings / "genesys.yaml")
        target = load_mapping(mappings / "genesys.yaml").day_file(landing, DAY)
        body = f"{CUSTOMER_ROW}\n{second}\n".replace(",", ";")
    target.parent.mkdir(parents=True)
    target.write_text(body, encoding="utf-8")

    # act: the daily pipeline's steps — ingest (refused), the data incident, the mail sent
    with pytest.raises(SourceFileError) as err:
        ingest_source_day("interactions", DAY)
    open_defects_for_day(DAY)
    assert send_notifications()["sent"] >= 1

    # assert: nothing of the customer's row is anywhere, and the line still says what is wrong
    message = str(err.value)
    stored = _texts_of_the_store(store_url)
    mails = mail_sink.messages()
    delivered = "\n".join(
        m.as_string() + "\n".join(part.get_content() for part in m.walk() if part.get_content_maintype() == "text")
        for m in mails
    )
    places = {"the error": message, **stored, "the delivered mail": delivered}
    leaks = [(where, secret) for secret in SECRETS_OF_THE_ROW for where, text in places.items() if secret in text]
    assert leaks == []
    assert stored["ingestion_batch"] and stored["defect_occurrence"] and stored["notification"] and mails
    for where in ("the error", "ingestion_batch", "kpi_value", "defect_occurrence", "the delivered mail"):
        assert "missing" in places[where] and "names none of the expected columns" in places[where], where


# --- how a cell, a header, a figure and a moment are shown ---------------------------------------


def test_a_data_cell_is_shown_by_its_shape_only() -> None:
    assert cell("0812-3456-7890") == "'####-####-####'"
    assert cell("kemarin") == "'xxxxxxx'"
    assert cell("01/10/26 9h15") == "'##/##/## #x##'"
    assert cell("") == "''"
    assert cell("<b>'x'</b>\x00") == "'?x??x??/x??'"
    assert cell("root:x:0:0:root:/root:/bin/bash") == "'xxxx:x:#:#:xxxx:/xxxx:/x…' (31 characters)"


def test_a_header_cell_is_quoted_only_when_it_looks_like_a_name() -> None:
    assert header_cell("queue_time") == "queue_time"
    assert header_cell("Durasi (detik)") == "Durasi (detik)"
    assert header_cell(PHONE) == "'############'"
    assert header_cell(EMAIL) == "'xxxx.xxxxxxxxx@xxxxx.xxx'"
    assert header_cell("x" * 65).startswith("'xxxx")
    # a header (it names an expected column): its names are shown, a value-looking cell masked
    assert header_line(["interaction_id", "queue_time", PHONE], ["interaction_id"]) == (
        "found: interaction_id, queue_time, '############'"
    )
    # a data row (it names none): nothing of it is quoted, not even the cells that look like names
    shown = header_line(["10042", "voice", NAME], ["interaction_id", "channel"])
    assert NAME not in shown and "voice" not in shown and "3 cell(s)" in shown


def test_figures_and_moments() -> None:
    assert figure(50000.0) == "50000"
    assert figure(81298765432.0) == "a number of 11 digits"
    assert moment("2026-10-01T00:00:00+07:00") == "2026-10-01T00:00:00+07:00"
    assert moment("2026-10") == "2026-10"
    assert moment(PHONE) == "'############'"


@pytest.mark.parametrize(
    "legitimate",
    [
        "KPI SCR 98,198 % (target ≥ 98,5)",
        "data interactions 2026-10-01 dikarantina: row 3, column wait_s: '#####' is not a number",
        "the last arrived_at is 12:39 WIB; 2026-10-01T23:59:59+07:00, 01/10/2026 09:00:00, 01.10.2026",
        "Tiket #12 (mayor) · batch 4 · 1,234,567 rows · 33554432 bytes · 0.123456789012",
        "landing/interactions/interactions_2026-10-01.csv, calls_20261001.csv, export_20261001_235959.csv",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, 1234567890abcdef0123",
        "pseudonym 0123456789abcdef0123456789abcdef; https://kawal.example/kawal/defects/12",
        "offered 1,204 · answered 1,180 · abandoned 24 (short 3); 2026-10-01 09:00",
        "postgresql+psycopg://kawal:***@127.0.0.1:1/acd could not be read",
    ],
)
def test_the_guard_leaves_legitimate_content_alone(legitimate: str) -> None:
    assert scrub(legitimate) == legitimate


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        (f"found: {PHONE}, voice", PHONE),
        ("call +62 812-9876-5432 back", "812-9876-5432"),
        ("ring (021) 5550 1234", "5550 1234"),
        (f"NIK {NIK}.", NIK),
        ("NIK 3174 0512 0785 0003", "3174 0512 0785 0003"),
        (f"mail {EMAIL}, please", EMAIL),
        ("postgresql://kawal:s3cret-pw@db:5432/acd", "s3cret-pw"),
        ("2026-10-01 081298765432", PHONE),
        ("a NIK read as a number: 3174051207850003.0", NIK),
    ],
)
def test_the_guard_masks_identifiers(message: str, secret: str) -> None:
    assert secret not in scrub(message)
    assert scrub(scrub(message)) == scrub(message)  # idempotent: a guarded text passes unchanged


def test_the_guard_on_json_touches_string_values_only() -> None:
    document = '{"problem": "found: 081298765432", "staged": {"landing_mtime_ns": 1764604800123456789}}'
    guarded = scrub_json(document)
    assert guarded is not None and PHONE not in guarded and "1764604800123456789" in guarded
    clean = '{"a": 1, "b": "2026-10-01"}'
    assert scrub_json(clean) is clean  # unchanged text: a re-run writes the same bytes


def test_the_store_guards_its_message_columns() -> None:
    from kawal.store.models import DefectEvent, DefectOccurrence, IngestionBatch, KpiValue, Notification

    assert PHONE not in (IngestionBatch(reason=f"found: {PHONE}").reason or "")
    assert PHONE not in (KpiValue(reason=f"x {PHONE}", evaluation_note=EMAIL).reason or "")
    assert EMAIL not in (KpiValue(evaluation_note=EMAIL).evaluation_note or "")
    assert PHONE not in (DefectOccurrence(note=PHONE).note or "")
    assert PHONE not in (DefectEvent(details=f'{{"problem": "{PHONE}"}}').details or "")
    assert EMAIL not in (Notification(last_error=f"refused: {EMAIL}").last_error or "")


# --- properties: hostile and personal data as a first line and as a cell -------------------------

phones = st.from_regex(r"(\+62 ?|0)8[1-9][0-9]{2}[ -]?[0-9]{4}[ -]?[0-9]{3,4}", fullmatch=True)
niks = st.from_regex(r"[1-9][0-9]{15}", fullmatch=True)
emails = st.from_regex(r"[a-z]{3,9}\.[a-z]{3,9}[0-9]{0,3}@(gmail\.com|yahoo\.co\.id|bank\.co\.id)", fullmatch=True)
names = st.tuples(
    st.sampled_from(["Siti", "Budi", "Dewi", "Agus", "Rina", "Joko", "Putri", "Wahyu"]),
    st.sampled_from(["Rahmawati", "Santoso", "Lestari", "Hidayat", "Pratama", "Kusuma"]),
).map(" ".join)
passwd_lines = st.from_regex(
    r"[a-z]{4,8}:x:[0-9]{3,4}:[0-9]{3,4}:[A-Za-z]{3,10}:/home/[a-z]{4,8}:/bin/(ba)?sh", fullmatch=True
)
markup = st.sampled_from(
    ["<script>alert('kawal')</script>", "<img src=file:///etc/passwd>", '=HYPERLINK("http://x.example")']
)
controls = st.text(alphabet=st.characters(categories=["Cc"]), min_size=3, max_size=8).map(lambda t: f"pw{t}leak")
secrets = st.one_of(phones, niks, emails, names, passwd_lines, markup, controls)


def _tells(secret: str) -> list[str]:
    """What of ``secret`` a message must not carry: the secret, and its digits as one run (a masked
    phone number keeps no more than its shape)."""
    digits = re.sub(r"\D", "", secret)
    tells = [secret] + ([digits] if len(digits) >= 5 else [])
    if "@" in secret:  # an address's local part names its person
        tells.append(secret.split("@", 1)[0])
    if ":/" in secret:  # a password file's line: its user's name and home
        tells += [part for part in secret.split(":") if len(part) >= 4 and re.search("[a-z]", part)]
    return tells


def _refused(content: str, tmp: Path) -> str:
    from kawal.ingest.readers import read_source
    from kawal.sources import SOURCES

    path = tmp / "interactions_2026-10-01.csv"
    path.write_text(content, encoding="utf-8", newline="")
    with pytest.raises(SourceFileError) as err:
        read_source(SOURCES["interactions"], path, DAY)
    return err.value.problem  # what follows the file's path (a test folder's path may hold "root")


HEADER = "interaction_id,channel,queue,arrived_at,outcome,wait_s,talk_s,hold_s,acw_s"
GOOD = "1,voice,gadai,2026-10-01T09:00:00+07:00,answered,12,180,0,20"


def _csv_field(secret: str) -> str:
    return '"' + secret.replace('"', '""') + '"'


@given(secret=secrets, position=st.integers(min_value=0, max_value=8))
@budget(200, slow_ok=True)
@example(secret="root:x:0:0:root:/root:/bin/bash", position=0)
@example(secret=PHONE, position=3)
def test_a_secret_on_the_first_line_is_never_quoted(secret: str, position: int, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    cells = GOOD.split(",")
    cells[position] = _csv_field(secret)
    message = _refused(",".join(cells) + "\n" + GOOD + "\n", tmp_path_factory.mktemp("first-line"))
    for tell in _tells(secret):
        assert tell not in message, message


#: Columns where any of the secrets fails the layout's check (channel and queue are free text: a name
#: is a valid queue), so the message is about the very cell that holds the secret.
CHECKED_COLUMNS = ["interaction_id", "arrived_at", "outcome", "wait_s", "talk_s", "hold_s", "acw_s"]


@given(secret=secrets, column=st.sampled_from(CHECKED_COLUMNS))
@budget(200, slow_ok=True)
@example(secret=PHONE, column="wait_s")
@example(secret=NAME, column="outcome")
@example(secret=NIK, column="interaction_id")
def test_a_secret_in_a_cell_is_never_quoted(secret: str, column: str, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    good = dict(zip(HEADER.split(","), GOOD.split(","), strict=True))
    bad = {**good, "interaction_id": "2", column: _csv_field(secret)}
    if column == "interaction_id":  # an id is refused when it repeats: the message then names it
        good = bad
    rows = "\n".join(",".join(r.values()) for r in (good, bad))
    message = _refused(f"{HEADER}\n{rows}\n", tmp_path_factory.mktemp("cell"))
    assert f"column {column}" in message, message
    for tell in _tells(secret):
        assert tell not in message, message


@given(secret=secrets, position=st.integers(min_value=0, max_value=5))
@budget(100, slow_ok=True)
@example(secret=EMAIL, position=0)
def test_a_secret_on_a_mapped_exports_first_line_is_never_quoted(secret: str, position: int, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    from kawal.ingest.mapping import load_mapping, read_mapped

    mapping = load_mapping(GENESYS)
    cells = ["c-1", "GADAI", "01/10/2026 09:00:00", "ANSWERED", "0:03:00", "0812"]
    cells[position] = _csv_field(secret)
    path = tmp_path_factory.mktemp("mapped") / "calls_20261001.csv"
    path.write_text(";".join(cells) + "\n", encoding="utf-8")
    with pytest.raises(SourceFileError) as err:
        read_mapped(mapping, path, DAY)
    for tell in _tells(secret):
        assert tell not in err.value.problem, err.value.problem


@given(
    secret=st.one_of(phones, niks, emails),
    before=st.sampled_from(["", "found: ", "row 3, column queue: ", "2026-10-01 ", "Tiket #12 · "]),
    after=st.sampled_from(["", ", voice", " is not a number", ".", " (mapping vendor)"]),
)
@budget(300)
def test_the_guard_masks_every_phone_nik_and_address(secret: str, before: str, after: str) -> None:
    guarded = scrub(before + secret + after)
    for tell in _tells(secret):
        assert tell not in guarded, guarded


# --- GX's own record of a failing delivery --------------------------------------------------------


def test_gx_validation_results_keep_no_cell_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GX's SUMMARY result carries ``partial_unexpected_list`` (the raw values of failing rows) into
    the validation results store, which Data Docs render and the audit pack draws on: Kawal keeps
    the rows and counts, and the values by their shape only."""
    import json

    from kawal.checks.suites import validate_delivery
    from tests.frames import frame

    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    rows = [
        ("gx-1", "voice", "gadai", "2026-10-01T09:00:00+07:00", "answered", 10, 100, 0, 0),
        ("gx-2", "voice", "gadai", "2026-10-01T09:05:00+07:00", NAME, -81298765432, 100, 0, 0),
    ]
    result = validate_delivery("interactions", frame("interactions", rows), "a7" * 32)
    assert not result.success and {f["column"] for f in result.failed} >= {"outcome", "wait_s"}
    assert all(f["rows"] == [3] for f in result.failed if f["column"] in ("outcome", "wait_s"))
    stored = [p.read_text(encoding="utf-8") for p in (tmp_path / "home" / "gx" / "validations").rglob("*.json")]
    assert stored and any('"partial_unexpected_list"' in text for text in stored)
    for text in stored:
        for tell in (NAME, "81298765432", "8.1298765432e+10", "Rahmawati"):
            assert tell not in text
    assert any("partial_unexpected_index_list" in text for text in stored)
    assert json.loads(stored[-1])["meta"]["batch_markers"]["pandas_data_fingerprint"] == "a7" * 32


def test_sources_check_prints_nothing_of_a_headerless_exports_first_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kawal.cli import main

    export = tmp_path / "calls_20261001.csv"
    export.write_text(CUSTOMER_ROW.replace(",", ";") + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["sources", "check", str(GENESYS), str(export)])
    assert result.exit_code == 1 and "names none of the expected columns" in result.output, result.output
    for secret in SECRETS_OF_THE_ROW:
        assert secret not in result.output
