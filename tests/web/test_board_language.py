"""The board speaks one language per page (#18): every word of its catalogue (kawal.web.i18n) exists in
Indonesian and English, and a rendered page in one language carries no catalogue word of the other, no
raw state, event, kind or KPI id, and no English refusal of the workflow on an Indonesian page.

Every page is rendered by the board's own app (Starlette's TestClient, ``board_client`` in conftest.py)
over the seeded store (tests/web/seed.py). What people typed and what the register and the frozen minutes
say (names, roles, root causes, decisions, definitions) is data, not the board's words: it is taken out
of the page before the check, by the values the store and register hold.
"""

from __future__ import annotations

import re
import string
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from kawal.defects.lifecycle import State
from kawal.register import load_register
from kawal.store import engine_for, session_scope
from kawal.store.models import DefectEvent, DefectOccurrence, DefectTicket, RecoveryAction
from kawal.web.i18n import _WORDS, LANGS, refusal_kind, words
from tests.web.conftest import REPO

REGISTER = load_register(REPO / "kpi_rules")
OCTOBER = "2026-10"
#: Words both languages use as they are (codes, the ISO clause, the site's abbreviations).
SHARED = {"KPI", "PIC", "Accountable", "Defect", "final", "WIB", "SHA-256", "Kawal"}


def _pieces(value: str) -> list[str]:
    """The literal parts of a catalogue value (its ``{placeholders}`` are anything)."""
    return [literal for literal, *_ in string.Formatter().parse(value) if literal and literal.strip()]


def _pattern(value: str) -> re.Pattern[str] | None:
    pieces = _pieces(value)
    words_only = {w.strip(string.punctuation + "«»—·") for p in pieces for w in p.split()} - {""}
    if not pieces or words_only <= SHARED:  # e.g. "Accountable ({name})": the same words in both languages
        return None
    parts = [re.escape(" ".join(p.split())) for p in pieces]
    return re.compile(r"(?<!\w)" + r".{1,80}?".join(parts) + r"(?!\w)")


def foreign_words(text: str, lang: str) -> list[str]:
    """The catalogue values of the other language (those that differ from ``lang``'s) found in ``text``."""
    own, other = words(lang), words("en" if lang == "id" else "id")
    own_values = {" ".join(v.split()) for v in own.values()}
    found = []
    for key, value in other.items():
        flat = " ".join(value.split())
        if flat == " ".join(own.get(key, "").split()) or flat in own_values:
            continue  # the same word in both languages (e.g. "Status", "Severity"): not a sign of either
        pattern = _pattern(value)
        if pattern and pattern.search(text):
            found.append(f"{key}={flat!r}")
    return found


#: Raw values of the store that must never be shown as they are: underscored states, kinds, events, lists
RAW = sorted(
    {s.value for s in State if "_" in s.value}
    | {"kpi_defect", "data_incident", "data_engineering", "occurrence_added", "action_overdue", "severity_raised"}
    | {"flagged_repeat", "not_evaluable", "at_risk"}
)


def raw_ids(text: str) -> list[str]:
    """Raw state/kind/event values and lowercase KPI ids (``rt``, ``scr``) shown as words."""
    found = [r for r in RAW if re.search(rf"(?<![\w-]){r}(?![\w-])", text)]
    found += [k.id for k in REGISTER.kpis if re.search(rf"(?<![\w/-]){re.escape(k.id)}(?![\w-])", text)]
    return found


class _Visible(HTMLParser):
    """What a reader sees: text (without scripts, styles and the chart's drawing) and the column names
    the phone layout shows from ``data-label``, the labels a screen reader reads."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "svg"):
            self._skip += 1
        for name, value in attrs:
            if name in ("data-label", "aria-label", "title", "placeholder") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "svg") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str, data: list[str]) -> str:
    parser = _Visible()
    parser.feed(html)
    text = " ".join(" ".join(parser.parts).split())
    for cell in sorted(data, key=len, reverse=True):  # people's and the register's words are not the board's
        text = text.replace(" ".join(cell.split()), " ▪ ")
    return text


def _data_cells(store_url: str) -> list[str]:
    from kawal.review.render import minutes_context
    from kawal.settings import now_site

    cells: list[str] = []
    for p in REGISTER.people.people:
        cells += [p.name, p.role]
    for k in REGISTER.kpis:
        cells += [k.definition.in_words, k.name_id, k.name_en]
    with session_scope(engine_for(store_url)) as s:
        for t in s.scalars(select(DefectTicket)):
            cells += [x for x in (t.root_cause, t.coordinated_with, t.recommendation) if x]
        cells += [a.description for a in s.scalars(select(RecoveryAction))]
        cells += [o.note for o in s.scalars(select(DefectOccurrence)) if o.note]
        from datetime import date

        for doc in minutes_context(s, REGISTER, date(2026, 10, 1), now_site().date())["documents"]:
            cells += [x for x in (doc.get("place"), doc.get("reason")) if x]
            for i in doc["items"]:
                cells += [x for x in (i["title"], i["facts"], i["discussion"], i["decision"]) if x]
            cells += [a["description"] for a in doc["actions"]]
        cells += [e.details for e in s.scalars(select(DefectEvent)) if e.details]
    return [c for c in cells if c and c.strip()]


PAGES = [
    "/",
    f"/?month={OCTOBER}",
    "/?month=2026-11",
    f"/kpi/scr?month={OCTOBER}",
    f"/kpi/rt?month={OCTOBER}",
    "/defects",
    "/defects?all=1",
    "/defects?view=mine",
    "/defects?view=overdue",
    "/defects?view=escalated",
    "/review",
    "/review?month=2026-11",
    "/no-such-page",
]


def _pages(board_client, lang: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every page of the board in ``lang``, as three people see it, plus refused and invalid forms."""
    out: dict[str, str] = {}
    ids = board_client.tickets
    for user in ("om", "pic_performance", "pic_quality", "guest"):
        client = board_client.as_user(user)
        for path in [*PAGES, *(f"/defects/{i}" for i in ids.values()), "/defects/999"]:
            sep = "&" if "?" in path else "?"
            response = client.get(f"{path}{sep}lang={lang}")
            assert response.status_code in (200, 404), (user, path, response.status_code)
            out[f"{user} {path}"] = response.text
    posts = [
        (
            "pic_quality",
            ids["csi"],
            "decide",
            {"curative_description": "x1", "curative_owner": "om", "curative_due": "2030-01-31"},
        ),
        ("om", ids["scr"], "close", {"note": "x2"}),  # wrong state
        ("pic_performance", ids["scr"], "analyse", {"root_cause": "", "recommendation": "x3"}),
        (
            "om",
            ids["csi"],
            "decide",
            {"curative_description": "x4", "curative_owner": "om", "curative_due": "31-01-2030"},
        ),
        (
            "om",
            ids["csi"],
            "decide",
            {"curative_description": "x5", "curative_owner": "", "curative_due": "2030-01-31"},
        ),
        (
            "om",
            ids["csi"],
            "decide",
            {"preventive_description": "x6", "preventive_owner": "om", "preventive_due": "2030-01-31"},
        ),
        ("guest", ids["csi"], "decide", {"curative_description": "x7"}),  # an Airflow user who is nobody
    ]
    for user, ticket_id, action, form in posts:
        client = board_client.as_user(user)
        client.cookies.set("kawal_lang", lang)
        page = client.get(f"/defects/{ticket_id}")
        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
        response = client.post(f"/defects/{ticket_id}/{action}", data={"csrf_token": token, **form})
        assert response.status_code in (400, 403), (user, action, response.status_code, response.text[:500])
        assert 'data-testid="message"' in response.text and "kawal_csrf" not in response.text  # not the CSRF page
        assert words(lang)["csrf"] not in response.text, (user, action)
        out[f"{user} POST {action} #{ticket_id}"] = response.text
    return out


def test_every_word_of_the_catalogue_is_in_both_languages_with_the_same_placeholders() -> None:
    assert set(_WORDS["id"]) == set(_WORDS["en"])
    assert set(words("id")) == set(words("en"))
    for key in words("id"):
        fields = [{f for _, f, *_ in string.Formatter().parse(words(lang)[key]) if f} for lang in LANGS]
        assert fields[0] == fields[1], key
        assert words("id")[key].strip() and words("en")[key].strip(), key


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_speaks_only_its_own_language(board_client, lang: str) -> None:  # type: ignore[no-untyped-def]
    data = _data_cells(board_client.store_url)
    pages = _pages(board_client, lang)
    problems = {}
    for name, html in pages.items():
        text = visible_text(html, data)
        bad = foreign_words(text, lang) + [f"raw {r!r}" for r in raw_ids(text)]
        if lang == "id" and "refused:" in text:
            bad.append("an English refusal of the workflow")
        if bad:
            problems[name] = bad
    assert not problems, "\n".join(f"{name}: {bad}" for name, bad in problems.items())


def test_the_checks_find_a_planted_word_a_raw_state_and_a_raw_kpi_id() -> None:
    # the checks can fail: each planted mistake is found (run once by hand against a template, too)
    english = "Ticket #1 · Success Call Ratio — recovery plan diputuskan"
    assert foreign_words(english, "en") == ["state_plan_decided='recovery plan diputuskan'"] or any(
        "plan diputuskan" in f for f in foreign_words(english, "en")
    )
    assert foreign_words("Status tiket: open", "id")
    assert raw_ids("Tiket #1 · plan_decided") == ["plan_decided"]
    assert raw_ids("KPI rt: 20 detik") == ["rt"]
    assert raw_ids("Response Time (RT) · /kawal/kpi/rt") == []


@pytest.mark.parametrize(
    ("message", "key"),
    [
        ("refused: ticket #3 is open: cannot close it; possible now: analyse", "refused_wrong_state"),
        (
            "refused: Sari Dewi (pic_quality) may not decide ticket #2 (csi); only the Accountable X (om) may",
            "refused_wrong_role",
        ),
        (
            "refused: ticket #2 is already plan_decided: someone else acted on it a moment ago and nothing",
            "refused_race",
        ),
        ("refused: an analysis needs a root cause", "refused_needs_root_cause"),
        ("refused: a recovery plan needs at least one curative action (--action)", "refused_needs_curative"),
        ("refused: action owner 'x' is not among the people in kpi_rules/people.yaml", "refused_owner_unknown"),
        ("refused: action 1 is due 2026-01-01, before the plan is decided (2026-12-01)", "refused_due_before_plan"),
        (
            "refused: --done-on 2030-01-01 is in the future (today is 2026-12-01): record the actions once done",
            "refused_done_future",
        ),
        (
            "refused: ticket #1 cannot be closed yet: KPI scr has been on target for 0 of the 3 consecutive period(s) "
            "required since monitoring began on 2026-12-01 (effectiveness check, ISO 9001 10.2)",
            "refused_not_effective",
        ),
        ("refused: the note is 5,000 characters long; at most 4,000 are kept (shorten it, or …)", "refused_too_long"),
        ("something new the workflow says", "refused_other"),
    ],
)
def test_each_kind_of_refusal_has_its_catalogue_line(message: str, key: str) -> None:
    assert refusal_kind(message)[0] == key
    for lang in LANGS:  # and the line formats with what the kind carries
        from kawal.web.i18n import refusal_text

        assert refusal_text(message, words(lang))
