"""The monthly review minutes (§4.7, §5.5) on a demo month: drafted, filled through the CLI, frozen,
rendered to PDF and read back, and their actions' status in the next monthly report.

Expected agenda items are recomputed with plain SQL over the store (a different route from the ORM
queries under test).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from kawal.register import load_register
from tests.records.demo_month import MONTH, REPO, kawal, sql_rows

REGISTER = load_register(REPO / "kpi_rules")
WIB = ZoneInfo("Asia/Jakarta")
MEETING = "2026-03-05"
ARTIFACTS = REPO / "var" / "test-artifacts"


def _exec(home: Path, sql: str, **params) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{home / 'kawal.db'}")
    with engine.begin() as conn:
        conn.execute(text(sql), params)
    engine.dispose()


def _show(month: str = "2026-02") -> dict:
    result = kawal("review", "show", month, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _expected_refs(home: Path) -> list[str]:
    first, last = "2026-02-01", "2026-02-28"
    in_month = {
        r.ticket_id
        for r in sql_rows(
            home,
            "SELECT DISTINCT ticket_id FROM defect_occurrence WHERE period_start BETWEEN :a AND :b",
            a=first,
            b=last,
        )
    }
    tickets = {r.id: r for r in sql_rows(home, "SELECT id, kind, subject, repeat_flag FROM defect_ticket")}
    repeat = sorted(i for i in in_month if tickets[i].kind == "kpi_defect" and tickets[i].repeat_flag)
    plain = sorted(i for i in in_month if tickets[i].kind == "kpi_defect" and not tickets[i].repeat_flag)
    incidents = sorted(i for i in in_month if tickets[i].kind == "data_incident")
    overdue = [
        r.id
        for r in sql_rows(
            home,
            "SELECT a.id FROM recovery_action a JOIN defect_ticket t ON t.id = a.ticket_id "
            "WHERE a.done_on IS NULL AND a.due_date < :m AND t.active_key IS NOT NULL ORDER BY a.id",
            m=MEETING,
        )
    ]
    subjects = {tickets[i].subject for i in in_month}
    at_risk = [
        r.kpi_id
        for r in sql_rows(
            home,
            "SELECT kpi_id FROM kpi_value WHERE period_type='month' AND period_start=:a AND scope='all' "
            "AND evaluation IN ('at_risk', 'breach') ORDER BY kpi_id",
            a=first,
        )
        if r.kpi_id not in subjects
    ]
    return (
        [f"ticket:{i}" for i in repeat + plain + incidents]
        + [f"recovery:{i}" for i in overdue]
        + [f"kpi:{k}" for k in at_risk]
    )


def _decide_an_overdue_plan(home: Path) -> int:
    """A decided recovery plan whose action falls due before the meeting: an 'overdue action' item."""
    from kawal.defects.lifecycle import PlannedAction
    from kawal.defects.workflow import analyse, decide
    from kawal.store import engine_for, session_scope

    (t,) = sql_rows(home, "SELECT id, responsible FROM defect_ticket WHERE kind='kpi_defect' ORDER BY id LIMIT 1")
    with session_scope(engine_for()) as s:
        analyse(s, REGISTER, t.id, t.responsible, root_cause="rc", coordinated_with="tl", recommendation="rec")
        decide(
            s,
            REGISTER,
            t.id,
            "om",
            [PlannedAction("curative", "Coaching", "tl_voice", date(2026, 3, 2))],
            date(2026, 3, 1),
        )
    return t.id


def test_draft_is_prefilled_from_the_month_and_redrafting_adds_nothing(demo_home: Path) -> None:
    ticket_with_plan = _decide_an_overdue_plan(demo_home)

    first = kawal("review", "new", "2026-02", "--as", "om", "--meeting-date", MEETING, "--place", "Ruang Rapat")
    again = kawal("review", "new", "2026-02", "--as", "om")

    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    (doc,) = _show()["documents"]
    refs = [i["ref"] for i in doc["items"]]
    assert refs == _expected_refs(demo_home)
    assert any(r.startswith("ticket:") for r in refs) and any(r.startswith("recovery:") for r in refs)
    assert [i["number"] for i in doc["items"]] == list(range(1, len(refs) + 1))
    assert "0 item agenda ditambahkan" in again.output  # the site's language by default (#18)
    assert doc["meeting_date"] == MEETING and doc["place"] == "Ruang Rapat" and doc["chair"] == "om"
    # the pre-filled facts state the ticket's state and the count of the month's occurrences
    (n,) = sql_rows(demo_home, "SELECT count(*) AS n FROM defect_occurrence WHERE ticket_id=:t", t=ticket_with_plan)
    item = next(i for i in doc["items"] if i["ref"] == f"ticket:{ticket_with_plan}")
    assert f"{n.n} kejadian pada 2026-02" in item["facts"] and "Coaching" in item["facts"]


def _fill_and_finalize(home: Path) -> dict:
    assert kawal("review", "new", "2026-02", "--as", "pic_quality", "--meeting-date", MEETING).exit_code == 0
    doc = _show()["documents"][0]
    pics = sorted({k.pic for k in REGISTER.kpis})
    assert kawal("review", "attendees", "2026-02", "--as", "om", "om", *pics).exit_code == 0
    numbers = [a for i in doc["items"] for a in ("--item", str(i["number"]))]
    filled = kawal(
        "review", "item", "2026-02", "--as", "om", *numbers,
        "--discussion", "Dibahas bersama PIC <b>tim</b>", "--decision", "Lanjutkan recovery plan",
    )  # fmt: skip
    assert filled.exit_code == 0, filled.output
    for i in doc["items"]:
        if i["kind"] == "repeat_defect":
            ok = kawal(
                "review", "action", "2026-02", "--as", "om", "--item", str(i["number"]), "--kind", "mitigating",
                "--what", f"Cegah berulang {i['ref']}", "--owner", "pic_wfm", "--due", "2026-04-30",
            )  # fmt: skip
            assert ok.exit_code == 0, ok.output
    done_soon = kawal(
        "review", "action", "2026-02", "--as", "om", "--kpi", "scr", "--kind", "corrective",
        "--what", "Coaching agen voice", "--owner", "tl_voice", "--due", "2026-03-20",
    )  # fmt: skip
    late = kawal(
        "review", "action", "2026-02", "--as", "om", "--kpi", "aht", "--kind", "preventive",
        "--what", "Perbarui knowledge base", "--owner", "trainer", "--due", "2026-03-25",
    )  # fmt: skip
    assert done_soon.exit_code == 0 and late.exit_code == 0, done_soon.output + late.output
    final = kawal("review", "finalize", "2026-02", "--as", "om")
    assert final.exit_code == 0, final.output
    return _show()


def test_filled_through_the_cli_finalized_frozen_and_rendered(demo_home: Path) -> None:
    import pypdfium2 as pdfium

    from kawal.review.minutes import content, content_sha256, documents
    from kawal.store import engine_for, session_scope

    refused = kawal("review", "finalize", "2026-02", "--as", "om")
    assert refused.exit_code == 2 and "no review minutes for 2026-02" in refused.output

    shown = _fill_and_finalize(demo_home)

    (doc,) = shown["documents"]
    assert doc["state"] == "final"
    (stored,) = sql_rows(demo_home, "SELECT content_sha256, state FROM review_minutes")
    with session_scope(engine_for()) as s:
        (m,) = documents(s, MONTH)
        frozen = content(s, m)
    assert stored.content_sha256 == content_sha256(frozen) and stored.state == "final"
    # frozen: every edit refused with one line pointing at the addendum
    for args in (
        ("item", "2026-02", "--as", "om", "--item", "1", "--discussion", "ubah"),
        ("attendees", "2026-02", "--as", "om", "trainer"),
        ("action", "2026-02", "--as", "om", "--kpi", "scr", "--kind", "curative", "--what", "x", "--owner", "om",
         "--due", "2026-12-01"),
        ("finalize", "2026-02", "--as", "om"),
        ("new", "2026-02", "--as", "om"),
    ):  # fmt: skip
        result = kawal("review", *args)
        assert result.exit_code == 2, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1 and "kawal review addendum 2026-02" in result.output
    assert sql_rows(demo_home, "SELECT content_sha256 FROM review_minutes")[0].content_sha256 == stored.content_sha256

    # a change after freezing is an addendum, finalized in its turn
    assert kawal("review", "addendum", "2026-02", "--as", "pic_hr", "--reason", "x").exit_code == 2
    opened = kawal("review", "addendum", "2026-02", "--as", "om", "--reason", "Tambahan tindakan SDM",
                   "--meeting-date", "2026-03-12")  # fmt: skip
    assert opened.exit_code == 0 and "KWL/RR/2026/02-A1" in opened.output, opened.output
    assert kawal("review", "attendees", "2026-02", "--as", "om", "om", "pic_hr").exit_code == 0
    assert kawal("review", "item", "2026-02", "--as", "om", "--title", "Rekrutmen", "--kpi", "seat_fulfilment",
                 "--discussion", "Kurang 5 seat").exit_code == 0  # fmt: skip
    assert kawal("review", "finalize", "2026-02", "--as", "om").exit_code == 0
    docs = _show()["documents"]
    assert [(d["document_number"], d["state"]) for d in docs] == [
        ("KWL/RR/2026/02", "final"),
        ("KWL/RR/2026/02-A1", "final"),
    ]

    out = demo_home / "risalah.pdf"
    rendered = kawal("review", "render", "2026-02", "--out", str(out))
    assert rendered.exit_code == 0, rendered.output
    pdf = pdfium.PdfDocument(out)
    pages = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    pdf.close()
    whole = " ".join("\n".join(pages).split())  # table cells wrap lines
    assert "Risalah Rapat Review KPI Bulanan" in pages[0] and "KWL/RR/2026/02" in pages[0]
    assert "Februari 2026" in pages[0] and f"Halaman 1 dari {len(pages)}" in pages[0]
    assert REGISTER.people.person("pic_quality").name in whole  # an attendee
    assert "Coaching agen voice" in whole and "Perbarui knowledge base" in whole
    assert "<b>tim</b>" in whole  # people's text is text, not markup
    assert "Addendum 1" in whole and "Tambahan tindakan SDM" in whole
    assert "DRAF" not in whole
    # page 1 as PNG for the visual check (the report's look: A4, text on a white page), kept as an artifact
    doc = pdfium.PdfDocument(out)
    image = doc[0].render(scale=1.0).to_pil().convert("L")
    doc.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / "minutes-page1.png")
    assert abs(image.width / image.height - 210 / 297) < 0.01
    assert 0.002 < sum(1 for px in image.tobytes() if px < 100) / (image.width * image.height) < 0.2


def test_next_report_shows_the_status_of_every_decided_action(demo_home: Path) -> None:
    from kawal.reports.context import build_context
    from kawal.reports.render import render_html
    from kawal.store import engine_for

    shown = _fill_and_finalize(demo_home)
    actions = {a["description"]: a for a in shown["documents"][0]["actions"]}
    coaching = actions["Coaching agen voice"]["id"]
    # only the owner or the Accountable reports an action done
    assert kawal("review", "done", str(coaching), "--as", "trainer", "--on", "2026-03-18").exit_code == 2
    assert kawal("review", "done", str(coaching), "--as", "tl_voice", "--on", "2026-03-18").exit_code == 0

    # the fixture holds February's data only: March's report is rendered marked empty, for its review section
    ctx = build_context(
        engine_for(), REGISTER, date(2026, 3, 1), generated_at=datetime(2026, 4, 2, 7, tzinfo=WIB), allow_empty=True
    )
    assert ctx.caveats[0].startswith("TIDAK ADA nilai KPI") and not ctx.complete

    decided = sql_rows(demo_home, "SELECT id, description, due_date, done_on FROM review_action ORDER BY id")
    assert sorted(a["id"] for a in ctx.review_actions) == [r.id for r in decided]

    def expected(r) -> str:  # type: ignore[no-untyped-def]
        if r.done_on is not None:
            return "done"
        return "overdue" if str(r.due_date) < "2026-04-02" else "open"

    assert {a["id"]: a["state"] for a in ctx.review_actions} == {r.id: expected(r) for r in decided}
    states = {a["description"]: a["status"] for a in ctx.review_actions}
    assert states["Coaching agen voice"] == "selesai 2026-03-18"
    assert states["Perbarui knowledge base"] == "lewat tenggat"
    html = render_html(ctx.as_dict())
    assert "Belum ada risalah rapat" not in html and "Perbarui knowledge base" in html and "KWL/RR/2026/02" in html
    # the report of the reviewed month itself predates the review: it shows none
    assert build_context(engine_for(), REGISTER, MONTH).review_actions == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("new", "2026-02", "--as", "nobody"), "--as 'nobody' is not among the people"),
        (("new", "2026-02", "--as", "om", "--meeting-date", "2026-02-20"), "held after the month ends"),
        (("new", "2026-13", "--as", "om"), "not in the form YYYY-MM"),
        (("item", "2026-02", "--as", "om", "--item", "999", "--discussion", "x"), "item 999 is not on KWL/RR/2026/02"),
        (("action", "2026-02", "--as", "om", "--kind", "someday", "--what", "x", "--owner", "om", "--due",
          "2026-04-01", "--kpi", "scr"), "--kind 'someday'"),
        (("action", "2026-02", "--as", "om", "--kind", "curative", "--what", "x", "--owner", "om", "--due",
          "2026-04-01"), "linked to its defect or KPI"),
        (("action", "2026-02", "--as", "om", "--kind", "curative", "--what", "x", "--owner", "om", "--due",
          "2026-03-01", "--kpi", "scr"), "before the meeting"),
        (("action", "2026-02", "--as", "om", "--kind", "curative", "--what", "x", "--owner", "ghost", "--due",
          "2026-04-01", "--kpi", "scr"), "--owner 'ghost'"),
        (("action", "2026-02", "--as", "om", "--kind", "curative", "--what", "x", "--owner", "om", "--due",
          "2026-04-01", "--kpi", "nope"), "--kpi 'nope' is not a KPI"),
        (("action", "2026-02", "--as", "om", "--kind", "curative", "--what", "x", "--owner", "om", "--due",
          "2026-04-01", "--ticket", "9999"), "ticket #9999 does not exist"),
        (("finalize", "2026-02", "--as", "pic_hr"), "only the Accountable"),
        (("finalize", "2026-02", "--as", "om"), "cannot be finalized yet"),
    ],
    ids=lambda v: v[0] if isinstance(v, tuple) else None,
)  # fmt: skip
def test_bad_input_is_one_clear_line(demo_home: Path, args: tuple[str, ...], message: str) -> None:
    if args[0] != "new":
        assert kawal("review", "new", "2026-02", "--as", "om", "--meeting-date", MEETING).exit_code == 0

    result = kawal("review", *args)

    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert message in result.output and "Traceback" not in result.output, result.output
    if "YYYY-MM" not in message:  # click's own usage errors have a usage line too
        assert len(lines) == 1, lines


def test_minutes_on_sqlite_and_postgresql(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The model helpers on both stores: a month with no data still gets minutes, an action and its status."""
    from kawal.review.actions import actions_for_report, mark_done
    from kawal.review.minutes import add_action, draft_minutes, finalize, record_item, set_attendees
    from kawal.store import engine_for, session_scope

    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    engine = engine_for(store_url)
    first = date(2026, 5, 1)
    with session_scope(engine) as s:
        _minutes, added = draft_minutes(s, REGISTER, first, "om", date(2026, 6, 3))
        set_attendees(s, REGISTER, first, "om", ["om", "pic_performance"])
        record_item(
            s, REGISTER, first, "om", numbers=[], title="Kapasitas Lebaran", discussion="Perlu agen", kpi_id="scr"
        )
        action = add_action(
            s, REGISTER, first, "om", kind="preventif", description="Rekrut 10 agen", owner="pic_hr",
            due=date(2026, 6, 30), item_number=1,
        )  # fmt: skip
        finalize(s, REGISTER, first, "om")
        action_id = action.id
    with session_scope(engine) as s:
        mark_done(s, REGISTER, action_id, "pic_hr", date(2026, 6, 20))
    with session_scope(engine) as s:
        shown = actions_for_report(s, REGISTER, date(2026, 6, 1), date(2026, 7, 2))
    assert added == 0
    assert [(a["kind"], a["link"], a["status"]) for a in shown] == [
        ("preventif/mitigasi", "Success Call Ratio", "selesai 2026-06-20")
    ]
