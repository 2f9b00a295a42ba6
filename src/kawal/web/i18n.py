"""Words of the KPI board in each language (Indonesian by default, English on request).

Status and report words are shared with the monthly report (``kawal.reports.labels``) so the board
and the PDF never call the same thing by two names.
"""

from __future__ import annotations

from kawal.reports.labels import LABELS as REPORT_LABELS
from kawal.reports.labels import LOCALES

LANGS = ("id", "en")
DEFAULT_LANG = "id"  # the site works in Indonesian (docs/PRODUCT.md); English where labels exist

_WORDS: dict[str, dict[str, str]] = {
    "id": {
        "app": "Kawal — pengawalan KPI",
        "board": "Papan KPI",
        "defects": "Defect",
        "review": "Review bulanan",
        "month": "Bulan",
        "prev_month": "‹ bulan sebelumnya",
        "next_month": "bulan berikutnya ›",
        "no_data_month": "Belum ada nilai KPI untuk {wanted}; ditampilkan {shown}, bulan terakhir yang berdata.",
        "no_data": (
            "Belum ada nilai KPI bulan ini di store Kawal: data harian belum dimuat "
            "(tim data engineering memuatnya lewat DAG harian)."
        ),
        "data_caveats": "Data bulan ini tidak lengkap: {n} catatan (ketuk untuk melihat)",
        "signed_in_as": "Masuk sebagai",
        "not_mapped": "akun Airflow ini tidak terhubung ke orang di register: hanya bisa membaca",
        "lang_switch": "English",
        "detail": "Rincian",
        "daily_series": "Nilai harian dan garis target",
        "day": "Tanggal",
        "value": "Nilai",
        "pic": "PIC",
        "unit": "Satuan",
        "definition": "Definisi",
        "kpi_occurrences": "Kejadian defect KPI ini",
        "no_occurrences": "Tidak ada kejadian defect untuk KPI ini bulan ini.",
        "all_tickets": "semua tiket (termasuk ditutup)",
        "active_tickets": "tiket aktif",
        "no_tickets": "Tidak ada tiket.",
        "kind": "Jenis",
        "kpi_defect": "defect KPI",
        "data_incident": "insiden data",
        "subject": "KPI / sumber",
        "responsible": "Penanggung jawab",
        "analysis_due": "Analisis paling lambat",
        "root_cause": "Akar masalah",
        "coordinated_with": "Dikoordinasikan dengan",
        "recommendation": "Rekomendasi",
        "monitoring": "Pemantauan",
        "monitoring_since": "sejak {since}: {streak} dari {needed} periode berturut-turut on target",
        "history": "Riwayat",
        "actor": "Oleh",
        "action": "Langkah",
        "when": "Waktu ({zone})",
        "curative": "kuratif",
        "preventive": "preventif",
        "description": "Uraian",
        "done": "selesai {on}",
        "your_actions": "Langkah Anda",
        "no_action_for_you": "Tidak ada langkah untuk Anda pada status ini. Yang dapat bertindak: {who}.",
        "analyse": "Kirim analisis dan rekomendasi (§5.3.1)",
        "decide": "Putuskan recovery plan (§5.3.2)",
        "verify": "Tindakan kuratif selesai: mulai pemantauan",
        "close": "Tutup tiket (cek efektivitas, ISO 9001 10.2)",
        "done_on": "Selesai pada",
        "note": "Catatan",
        "submit": "Simpan",
        "saved": "Tersimpan: tiket kini berstatus «{state}».",
        "refused": "Ditolak",
        "refused_hint": "Langkah «{step}» pada tiket berstatus «{state}» hanya dapat dilakukan oleh: {who}.",
        "step_analyse": "analisis",
        "step_decide": "keputusan recovery plan",
        "step_verify": "verifikasi tindakan",
        "step_close": "penutupan",
        "bad_input": "Isian tidak valid",
        "back_to_ticket": "Kembali ke tiket",
        "not_found": "Tidak ditemukan",
        "month_malformed": "Bulan {month} bukan bulan berbentuk YYYY-MM (mis. 2026-10).",
        "month_out_of_range": (
            "Bulan {month} di luar jangkauan papan: {first} (history_starts di kpi_rules/site.yaml) "
            "s.d. {last} (bulan ini)."
        ),
        "page_not_found": "Halaman {path} tidak ada.",
        "csrf": "Formulir kedaluwarsa atau tidak berasal dari halaman ini. Muat ulang halaman lalu kirim lagi.",
        "who_pic": "PIC KPI ({name})",
        "who_accountable": "Accountable ({name})",
        "who_data_engineering": "data engineering",
        "review_intro": (
            "Rapat review bulanan (§4.7, §5.5), hanya baca: risalah rapat (dicatat dengan `kawal review`, "
            "dibekukan setelah final), lalu bahan agenda hari ini."
        ),
        "minutes_final": "final",
        "minutes_draft": "draf",
        "meeting_date": "Tanggal rapat",
        "chair": "Pimpinan rapat",
        "attendees": "Hadir",
        "addendum_reason": "Alasan addendum",
        "finalized": "Difinalkan",
        "discussion": "Pembahasan",
        "decision": "Keputusan",
        "repeat_tickets": "Defect berulang (masuk agenda review)",
        "overdue_actions": "Tindakan recovery melewati tenggat",
        "minutes": "Risalah rapat review",
        "no_minutes": "Belum ada risalah rapat review yang tercatat untuk bulan ini.",
        "none_listed": "Tidak ada.",
        "trend": "Tren harian",
        "days_covered": "Hari data",
        "cat_performance": "Performance",
        "cat_quality": "Quality",
        "cat_infrastructure": "Infrastructure",
        "cat_hr_fulfilment": "Pemenuhan SDM",
        "cat_hr_performance": "Kinerja SDM",
        "state_open": "terbuka",
        "state_analysed": "sudah dianalisis",
        "state_plan_decided": "recovery plan diputuskan",
        "state_monitoring": "pemantauan",
        "state_closed": "ditutup",
        "state_reopened": "dibuka kembali",
        "sev_minor": "minor",
        "sev_major": "mayor",
        "sev_critical": "kritis",
        "monthly": "bulanan",
    },
    "en": {
        "app": "Kawal — KPI management",
        "board": "KPI board",
        "defects": "Defects",
        "review": "Monthly review",
        "month": "Month",
        "prev_month": "‹ previous month",
        "next_month": "next month ›",
        "no_data_month": "No KPI values for {wanted} yet; showing {shown}, the latest month with data.",
        "no_data": (
            "No KPI value of this month in Kawal's store yet: the daily data is not loaded "
            "(data engineering loads it through the daily DAG)."
        ),
        "data_caveats": "This month's data is not complete: {n} note(s) (tap to see)",
        "signed_in_as": "Signed in as",
        "not_mapped": "this Airflow account is not linked to a person of the register: read only",
        "lang_switch": "Bahasa Indonesia",
        "detail": "Detail",
        "daily_series": "Daily values and the target line",
        "day": "Day",
        "value": "Value",
        "pic": "PIC",
        "unit": "Unit",
        "definition": "Definition",
        "kpi_occurrences": "Defect occurrences of this KPI",
        "no_occurrences": "No defect occurrences for this KPI this month.",
        "all_tickets": "all tickets (closed too)",
        "active_tickets": "active tickets",
        "no_tickets": "No tickets.",
        "kind": "Kind",
        "kpi_defect": "KPI defect",
        "data_incident": "data incident",
        "subject": "KPI / source",
        "responsible": "Responsible",
        "analysis_due": "Analysis due",
        "root_cause": "Root cause",
        "coordinated_with": "Coordinated with",
        "recommendation": "Recommendation",
        "monitoring": "Monitoring",
        "monitoring_since": "since {since}: {streak} of {needed} consecutive periods on target",
        "history": "History",
        "actor": "By",
        "action": "Step",
        "when": "Time ({zone})",
        "curative": "curative",
        "preventive": "preventive",
        "description": "Description",
        "done": "done {on}",
        "your_actions": "Your steps",
        "no_action_for_you": "No step for you in this state. Who may act: {who}.",
        "analyse": "Submit the analysis and recommendation (§5.3.1)",
        "decide": "Decide the recovery plan (§5.3.2)",
        "verify": "Curative actions done: start monitoring",
        "close": "Close the ticket (effectiveness check, ISO 9001 10.2)",
        "done_on": "Done on",
        "note": "Note",
        "submit": "Save",
        "saved": "Saved: the ticket is now «{state}».",
        "refused": "Refused",
        "refused_hint": "The step «{step}» on a ticket that is «{state}» may be taken only by: {who}.",
        "step_analyse": "analysis",
        "step_decide": "recovery plan decision",
        "step_verify": "verification of the actions",
        "step_close": "closing",
        "bad_input": "Invalid input",
        "back_to_ticket": "Back to the ticket",
        "not_found": "Not found",
        "month_malformed": "Month {month} is not a month written YYYY-MM (e.g. 2026-10).",
        "month_out_of_range": (
            "Month {month} is outside the board: {first} (history_starts in kpi_rules/site.yaml) "
            "to {last} (this month)."
        ),
        "page_not_found": "There is no page {path}.",
        "csrf": "The form has expired or did not come from this page. Reload the page and submit again.",
        "who_pic": "the KPI's PIC ({name})",
        "who_accountable": "the Accountable ({name})",
        "who_data_engineering": "data engineering",
        "review_intro": (
            "The monthly review meeting (§4.7, §5.5), read only: its minutes (recorded with `kawal review`, "
            "frozen once final), then today's agenda material."
        ),
        "minutes_final": "final",
        "minutes_draft": "draft",
        "meeting_date": "Meeting date",
        "chair": "Chair",
        "attendees": "Present",
        "addendum_reason": "Reason for the addendum",
        "finalized": "Finalized",
        "discussion": "Discussion",
        "decision": "Decision",
        "repeat_tickets": "Repeated defects (on the review agenda)",
        "overdue_actions": "Overdue recovery actions",
        "minutes": "Review minutes",
        "no_minutes": "No review minutes recorded for this month.",
        "none_listed": "None.",
        "trend": "Daily trend",
        "days_covered": "Days of data",
        "cat_performance": "Performance",
        "cat_quality": "Quality",
        "cat_infrastructure": "Infrastructure",
        "cat_hr_fulfilment": "HR fulfilment",
        "cat_hr_performance": "HR performance",
        "state_open": "open",
        "state_analysed": "analysed",
        "state_plan_decided": "plan decided",
        "state_monitoring": "monitoring",
        "state_closed": "closed",
        "state_reopened": "reopened",
        "sev_minor": "minor",
        "sev_major": "major",
        "sev_critical": "critical",
        "monthly": "monthly",
    },
}


def words(lang: str) -> dict[str, str]:
    """The board's words plus the report's shared ones (status, target, actual …) for ``lang``."""
    from datetime import datetime

    from kawal.settings import site_tz

    lang = lang if lang in LANGS else DEFAULT_LANG
    zone = f"{datetime.now(site_tz()):%Z}"  # WIB by default; the site's zone (kpi_rules/site.yaml)
    return {**REPORT_LABELS[lang], **_WORDS[lang], "when": _WORDS[lang]["when"].format(zone=zone)}


def locale(lang: str) -> str:
    return LOCALES.get(lang, LOCALES[DEFAULT_LANG])
