"""A small demo in Kawal's store, written through Kawal's own code (the same calls the daily DAG makes):
ten days of October 2026 for SCR and CSI, their month-to-date roll-ups judged against the register,
and the defect tickets the misses open. Ticket #1 (SCR, PIC pic_performance) is open, its analysis past
due and escalated by the daily run of 14 October (kawal.defects.monitoring.escalate); ticket #2 (CSI, PIC
pic_quality) has already been analysed by its PIC: its plan waits for the Accountable. October's review
minutes are final, with one decision and one action (kawal.review)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from kawal.defects.monitoring import escalate, open_or_update_defects
from kawal.defects.workflow import analyse
from kawal.kpis.evaluation import evaluate_row
from kawal.kpis.rollup import RollupRule, month_rollup
from kawal.kpis.values import KpiValueRow
from kawal.register import Register
from kawal.review.minutes import add_action, draft_minutes, finalize, record_item, set_attendees
from kawal.store import engine_for, session_scope
from kawal.store.kpi_values import replace_period_values
from kawal.store.models import DefectTicket, ReviewItem

OCTOBER = date(2026, 10, 1)
DAYS = [date(2026, 10, d) for d in range(1, 11)]
# per day (numerator, denominator): SCR answered/offered calls, CSI satisfied/responses
SCR = [(970, 1000), (960, 1000), (930, 1000), (965, 1000), (940, 1000), (975, 1000), (980, 1000), (970, 1000),
       (965, 1000), (962, 1000)]  # fmt: skip
CSI = [(95, 100), (94, 100), (93, 100), (85, 100), (96, 100), (95, 100), (94, 100), (93, 100), (95, 100), (96, 100)]
SERIES = {"scr": SCR, "csi": CSI}
MEETING = date(2026, 11, 5)
ESCALATION_DAY = date(2026, 10, 14)  # the day after ticket #1's analysis was due (2 working days, §5.3.1)
DECISION = "Survei CSI saat gangguan massal dipisahkan dari survei harian"


def _day_row(kpi_id: str, day: date, num: float, den: float) -> KpiValueRow:
    return KpiValueRow(kpi_id, "day", day, "all", num, den, 100.0 * num / den, "computed", None, None, 1)


def seed_store(url: str, register: Register) -> dict[str, int]:
    """Writes the demo; returns the ticket id per KPI."""
    engine = engine_for(url)
    with session_scope(engine) as session:
        for kpi_id, series in SERIES.items():
            kpi = register.kpi(kpi_id)
            rows = [evaluate_row(_day_row(kpi_id, d, n, dn), kpi, register) for d, (n, dn) in zip(DAYS, series)]
            for row in rows:
                replace_period_values(session, [kpi_id], "day", row.period_start, [row])
            month = [
                evaluate_row(r, kpi, register)
                for r in month_rollup(session, {kpi_id: RollupRule(scale=100.0)}, OCTOBER, date(2026, 10, 31))
            ]
            replace_period_values(session, [kpi_id], "month", OCTOBER, month)
            open_or_update_defects(session, register, rows, DAYS[-1])
    with session_scope(engine) as session:
        ids = {t.subject: t.id for t in session.scalars(select(DefectTicket))}
        analyse(
            session,
            register,
            ids["csi"],
            "pic_quality",
            root_cause="Survei CSI hari itu hanya dari pelanggan gangguan jaringan",
            coordinated_with="Team Leader Digital",
            recommendation="Pisahkan survei gangguan massal",
        )
    with session_scope(engine) as session:
        escalate(session, register, ESCALATION_DAY)
    with session_scope(engine) as session:
        draft_minutes(session, register, OCTOBER, "om", MEETING, place="Ruang rapat lantai 3")
        set_attendees(session, register, OCTOBER, "om", ["om", "pic_performance", "pic_quality"])
        drafted, _added = draft_minutes(session, register, OCTOBER, "om", MEETING)  # the same draft: no new item
        items = session.scalars(select(ReviewItem.number).where(ReviewItem.minutes_id == drafted.id)).all()
        record_item(session, register, OCTOBER, "om", numbers=list(items), discussion="Dibahas", decision=DECISION)
        add_action(
            session, register, OCTOBER, "om", kind="preventive", description="Audit jadwal survei CSI",
            owner="pic_quality", due=date(2030, 1, 31), ticket_id=ids["csi"],
        )  # fmt: skip
        finalize(session, register, OCTOBER, "om")
    return ids
