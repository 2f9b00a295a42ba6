"""Every KPI of the shipped register against a value worked out by hand.

Each case is a tiny day file of the KPI's source, written out row by row, and the numerator,
denominator and value expected for every scope (``all`` and each breakdown), computed by hand in
the comment above it and written down as literal numbers: nothing here is recomputed with the code
under test. ``kpi_day_rows`` is called exactly as the daily pipeline calls it (all KPIs of the
source at once). The last test fails when the register gains a KPI without a case here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from kawal.kpis.day import kpi_day_rows
from kawal.register import load_register
from tests.frames import frame

REPO = Path(__file__).resolve().parents[2]
REGISTER = load_register(REPO / "kpi_rules")
DAY = date(2026, 3, 2)


# --- the day files ------------------------------------------------------------------------------

INTERACTIONS = [
    # id,  channel, queue,  arrived_at,                 outcome,     wait_s, talk_s, hold_s, acw_s
    ("i1", "voice", "gadai", "2026-03-02T08:00:00+07:00", "answered", 10, 100, 20, 10),  # handling 130
    ("i2", "voice", "gadai", "2026-03-02T08:05:00+07:00", "answered", 30, 200, 0, 20),  # handling 220
    ("i3", "voice", "emas", "2026-03-02T08:10:00+07:00", "abandoned", 3, 0, 0, 0),  # short abandon (3 < 5)
    ("i4", "voice", "emas", "2026-03-02T08:15:00+07:00", "abandoned", 50, 0, 0, 0),  # real abandon
    ("i5", "chat", "gadai", "2026-03-02T09:00:00+07:00", "answered", 26, 300, 0, 30),  # handling 330
    ("i6", "chat", "gadai", "2026-03-02T09:10:00+07:00", "abandoned", 5, 0, 0, 0),  # exactly 5 s: not short
    ("i7", "chat", "emas", "2026-03-02T09:20:00+07:00", "abandoned", 4.5, 0, 0, 0),  # short abandon (4.5 < 5)
]

QM_EVALUATIONS = [
    # id,  agent, channel, score, max_score
    ("e1", "a1", "voice", 80, 100),
    ("e2", "a2", "voice", 45, 50),
    ("e3", "a3", "chat", 18, 20),
    ("e4", "a1", "chat", 30, 40),
]

PNP_TESTS = [
    # id,  agent, product,  score
    ("t1", "a1", "gadai", 90),
    ("t2", "a2", "gadai", 75),
    ("t3", "a3", "emas", 60),
    ("t4", "a4", "emas", 85),
]

MYSTERY_SHOPPER_VISITS = [
    # id,  channel, scenario,          score
    ("v1", "voice", "tanya_tarif", 80),
    ("v2", "voice", "komplain", 90),
    ("v3", "chat", "tanya_tarif", 70),
]

CSI_RESPONSES = [
    # id,  channel, rating
    ("r1", "voice", 5),
    ("r2", "voice", 4),  # boundary: 4 counts as satisfied
    ("r3", "voice", 3),  # boundary: 3 does not
    ("r4", "voice", 4),
    ("r5", "chat", 2),
    ("r6", "chat", 4),
    ("r7", "chat", 1),
]

SYSTEM_AVAILABILITY = [
    # system,          scheduled_s, downtime_s, incidents
    ("ivr", 86400, 864, 1),  # 14.4 min down
    ("telephony", 86400, 0, 0),
    ("chatbot", 43200, 2160, 2),  # 36 min down
    ("crm", 36000, 360, 1),  # 6 min down
    ("core_gadai", 36000, 1800, 1),  # 30 min down
    ("knowledge_base", 72000, 0, 0),
    ("wallboard", 36000, 3600, 1),  # 60 min down; not an application of availability_applications
]

SEATS_HEADCOUNT = [
    # team,        required, filled, headcount, leavers, joiners
    ("voice", 50, 45, 60, 3, 1),
    ("digital", 30, 30, 40, 0, 2),
    ("backoffice", 20, 12, 25, 1, 0),
]

AGENT_DAYS = [
    # agent, team,     scheduled, present, shift_s, adherent_s, logged_in_s, handled
    ("a1", "voice", 1, 1, 28800, 27000, 28000, 45),
    ("a2", "voice", 1, 1, 28800, 25200, 27500, 38),
    ("a3", "voice", 1, 0, 28800, 0, 0, 0),  # absent: scheduled shift but not present
    ("a4", "digital", 1, 1, 28800, 28800, 28800, 60),
    ("a5", "digital", 0, 0, 0, 0, 0, 0),  # on approved leave: not scheduled
    ("a6", "digital", 1, 0, 28800, 0, 0, 0),  # absent
]


@dataclass(frozen=True)
class Case:
    source: str
    rows: list[tuple]
    #: scope → (numerator, denominator, value); exactly the scopes the KPI must produce
    expected: dict[str, tuple[float, float, float]]


CASES: dict[str, Case] = {
    # --- performance -----------------------------------------------------------------------------
    # SCR = answered / (offered − abandons with wait < 5 s)
    # all:   answered i1 i2 i5 = 3; offered 7 − short abandons i3, i7 = 5 → 3/5 = 60 %
    # voice: answered i1 i2 = 2; offered 4 − i3 = 3 → 2/3 = 66.666… %
    # chat:  answered i5 = 1; offered 3 − i7 = 2 (i6 waited exactly 5 s, so is offered) → 1/2 = 50 %
    "scr": Case(
        "interactions",
        INTERACTIONS,
        {
            "all": (3, 5, 60.0),
            "channel=chat": (1, 2, 50.0),
            "channel=voice": (2, 3, 66.666666666667),
        },
    ),
    # RT = Σ wait of answered / answered (abandons' waits left out)
    # all: (10 + 30 + 26) / 3 = 66/3 = 22 s; voice: 40/2 = 20 s; chat: 26/1 = 26 s
    "rt": Case(
        "interactions",
        INTERACTIONS,
        {
            "all": (66, 3, 22.0),
            "channel=chat": (26, 1, 26.0),
            "channel=voice": (40, 2, 20.0),
        },
    ),
    # AHT = Σ (talk + hold + acw) of answered / answered
    # all: 130 + 220 + 330 = 680 / 3 = 226.666… s; voice: 350/2 = 175 s; chat: 330/1 = 330 s
    "aht": Case(
        "interactions",
        INTERACTIONS,
        {
            "all": (680, 3, 226.666666666667),
            "channel=chat": (330, 1, 330.0),
            "channel=voice": (350, 2, 175.0),
        },
    ),
    # --- quality -----------------------------------------------------------------------------------
    # QM = Σ score / Σ max_score
    # all: 80 + 45 + 18 + 30 = 173 / (100 + 50 + 20 + 40 = 210) = 82.380952… %
    #      (the mean of per-evaluation % would be (80 + 90 + 90 + 75)/4 = 83.75: not chosen)
    # voice: 125/150 = 83.333… %; chat: 48/60 = 80 %
    "qm_score": Case(
        "qm_evaluations",
        QM_EVALUATIONS,
        {
            "all": (173, 210, 82.380952380952),
            "channel=chat": (48, 60, 80.0),
            "channel=voice": (125, 150, 83.333333333333),
        },
    ),
    # PnP = mean score: (90 + 75 + 60 + 85) / 4 = 310/4 = 77.5 points (no breakdowns)
    "pnp_score": Case("pnp_tests", PNP_TESTS, {"all": (310, 4, 77.5)}),
    # Mystery shopper = mean score: all (80 + 90 + 70)/3 = 240/3 = 80; voice 170/2 = 85; chat 70/1 = 70
    "mystery_shopper": Case(
        "mystery_shopper_visits",
        MYSTERY_SHOPPER_VISITS,
        {
            "all": (240, 3, 80.0),
            "channel=chat": (70, 1, 70.0),
            "channel=voice": (170, 2, 85.0),
        },
    ),
    # CSI = responses with rating >= 4 / responses
    # all: r1 r2 r4 r6 = 4 of 7 → 57.142857… %; voice: r1 r2 r4 = 3 of 4 → 75 %; chat: r6 = 1 of 3 → 33.333… %
    "csi": Case(
        "csi_responses",
        CSI_RESPONSES,
        {
            "all": (4, 7, 57.142857142857),
            "channel=chat": (1, 3, 33.333333333333),
            "channel=voice": (3, 4, 75.0),
        },
    ),
    # --- infrastructure ----------------------------------------------------------------------------
    # availability = (Σ scheduled − Σ downtime) / Σ scheduled, over the KPI's own systems only
    # IVR (ivr row only): (86400 − 864) / 86400 = 85536/86400 = 99 %
    "availability_ivr": Case("system_availability", SYSTEM_AVAILABILITY, {"all": (85536, 86400, 99.0)}),
    # telephony row only: (86400 − 0) / 86400 = 100 %
    "availability_telephony": Case("system_availability", SYSTEM_AVAILABILITY, {"all": (86400, 86400, 100.0)}),
    # chatbot row only: (43200 − 2160) / 43200 = 41040/43200 = 95 %
    "availability_chatbot": Case("system_availability", SYSTEM_AVAILABILITY, {"all": (41040, 43200, 95.0)}),
    # applications = crm, core_gadai, knowledge_base only (not ivr/telephony/chatbot/wallboard):
    # scheduled 36000 + 36000 + 72000 = 144000; down 360 + 1800 + 0 = 2160 → 141840/144000 = 98.5 %
    # crm 35640/36000 = 99 %; core_gadai 34200/36000 = 95 %; knowledge_base 72000/72000 = 100 %
    "availability_applications": Case(
        "system_availability",
        SYSTEM_AVAILABILITY,
        {
            "all": (141840, 144000, 98.5),
            "system=core_gadai": (34200, 36000, 95.0),
            "system=crm": (35640, 36000, 99.0),
            "system=knowledge_base": (72000, 72000, 100.0),
        },
    ),
    # downtime = Σ downtime_s / system-days, shown in minutes (every system counts)
    # all: 864 + 0 + 2160 + 360 + 1800 + 0 + 3600 = 8784 s = 146.4 min over 7 system-days → 20.914285… min
    # per system (one day each): ivr 864 s = 14.4 min, chatbot 2160 s = 36 min, crm 360 s = 6 min,
    # core_gadai 1800 s = 30 min, wallboard 3600 s = 60 min, telephony and knowledge_base 0
    "downtime": Case(
        "system_availability",
        SYSTEM_AVAILABILITY,
        {
            "all": (8784, 7, 20.914285714286),
            "system=chatbot": (2160, 1, 36.0),
            "system=core_gadai": (1800, 1, 30.0),
            "system=crm": (360, 1, 6.0),
            "system=ivr": (864, 1, 14.4),
            "system=knowledge_base": (0, 1, 0.0),
            "system=telephony": (0, 1, 0.0),
            "system=wallboard": (3600, 1, 60.0),
        },
    ),
    # --- HR fulfilment -----------------------------------------------------------------------------
    # seat fulfilment = Σ filled / Σ required: all (45 + 30 + 12) / (50 + 30 + 20) = 87/100 = 87 %
    # voice 45/50 = 90 %; digital 30/30 = 100 %; backoffice 12/20 = 60 %
    "seat_fulfilment": Case(
        "seats_headcount",
        SEATS_HEADCOUNT,
        {
            "all": (87, 100, 87.0),
            "team=backoffice": (12, 20, 60.0),
            "team=digital": (30, 30, 100.0),
            "team=voice": (45, 50, 90.0),
        },
    ),
    # attrition (one day) = leavers / headcount: all (3 + 0 + 1) / (60 + 40 + 25) = 4/125 = 3.2 %
    # voice 3/60 = 5 %; digital 0/40 = 0 %; backoffice 1/25 = 4 %
    "attrition": Case(
        "seats_headcount",
        SEATS_HEADCOUNT,
        {
            "all": (4, 125, 3.2),
            "team=backoffice": (1, 25, 4.0),
            "team=digital": (0, 40, 0.0),
            "team=voice": (3, 60, 5.0),
        },
    ),
    # --- HR performance ----------------------------------------------------------------------------
    # attendance = Σ present / Σ scheduled (a5 on leave counts nowhere)
    # all: a1 a2 a4 = 3 present of 5 scheduled (a1 a2 a3 a4 a6) → 60 %
    # voice: 2 of 3 → 66.666… %; digital: 1 of 2 → 50 %
    "attendance": Case(
        "agent_days",
        AGENT_DAYS,
        {
            "all": (3, 5, 60.0),
            "team=digital": (1, 2, 50.0),
            "team=voice": (2, 3, 66.666666666667),
        },
    ),
    # adherence = Σ adherent_s / Σ scheduled_shift_s over present agents only (a1 a2 a4)
    # all: 27000 + 25200 + 28800 = 81000 / (3 × 28800 = 86400) = 93.75 %
    #      (counting the absent a3 and a6 would give 81000/144000 = 56.25 %)
    # voice: 52200/57600 = 90.625 %; digital: 28800/28800 = 100 %
    "schedule_adherence": Case(
        "agent_days",
        AGENT_DAYS,
        {
            "all": (81000, 86400, 93.75),
            "team=digital": (28800, 28800, 100.0),
            "team=voice": (52200, 57600, 90.625),
        },
    ),
    # PPA = Σ handled / Σ present: all (45 + 38 + 60) / 3 = 143/3 = 47.666… contacts
    # voice 83/2 = 41.5; digital 60/1 = 60
    "ppa": Case(
        "agent_days",
        AGENT_DAYS,
        {
            "all": (143, 3, 47.666666666667),
            "team=digital": (60, 1, 60.0),
            "team=voice": (83, 2, 41.5),
        },
    ),
}


@pytest.mark.parametrize("kpi_id", sorted(CASES))
def test_kpi_matches_hand_computation(kpi_id: str) -> None:
    case = CASES[kpi_id]
    kpi = REGISTER.kpi(kpi_id)
    assert kpi.source == case.source, "the case's rows are not of the KPI's source"

    # act: exactly as the daily pipeline does, every KPI of the source for the day
    rows = kpi_day_rows(REGISTER.for_source(case.source), frame(case.source, case.rows), DAY, batch_id=None)

    got = {r.scope: r for r in rows if r.kpi_id == kpi_id}
    assert sorted(got) == sorted(case.expected), "scopes produced differ from the hand-worked scopes"
    for scope, (numerator, denominator, value) in case.expected.items():
        row = got[scope]
        assert (row.numerator, row.denominator) == (numerator, denominator), scope
        assert row.value == pytest.approx(value, rel=1e-9), scope
        assert (row.status, row.period_type, row.period_start, row.days_covered) == ("computed", "day", DAY, 1)
    assert len(rows) == len({r.key for r in rows}), "a KPI × scope was produced twice"


def test_a_kpi_whose_filter_keeps_no_row_is_not_evaluable() -> None:
    # a day file without an ivr row: IVR availability has nothing to divide by (0/0), not 100 % or 0 %
    no_ivr = [r for r in SYSTEM_AVAILABILITY if r[0] != "ivr"]
    rows = kpi_day_rows(REGISTER.for_source("system_availability"), frame("system_availability", no_ivr), DAY, None)
    (ivr,) = [r for r in rows if r.kpi_id == "availability_ivr"]
    assert (ivr.scope, ivr.numerator, ivr.denominator, ivr.value, ivr.status) == ("all", 0, 0, None, "not_evaluable")


def test_every_register_kpi_has_a_hand_case() -> None:
    # a KPI added to the register without a hand-computed case here fails the suite
    assert set(CASES) == {k.id for k in REGISTER.kpis}
