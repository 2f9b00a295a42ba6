"""What each notification says, to whom (Indonesian, the site's working language).

Every builder enqueues into the outbox under a key that names the event, so each person is told
about each event exactly once however often the pipeline re-runs.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from kawal.defects.lifecycle import SEVERITY_LABEL_ID
from kawal.kpis.evaluation import Status
from kawal.notify.outbox import Mail, enqueue
from kawal.periods import daily_run_logical_date
from kawal.register import Direction, Kpi, Register
from kawal.store.models import DefectTicket, KpiValue, RecoveryAction

if TYPE_CHECKING:
    from kawal.kpis.values import KpiValueRow


def _num(value: float | None) -> str:
    from kawal.kpis.summary import format_number

    return format_number(value)


def _date(day: date) -> str:
    from babel.dates import format_date

    return format_date(day, "d MMMM y", locale="id")


def _target(kpi: Kpi, target: float | None) -> str:
    sign = "≥" if kpi.direction is Direction.higher_is_better else "≤"
    return "—" if target is None else f"{sign} {_num(target)} {kpi.unit.label_id}"


def _link(register: Register, t: DefectTicket) -> str | None:
    base = register.procedure.notifications.ui_base_url
    return f"{base.rstrip('/')}/defects/{t.id}" if base else None


def _recent(session: Session, kpi: Kpi, scope: str, day: date) -> list[tuple[str, str, str]]:
    """The KPI's last values as its PIC judges it: the last 7 days of a daily KPI, the last 6 months
    of a monthly one (attrition is never shown as daily "met" rows under a missed month, #18)."""
    from kawal.register import Period

    monthly = kpi.period is Period.monthly
    since = (day.replace(day=1) - timedelta(days=160)).replace(day=1) if monthly else day - timedelta(days=6)
    rows = session.scalars(
        select(KpiValue)
        .where(
            KpiValue.kpi_id == kpi.id,
            KpiValue.scope == scope,
            KpiValue.period_type == ("month" if monthly else "day"),
            KpiValue.period_start >= since,
            KpiValue.period_start <= day,
        )
        .order_by(KpiValue.period_start)
    ).all()
    return [
        (r.period_start.strftime("%m/%Y") if monthly else r.period_start.isoformat(), _num(r.value),
         Status(r.evaluation).label_id)
        for r in rows
    ]  # fmt: skip


def _facts(register: Register, t: DefectTicket, kpi: Kpi, row: KpiValueRow) -> list[tuple[str, str]]:
    period = _date(row.period_start) if row.period_type == "day" else row.period_start.strftime("%m/%Y")
    return [
        ("Tiket", f"#{t.id} ({SEVERITY_LABEL_ID[t.severity]})"),
        ("KPI", f"{kpi.name_id} ({kpi.id})"),
        ("Lingkup", "eksternal (kontraktual)" if kpi.scope.value == "external" else "internal"),
        ("Periode", period),
        ("Nilai", f"{_num(row.value)} {kpi.unit.label_id}"),
        ("Target", f"{_target(kpi, row.target)} (register revisi {row.register_rev})"),
        ("PIC", register.people.describe(kpi.pic)),
    ]


def _short(kpi: Kpi) -> str:
    """The KPI's name without its gloss: "Response Time (rata-rata waktu jawab)" → "Response Time"."""
    return kpi.name_id.split(" (")[0]


def _value(kpi: Kpi, value: float | None) -> str:
    return f"{_num(value)} {kpi.unit.label_id}"


def _cc_accountable(register: Register, t: DefectTicket) -> list[str]:
    return [register.people.accountable] if t.external else []


def defect_opened(session: Session, register: Register, t: DefectTicket, kpi: Kpi, row: KpiValueRow) -> None:
    due = _date(t.analysis_due)
    enqueue(
        session,
        register,
        key=f"defect-opened:{t.id}",
        kind="defect_opened",
        ticket_id=t.id,
        to=[kpi.pic],
        cc=_cc_accountable(register, t),
        mail=Mail(
            # #18: the subject alone says which ticket, which KPI, how bad and by how much
            subject=f"[Kawal] #{t.id} {_short(kpi)} ({SEVERITY_LABEL_ID[t.severity]}): {_value(kpi, row.value)} "
            f"vs target {_target(kpi, row.target)}, {row.period_start.isoformat()}",
            headline=f"{_short(kpi)} tidak mencapai target: {_value(kpi, row.value)}, "
            f"target {_target(kpi, row.target)}",
            tone="breach",
            greeting=f"Yth. {register.people.describe(kpi.pic)},",
            intro=f"KPI yang Anda kawal tidak mencapai target. Tiket defect #{t.id} telah dibuka.",
            facts=_facts(register, t, kpi, row),
            recent=_recent(session, kpi, row.scope, row.period_start),
            recent_title="6 bulan terakhir" if kpi.period.value == "monthly" else "7 hari terakhir",
            expected=(
                "Sesuai IK KPI Management §5.3.1: koordinasikan dengan SDM terkait, lalu sampaikan analisis "
                f"akar masalah dan rekomendasi kepada Manajer Operasional paling lambat {due}. Tanpa analysis "
                "sampai tanggal itu, tiket dieskalasi ke Manajer Operasional."
            ),
            how_to_act=[
                f"kawal defects show {t.id}",
                f'kawal defects analyse {t.id} --as {kpi.pic} --root-cause "…" '
                '--coordinated-with "…" --recommendation "…"',
            ],
            link=_link(register, t),
            link_label=f"Buka tiket #{t.id}",
        ),
    )


def severity_raised(
    session: Session, register: Register, t: DefectTicket, kpi: Kpi, row: KpiValueRow, was: str
) -> None:
    """A ticket whose severity rises (a wider gap, more occurrences) is told, once per level (#18)."""
    now = SEVERITY_LABEL_ID[t.severity]
    enqueue(
        session,
        register,
        key=f"severity-raised:{t.id}:{t.severity}",
        kind="severity_raised",
        ticket_id=t.id,
        to=[kpi.pic],
        cc=[register.people.accountable] if t.severity == "critical" or t.external else [],
        mail=Mail(
            subject=f"[Kawal] #{t.id} {_short(kpi)}: severity naik {SEVERITY_LABEL_ID[was]} → {now} "
            f"({_value(kpi, row.value)} vs target {_target(kpi, row.target)}, {row.period_start.isoformat()})",
            headline=f"Tiket #{t.id} ({_short(kpi)}) sekarang {now}: {_value(kpi, row.value)}, "
            f"target {_target(kpi, row.target)}",
            tone="breach",
            greeting=f"Yth. {register.people.describe(kpi.pic)},",
            intro=(
                f"KPI yang Anda kawal kembali tidak mencapai target; severity tiket #{t.id} naik dari "
                f"{SEVERITY_LABEL_ID[was]} menjadi {now} (selisih terhadap target atau jumlah kejadian, "
                "kpi_rules/procedure.yaml)."
            ),
            facts=_facts(register, t, kpi, row),
            recent=_recent(session, kpi, row.scope, row.period_start),
            recent_title="6 bulan terakhir" if kpi.period.value == "monthly" else "7 hari terakhir",
            expected=f"Analisis dan rekomendasi tetap paling lambat {_date(t.analysis_due)} (§5.3.1).",
            how_to_act=[f"kawal defects show {t.id}"],
            link=_link(register, t),
            link_label=f"Buka tiket #{t.id}",
        ),
    )


def defect_reopened(session: Session, register: Register, t: DefectTicket, kpi: Kpi, row: KpiValueRow) -> None:
    enqueue(
        session,
        register,
        key=f"defect-reopened:{t.id}:{row.period_start.isoformat()}",
        kind="defect_reopened",
        ticket_id=t.id,
        to=[kpi.pic],
        cc=[register.people.accountable],
        mail=Mail(
            subject=f"[Kawal] #{t.id} {_short(kpi)} ({SEVERITY_LABEL_ID[t.severity]}) dibuka kembali: "
            f"{_value(kpi, row.value)} vs target {_target(kpi, row.target)}",
            headline=f"{_short(kpi)} kembali tidak mencapai target: {_value(kpi, row.value)}, "
            f"target {_target(kpi, row.target)}",
            tone="breach",
            greeting=f"Yth. {register.people.describe(kpi.pic)},",
            intro=(
                f"Selama pemantauan sejak {_date(t.monitoring_since)} KPI kembali tidak mencapai target: "
                "recovery plan belum efektif (ISO 9001 10.2). Tiket dibuka kembali."
            ),
            facts=_facts(register, t, kpi, row),
            recent=_recent(session, kpi, row.scope, row.period_start),
            recent_title="6 bulan terakhir" if kpi.period.value == "monthly" else "7 hari terakhir",
            expected=(
                f"Analisis ulang akar masalah dan sampaikan rekomendasi baru paling lambat {_date(t.analysis_due)}."
            ),
            how_to_act=[
                f'kawal defects analyse {t.id} --as {kpi.pic} --root-cause "…" '
                '--coordinated-with "…" --recommendation "…"'
            ],
            link=_link(register, t),
            link_label=f"Buka tiket #{t.id}",
        ),
    )


def analysis_submitted(session: Session, register: Register, t: DefectTicket) -> None:
    kpi = register.kpi(t.subject)
    accountable = register.people.accountable
    enqueue(
        session,
        register,
        key=f"defect-analysed:{t.id}:{t.notified_on.isoformat()}",
        kind="analysis_submitted",
        ticket_id=t.id,
        to=[accountable],
        cc=[kpi.pic],
        mail=Mail(
            subject=f"[Kawal] Analisis tiket #{t.id} ({kpi.name_id}) menunggu keputusan recovery plan",
            greeting=f"Yth. {register.people.describe(accountable)},",
            intro=(
                f"{register.people.describe(kpi.pic)} telah menyampaikan analisis dan rekomendasi untuk tiket #{t.id}."
            ),
            facts=[
                ("Tiket", f"#{t.id} ({SEVERITY_LABEL_ID[t.severity]})"),
                ("KPI", f"{kpi.name_id} ({kpi.id})"),
                ("Akar masalah", t.root_cause or ""),
                ("Dikoordinasikan dengan", t.coordinated_with or "—"),
                ("Rekomendasi", t.recommendation or ""),
            ],
            expected="Sesuai IK §5.3.2: putuskan recovery plan (langkah kuratif dengan penanggung jawab dan tenggat).",
            how_to_act=[
                f'kawal defects decide {t.id} --as {accountable} --action "langkah|pemilik|YYYY-MM-DD" '
                '[--preventive "langkah|pemilik|YYYY-MM-DD"]'
            ],
            link=_link(register, t),
            link_label=f"Buka tiket #{t.id}",
        ),
    )


def plan_decided(session: Session, register: Register, t: DefectTicket) -> None:
    kpi = register.kpi(t.subject)
    actions = session.scalars(select(RecoveryAction).where(RecoveryAction.ticket_id == t.id)).all()
    owners = [a.owner for a in actions]
    enqueue(
        session,
        register,
        key=f"defect-plan:{t.id}:{t.notified_on.isoformat()}",
        kind="plan_decided",
        ticket_id=t.id,
        to=[kpi.pic, *owners],
        cc=[register.people.accountable],
        mail=Mail(
            subject=f"[Kawal] Recovery plan tiket #{t.id} ({kpi.name_id}) telah diputuskan",
            greeting="Yth. PIC dan penanggung jawab tindakan,",
            intro=f"Manajer Operasional telah memutuskan recovery plan untuk tiket #{t.id}.",
            facts=[("KPI", f"{kpi.name_id} ({kpi.id})")]
            + [
                (
                    f"{'Kuratif' if a.kind == 'curative' else 'Preventif'} #{a.id}",
                    f"{a.description} — {register.people.describe(a.owner)}, tenggat {_date(a.due_date)}",
                )
                for a in actions
            ],
            expected=(
                "Laksanakan tindakan sebelum tenggatnya. Setelah tindakan kuratif selesai, PIC mencatatnya agar "
                "pemantauan efektivitas dimulai."
            ),
            how_to_act=[f'kawal defects verify {t.id} --as {kpi.pic} --note "…"'],
            link=_link(register, t),
            link_label=f"Buka tiket #{t.id}",
        ),
    )


def analysis_overdue(session: Session, register: Register, t: DefectTicket, as_of: date) -> bool:
    kpi = register.kpi(t.subject)
    accountable = register.people.accountable
    return enqueue(
        session,
        register,
        key=f"escalation-analysis:{t.id}:{t.notified_on.isoformat()}",
        kind="escalation",
        ticket_id=t.id,
        # the PIC is reminded; the Accountable reads every escalation of the day in one digest (#18)
        to=[kpi.pic],
        cc=[],
        mail=Mail(
            subject=f"[Kawal] Eskalasi #{t.id} {_short(kpi)} ({SEVERITY_LABEL_ID[t.severity]}): analisis lewat "
            f"tenggat {t.analysis_due.isoformat()}",
            headline=f"Tiket #{t.id} ({_short(kpi)}) belum dianalisis: tenggat {_date(t.analysis_due)} terlewati",
            tone="at_risk",
            greeting=f"Yth. {register.people.describe(kpi.pic)},",
            intro=(
                f"Analisis tiket #{t.id} seharusnya disampaikan paling lambat {_date(t.analysis_due)} "
                f"({register.procedure.defects.analysis_due_working_days} hari kerja, tanpa hari libur nasional)."
            ),
            facts=[
                ("Tiket", f"#{t.id} ({SEVERITY_LABEL_ID[t.severity]})"),
                ("KPI", f"{kpi.name_id} ({kpi.id})"),
                ("PIC", register.people.describe(kpi.pic)),
                ("Dibuka", _date(t.notified_on)),
            ],
            expected=(
                f"Sampaikan analisis dan rekomendasi segera: tiket ini masuk ringkasan eskalasi harian "
                f"{register.people.describe(accountable)}."
            ),
            how_to_act=[f"kawal defects show {t.id}"],
            link=_link(register, t),
            link_label=f"Buka tiket #{t.id}",
        ),
    )


def action_overdue(session: Session, register: Register, t: DefectTicket, action: RecoveryAction, as_of: date) -> bool:
    return enqueue(
        session,
        register,
        key=f"action-overdue:{action.id}",
        kind="action_overdue",
        ticket_id=t.id,
        to=[action.owner],
        cc=[],  # the Accountable reads it in the day's escalation digest (#18)
        mail=Mail(
            subject=f"[Kawal] Tindakan recovery plan #{action.id} (tiket #{t.id}) melewati tenggat",
            greeting=f"Yth. {register.people.describe(action.owner)},",
            intro=f"Tindakan berikut belum dicatat selesai padahal tenggatnya {_date(action.due_date)}.",
            facts=[
                ("Tiket", f"#{t.id} ({t.subject})"),
                ("Tindakan", action.description),
                ("Jenis", "kuratif" if action.kind == "curative" else "preventif"),
            ],
            expected="Selesaikan tindakan atau minta Manajer Operasional menyesuaikan recovery plan.",
            how_to_act=[f"kawal defects show {t.id}"],
            link=_link(register, t),
            link_label=f"Buka tiket #{t.id}",
        ),
    )


def ready_to_close(session: Session, register: Register, t: DefectTicket, streak: int) -> None:
    kpi = register.kpi(t.subject)
    accountable = register.people.accountable
    enqueue(
        session,
        register,
        key=f"defect-effective:{t.id}:{t.monitoring_since}",
        kind="ready_to_close",
        ticket_id=t.id,
        to=[accountable],
        cc=[kpi.pic],
        mail=Mail(
            subject=f"[Kawal] Tiket #{t.id} ({kpi.name_id}) lolos uji efektivitas dan dapat ditutup",
            greeting=f"Yth. {register.people.describe(accountable)},",
            intro=(
                f"Sejak pemantauan dimulai {_date(t.monitoring_since)}, KPI mencapai target "
                f"{streak} periode berturut-turut."
            ),
            facts=[("Tiket", f"#{t.id}"), ("KPI", f"{kpi.name_id} ({kpi.id})")],
            expected="Tutup tiket bila Anda setuju recovery plan telah efektif.",
            how_to_act=[f'kawal defects close {t.id} --as {accountable} --note "…"'],
            link=_link(register, t),
            link_label=f"Buka tiket #{t.id}",
        ),
    )


def closed(session: Session, register: Register, t: DefectTicket) -> None:
    if t.kind == "data_incident":
        to = list(register.people.data_engineering)
        name = f"data {t.subject}"
    else:
        to = [register.kpi(t.subject).pic]
        name = register.kpi(t.subject).name_id
    enqueue(
        session,
        register,
        key=f"defect-closed:{t.id}",
        kind="closed",
        ticket_id=t.id,
        to=to,
        cc=[register.people.accountable],
        mail=Mail(
            subject=f"[Kawal] Tiket #{t.id} ({name}) ditutup",
            greeting="Yth. Bapak/Ibu,",
            intro=f"Tiket #{t.id} telah ditutup.",
            facts=[("Tiket", f"#{t.id}"), ("Perihal", name)],
            expected="Tidak ada tindakan lebih lanjut. Riwayat tiket tersimpan sebagai rekaman (IK §6).",
            how_to_act=[f"kawal defects show {t.id}"],
            link=_link(register, t),
            link_label=f"Buka tiket #{t.id}",
        ),
    )


def data_incident(session: Session, register: Register, t: DefectTicket, source: str, day: date, problem: str) -> None:
    enqueue(
        session,
        register,
        key=f"data-incident:{source}:{day.isoformat()}",
        kind="data_incident",
        ticket_id=t.id,
        to=list(register.people.data_engineering),
        cc=[],
        mail=Mail(
            subject=f"[Kawal] #{t.id} Insiden data: {source} {day.isoformat()} tidak dapat diproses",
            headline=f"Data {source} {_date(day)} tidak dapat diproses: KPI-nya tidak dinilai",
            tone="breach",
            greeting="Yth. tim data engineering,",
            intro=(
                f"Data sumber {source} untuk {_date(day)} tidak dapat diproses. KPI dari sumber ini untuk hari "
                "tersebut tidak dinilai (bukan defect KPI) sampai data diperbaiki."
            ),
            facts=[("Tiket", f"#{t.id}"), ("Sumber", source), ("Tanggal data", day.isoformat()), ("Masalah", problem)],
            expected="Perbaiki atau minta ulang ekspor, letakkan di folder landing, lalu jalankan ulang hari tersebut.",
            how_to_act=[
                # the run that processes `day` fires at 01:00 WIB the next day (its logical date)
                f"airflow tasks clear kawal_daily_kpis -t '^ingest_{source}$' --downstream --yes "
                f"-s {daily_run_logical_date(day).isoformat()} -e {daily_run_logical_date(day).isoformat()}",
                f'kawal defects analyse {t.id} --as <data-engineer> --root-cause "…" --coordinated-with "…" '
                '--recommendation "…"',
            ],
            link=_link(register, t),
            link_label=f"Buka tiket #{t.id}",
        ),
    )


def escalation_digest(session: Session, register: Register, as_of: date, items: list[tuple[DefectTicket, str]]) -> bool:
    """One mail a day to the Accountable with every escalation queued that day (#18: 12 separate mails
    in a month before), instead of a copy of each; keyed by the day and the tickets it lists, so a re-run
    adds nothing and a later run the same day lists only what it newly escalated."""
    if not items:
        return False
    accountable = register.people.accountable
    ids = "-".join(str(t.id) for t, _ in items)
    return enqueue(
        session,
        register,
        key=f"escalation-digest:{as_of.isoformat()}:{ids}",
        kind="escalation_digest",
        ticket_id=None,
        to=[accountable],
        cc=[],
        mail=Mail(
            subject=f"[Kawal] Ringkasan eskalasi {as_of.isoformat()}: {len(items)} tiket",
            headline=f"{len(items)} tiket perlu perhatian Anda hari ini ({_date(as_of)})",
            tone="at_risk",
            greeting=f"Yth. {register.people.describe(accountable)},",
            intro="Tiket berikut melewati tenggatnya (analisis PIC, atau tindakan recovery plan):",
            facts=[
                (f"#{t.id} {_short(register.kpi(t.subject)) if register.has_kpi(t.subject) else t.subject}", why)
                for t, why in items
            ],
            expected="Tindak lanjuti dengan PIC atau pemilik tindakan; buka tiket untuk rinciannya.",
            how_to_act=["kawal defects list"],
            link=(base.rstrip("/") + "/defects") if (base := register.procedure.notifications.ui_base_url) else None,
            link_label="Buka daftar tiket",
        ),
    )
