"""Words of the KPI board in each language (Indonesian by default, English on request).

Status and report words are shared with the monthly report (``kawal.reports.labels``) so the board
and the PDF never call the same thing by two names.
"""

from __future__ import annotations

import re

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
        "workbook": "Unduh tabel KPI (XLSX)",
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
        # ---- #18: "my work" on the defect list
        "view_all_active": "semua tiket aktif",
        "view_mine": "tugas saya",
        "view_overdue": "lewat tenggat",
        "view_escalated": "dieskalasi",
        "view_intro_mine": (
            "Tiket aktif yang menunggu Anda: Anda PIC-nya, Anda pemilik tindakan recovery yang belum selesai, "
            "atau Anda Accountable dan keputusan recovery plan menunggu Anda."
        ),
        "view_intro_overdue": (
            "Tiket aktif dengan analisis atau tindakan recovery yang melewati tenggat (hari ini {today})."
        ),
        "view_intro_escalated": (
            "Tiket aktif yang sudah dieskalasi ke Accountable: analisis PIC "
            "atau tindakan recovery lewat tenggat (§5.3.1)."
        ),
        "view_unmapped": "Akun ini tidak terhubung ke orang di register: tidak ada tugas atas nama Anda.",
        "no_tickets_view": "Tidak ada tiket di daftar ini.",
        "next_due": "Tenggat berikutnya",
        "due_analysis": "analisis {due}",
        "due_action": "tindakan {due}",
        "overdue_word": "LEWAT TENGGAT",
        "overdue_days": "lewat {n} hari kerja",
        "due_in_days": "{n} hari kerja lagi",
        "due_today": "hari ini",
        "escalated_word": "dieskalasi",
        "why_mine_pic": "Anda PIC",
        "why_mine_owner": "tindakan Anda",
        "why_mine_decide": "menunggu keputusan Anda",
        "why_mine_data": "insiden data",
        "your_role": "Peran Anda",
        # ---- #18: everything the board shows by its label, never by a raw id
        "event_opened": "dibuka",
        "event_occurrence_added": "kejadian ditambahkan",
        "event_analysed": "analisis dikirim",
        "event_plan_decided": "recovery plan diputuskan",
        "event_verified": "tindakan kuratif selesai",
        "event_closed": "ditutup",
        "event_reopened": "dibuka kembali",
        "event_escalated": "dieskalasi ke Accountable",
        "event_action_overdue": "tindakan lewat tenggat",
        "event_severity_raised": "severity dinaikkan",
        "event_flagged_repeat": "ditandai berulang",
        "kawal_system": "Kawal (otomatis)",
        "data_engineering_team": "tim data engineering",
        "kpi_id": "Kode KPI",
        "review_kind_preventive": "preventif/mitigasi",
        "review_kind_curative": "kuratif/korektif",
        "review_status_done": "selesai",
        "review_status_open": "berjalan",
        "review_status_overdue": "lewat tenggat",
        "item_repeat_defect": "Defect berulang",
        "item_defect": "Defect KPI",
        "item_data_incident": "Insiden data",
        "item_overdue_action": "Tindakan lewat tenggat",
        "item_kpi_at_risk": "KPI berisiko",
        "item_other": "Lain-lain",
        "finalized_by": "{at} oleh {who}",
        "facts": "Fakta",
        # the stored "why" of a KPI that cannot be judged, by kind (kawal.kpis: stored in one language)
        "why_no_value_month": "tidak ada nilai tersimpan untuk bulan ini",
        "why_no_rows_day": "tidak ada baris untuk KPI ini di data hari itu",
        "why_no_denominator": "tidak ada penyebut di data bulan ini",
        "why_running_unreachable": "bulan berjalan ({covered}/{days} hari): target bulan ini tidak dapat lagi dicapai",
        "why_running_reachable": "bulan berjalan ({covered}/{days} hari): di bawah target, masih dapat dicapai",
        "why_running": "bulan berjalan ({covered}/{days} hari)",
        "why_no_revision": "KPI belum berlaku pada revisi register saat itu",
        "why_too_few_days": "hanya {valid}/{days} hari dengan data valid: bulan tidak dapat dinilai",
        "why_days_missing": "{missing} hari tanpa data valid (dikarantina/tidak terkirim)",
        "why_monthly_table": "tabel bulanan: dinilai per bulan",
        "why_other": "lihat catatan nilai tersimpan (`kawal kpis show`)",
        # the workflow's refusals, by kind (kawal.defects.workflow / lifecycle say them in English)
        "refused_not_person": (
            "Akun Anda tidak terhubung ke orang di kpi_rules/people.yaml (field "
            "airflow_user, atau id orang sama dengan login)."
        ),
        "refused_wrong_state": "Tiket #{id} berstatus «{state}»: langkah «{step}» tidak dapat dilakukan sekarang.",
        "refused_wrong_role": "Langkah «{step}» pada tiket #{id} bukan bagian Anda.",
        "refused_race": "Tiket #{id} baru saja diubah orang lain (kini «{state}»): isian Anda belum tersimpan.",
        "refused_needs_root_cause": "Analisis memerlukan akar masalah.",
        "refused_needs_recommendation": "Analisis memerlukan rekomendasi.",
        "refused_needs_curative": "Recovery plan memerlukan setidaknya satu tindakan kuratif.",
        "refused_owner_unknown": "Pemilik tindakan bukan orang di kpi_rules/people.yaml.",
        "refused_due_before_plan": "Tindakan {n} bertenggat {due}, sebelum recovery plan diputuskan ({on}).",
        "refused_on_future": "Tanggal keputusan {on} ada di masa depan (hari ini {today}).",
        "refused_on_before_open": "Tanggal keputusan {on} sebelum defect dimulai ({opened}).",
        "refused_done_future": (
            "Tanggal selesai {on} ada di masa depan (hari ini {today}): catat tindakan setelah selesai."
        ),
        "refused_done_before_open": "Tanggal selesai {on} sebelum defect dimulai ({opened}).",
        "refused_done_before_plan": (
            "Tanggal selesai {on} sebelum recovery plan diputuskan ({decided}): cek efektivitas dimulai setelah "
            "tindakan yang diputuskan selesai (ISO 9001 10.2)."
        ),
        "refused_not_effective": (
            "Tiket #{id} belum dapat ditutup: KPI baru {streak} dari {needed} periode berturut-turut on target sejak "
            "pemantauan dimulai {since} (cek efektivitas, ISO 9001 10.2)."
        ),
        "refused_too_long": "Isian «{field}» terlalu panjang: {length} karakter, paling banyak {limit}.",
        "refused_no_ticket": "Tiket #{id} tidak ada.",
        "refused_other": "Langkah ini ditolak oleh alur kerja defect. Periksa isian lalu kirim lagi.",
        "bad_date": "{field}: bukan tanggal YYYY-MM-DD.",
        "bad_date_row": "{field} (baris {row}): bukan tanggal YYYY-MM-DD.",
        "bad_plan_row": "Tindakan {kind} baris {row}: uraian, pemilik dan tenggat wajib diisi semua.",
        "form_kept": "Isian Anda masih ada di formulir di bawah: perbaiki lalu kirim lagi.",
        "field_root_cause": "akar masalah",
        "field_recommendation": "rekomendasi",
        "field_coordinated_with": "dikoordinasikan dengan",
        "field_note": "catatan",
        "field_description": "uraian tindakan",
        "field_curative_due": "tenggat tindakan kuratif",
        "field_preventive_due": "tenggat tindakan preventif",
        "field_done_on": "tanggal selesai",
    },
    "en": {
        "app": "Kawal — KPI management",
        "board": "KPI board",
        "defects": "Defects",
        "review": "Monthly review",
        "month": "Month",
        "prev_month": "‹ previous month",
        "next_month": "next month ›",
        "workbook": "Download the KPI table (XLSX)",
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
        "view_all_active": "all active tickets",
        "view_mine": "my work",
        "view_overdue": "overdue",
        "view_escalated": "escalated",
        "view_intro_mine": (
            "Active tickets waiting for you: you are their PIC, you own a recovery action not yet done, or you "
            "are the Accountable and the recovery plan waits for your decision."
        ),
        "view_intro_overdue": "Active tickets with an analysis or a recovery action past its due date (today {today}).",
        "view_intro_escalated": (
            "Active tickets already escalated to the Accountable: the PIC's analysis or a recovery action is "
            "past its due date (§5.3.1)."
        ),
        "view_unmapped": "This account is not linked to a person of the register: no work is yours.",
        "no_tickets_view": "No ticket in this list.",
        "next_due": "Next due",
        "due_analysis": "analysis {due}",
        "due_action": "action {due}",
        "overdue_word": "OVERDUE",
        "overdue_days": "{n} working days late",
        "due_in_days": "in {n} working days",
        "due_today": "today",
        "escalated_word": "escalated",
        "why_mine_pic": "you are the PIC",
        "why_mine_owner": "your action",
        "why_mine_decide": "waits for your decision",
        "why_mine_data": "data incident",
        "your_role": "Your part",
        "event_opened": "opened",
        "event_occurrence_added": "occurrence added",
        "event_analysed": "analysis submitted",
        "event_plan_decided": "recovery plan decided",
        "event_verified": "curative actions done",
        "event_closed": "closed",
        "event_reopened": "reopened",
        "event_escalated": "escalated to the Accountable",
        "event_action_overdue": "action overdue",
        "event_severity_raised": "severity raised",
        "event_flagged_repeat": "flagged as repeated",
        "kawal_system": "Kawal (automatic)",
        "data_engineering_team": "the data engineering team",
        "kpi_id": "KPI code",
        "review_kind_preventive": "preventive/mitigating",
        "review_kind_curative": "curative/corrective",
        "review_status_done": "done",
        "review_status_open": "in progress",
        "review_status_overdue": "overdue",
        "item_repeat_defect": "Repeated defect",
        "item_defect": "KPI defect",
        "item_data_incident": "Data incident",
        "item_overdue_action": "Overdue action",
        "item_kpi_at_risk": "KPI at risk",
        "item_other": "Other",
        "finalized_by": "{at} by {who}",
        "facts": "Facts",
        "why_no_value_month": "no value stored for the month",
        "why_no_rows_day": "no rows for this KPI in the day's data",
        "why_no_denominator": "no denominator in the month's data",
        "why_running_unreachable": "month under way ({covered}/{days} days): this month's target can no longer be met",
        "why_running_reachable": "month under way ({covered}/{days} days): below target, still reachable",
        "why_running": "month under way ({covered}/{days} days)",
        "why_no_revision": "the KPI was not in force in the register revision of the time",
        "why_too_few_days": "only {valid}/{days} days with valid data: the month cannot be judged",
        "why_days_missing": "{missing} days without valid data (quarantined/not delivered)",
        "why_monthly_table": "monthly table: judged per month",
        "why_other": "see the stored value's note (`kawal kpis show`)",
        "refused_not_person": (
            "Your account is not linked to a person of kpi_rules/people.yaml "
            "(field airflow_user, or a person id equal to the login)."
        ),
        "refused_wrong_state": "Ticket #{id} is «{state}»: the step «{step}» cannot be taken now.",
        "refused_wrong_role": "The step «{step}» on ticket #{id} is not yours.",
        "refused_race": (
            "Ticket #{id} was just changed by someone else (now «{state}»): what you typed is not saved yet."
        ),
        "refused_needs_root_cause": "An analysis needs a root cause.",
        "refused_needs_recommendation": "An analysis needs a recommendation.",
        "refused_needs_curative": "A recovery plan needs at least one curative action.",
        "refused_owner_unknown": "An action's owner is not a person of kpi_rules/people.yaml.",
        "refused_due_before_plan": "Action {n} is due {due}, before the plan is decided ({on}).",
        "refused_on_future": "The decision date {on} is in the future (today is {today}).",
        "refused_on_before_open": "The decision date {on} is before the defect began ({opened}).",
        "refused_done_future": "The done date {on} is in the future (today is {today}): record the actions once done.",
        "refused_done_before_open": "The done date {on} is before the defect began ({opened}).",
        "refused_done_before_plan": (
            "The done date {on} is before the recovery plan was decided ({decided}): the effectiveness check "
            "starts once the decided actions are done (ISO 9001 10.2)."
        ),
        "refused_not_effective": (
            "Ticket #{id} cannot be closed yet: the KPI has been on target for {streak} of the {needed} consecutive "
            "periods required since monitoring began on {since} (effectiveness check, ISO 9001 10.2)."
        ),
        "refused_too_long": "The field «{field}» is too long: {length} characters, at most {limit}.",
        "refused_no_ticket": "Ticket #{id} does not exist.",
        "refused_other": "The defect workflow refused this step. Check what you typed and submit again.",
        "bad_date": "{field}: not a date YYYY-MM-DD.",
        "bad_date_row": "{field} (row {row}): not a date YYYY-MM-DD.",
        "bad_plan_row": "{kind} action, row {row}: description, owner and due date are all required.",
        "form_kept": "What you typed is still in the form below: correct it and submit again.",
        "field_root_cause": "root cause",
        "field_recommendation": "recommendation",
        "field_coordinated_with": "coordinated with",
        "field_note": "note",
        "field_description": "action description",
        "field_curative_due": "curative action due date",
        "field_preventive_due": "preventive action due date",
        "field_done_on": "done date",
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


# --- the words other modules store or raise in one language, said in the board's (#18) -------------------
#
# kawal.kpis stores why a value cannot be judged as one fixed sentence per kind (Indonesian or English by
# module), and kawal.defects refuses a step with one English line per kind. The board does not translate
# that text: each kind's fixed wording is matched once, here, to a catalogue key, and only its numbers and
# dates (never a data cell) are carried over. A kind not listed falls back to a catalogue line of its own.

_WHY: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern))
    for key, pattern in (
        ("why_no_value_month", r"no value stored for the month|tidak ada nilai tersimpan untuk bulan ini"),
        ("why_no_rows_day", r"no rows for this KPI in the day's data"),
        ("why_no_denominator", r"no denominator in the month's data"),
        (
            "why_running_unreachable",
            r"bulan berjalan \((?P<covered>\d+)/(?P<days>\d+) hari\): target bulan ini tidak dapat lagi dicapai",
        ),
        (
            "why_running_reachable",
            r"bulan berjalan \((?P<covered>\d+)/(?P<days>\d+) hari\): di bawah target, masih dapat dicapai",
        ),
        ("why_running", r"bulan berjalan \((?P<covered>\d+)/(?P<days>\d+) hari\)"),
        ("why_no_revision", r"KPI belum berlaku pada revisi register saat itu"),
        ("why_too_few_days", r"hanya (?P<valid>\d+)/(?P<days>\d+) hari dengan data valid: bulan tidak dapat dinilai"),
        ("why_days_missing", r"(?P<missing>\d+) hari tanpa data valid \(dikarantina/tidak terkirim\)"),
        ("why_monthly_table", r"tabel bulanan: dinilai per bulan"),
    )
)


def why_text(text: str | None, lang: str) -> str:
    """The stored "why" of a KPI value in ``lang`` (empty when there is none)."""
    if not text or text == "—":
        return text or ""
    w = _WORDS.get(lang, _WORDS[DEFAULT_LANG])
    for key, pattern in _WHY:
        found = pattern.fullmatch(text.strip())
        if found:
            return w[key].format(**found.groupdict())
    return w["why_other"]


#: kawal.free_text.bounded's names of the fields it bounds → catalogue keys
_FIELDS = {
    "the root cause": "field_root_cause",
    "the recommendation": "field_recommendation",
    "who was coordinated with": "field_coordinated_with",
    "the note": "field_note",
}

_REFUSALS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern))
    for key, pattern in (
        ("refused_owner_unknown", r"refused: action owner .* is not among the people in kpi_rules/people\.yaml"),
        ("refused_not_person", r"refused: .* is not among the people in kpi_rules/people\.yaml"),
        ("refused_race", r"refused: ticket #(?P<id>\d+) is already (?P<state>[a-z_]+): someone else acted.*"),
        ("refused_wrong_state", r"refused: ticket #(?P<id>\d+) is (?P<state>[a-z_]+): cannot (?P<step>[a-z]+) it.*"),
        ("refused_wrong_role", r"refused: .* may not (?P<step>[a-z]+) ticket #(?P<id>\d+) .*"),
        ("refused_needs_root_cause", r"refused: an analysis needs a root cause"),
        ("refused_needs_recommendation", r"refused: an analysis needs a recommendation"),
        ("refused_needs_curative", r"refused: a recovery plan needs at least one curative action.*"),
        (
            "refused_due_before_plan",
            r"refused: action (?P<n>\d+) is due (?P<due>[\d-]+), before the plan is decided \((?P<on>[\d-]+)\)",
        ),
        ("refused_on_future", r"refused: --on (?P<on>[\d-]+) is in the future \(today is (?P<today>[\d-]+).*"),
        ("refused_on_before_open", r"refused: --on (?P<on>[\d-]+) is before the defect began \((?P<opened>[\d-]+)\)"),
        ("refused_done_future", r"refused: --done-on (?P<on>[\d-]+) is in the future \(today is (?P<today>[\d-]+)\).*"),
        (
            "refused_done_before_open",
            r"refused: actions cannot be done on (?P<on>[\d-]+), before the defect began \((?P<opened>[\d-]+)\)",
        ),
        (
            "refused_done_before_plan",
            r"refused: --done-on (?P<on>[\d-]+) is before the recovery plan was decided \((?P<decided>[\d-]+)\).*",
        ),
        (
            "refused_not_effective",
            r"refused: ticket #(?P<id>\d+) cannot be closed yet: KPI \S+ has been on target for (?P<streak>\d+) of "
            r"the (?P<needed>\d+) consecutive period\(s\) required since monitoring began on (?P<since>[\d-]+) .*",
        ),
        (
            "refused_too_long",
            r"refused: (?P<field>.+?) is (?P<length>[\d,]+) characters long; at most (?P<limit>[\d,]+) are kept.*",
        ),
        ("refused_no_ticket", r"ticket #(?P<id>\d+) does not exist.*"),
    )
)


def refusal_kind(message: str) -> tuple[str, dict[str, str]]:
    """The catalogue key of a refusal of kawal.defects (its kind) and the numbers, dates and states it
    carries; ``refused_other`` for a kind the board does not know yet."""
    for key, pattern in _REFUSALS:
        found = pattern.fullmatch(message.strip())
        if found:
            return key, found.groupdict()
    return "refused_other", {}


def refusal_text(message: str, w: dict[str, str]) -> str:
    """A refusal of kawal.defects as one line in the board's language (``w`` from :func:`words`)."""
    key, params = refusal_kind(message)
    if "state" in params:
        params["state"] = w.get(f"state_{params['state']}", params["state"])
    if "step" in params:
        params["step"] = w.get(f"step_{params['step']}", params["step"])
    if "field" in params:
        field = params["field"]
        params["field"] = (
            w["field_description"]
            if field.startswith("the description of action")
            else w.get(_FIELDS.get(field, ""), field)
        )
    return w[key].format(**params)
