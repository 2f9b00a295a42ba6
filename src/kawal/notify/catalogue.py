"""Every word of Kawal's mails, in Indonesian and English (issue #18): one catalogue.

The site works in Indonesian (docs/PRODUCT.md: "They work in Indonesian"), so ``SITE_LANG`` is ``id``;
a person reads their mails in their ``lang`` of ``kpi_rules/people.yaml`` (default: the site's).
The mail templates (``templates/notification.*.j2``) take their headings from ``CHROME``; the
defect, escalation, severity, data-incident and digest mails (:mod:`kawal.defects.messages`) take
every sentence from ``MAIL``; states, severities, statuses and roles are shown by their label here,
never by their stored id (``plan_decided``, ``rt``, ``data_engineering``).

A value is a :meth:`str.format` template; both languages of a key name the same fields
(tests/defects/test_mail_language.py checks it, and that an English mail carries no Indonesian word).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

SITE_LANG = "id"
LANGS = ("id", "en")

#: the headings of every notification (the report mail of kawal.reports.deliver uses them too)
CHROME: dict[str, dict[str, str]] = {
    "id": {
        "expected": "Yang diharapkan dari Anda",
        "cli": "Untuk data engineering (baris perintah):",
        "open": "Buka di Kawal",
        "period": "Periode",
        "value": "Nilai",
        "status": "Status",
        "footer": "Kawal · pengawalan KPI contact center (IK KPI Management, ISO 9001:2015). Pesan otomatis.",
        "noreply": "Pesan otomatis; balasan ke alamat ini tidak dibaca.",
        "brand": "Kawal · pengawalan KPI contact center (IK KPI Management, ISO 9001:2015)",
    },
    "en": {
        "expected": "What is expected of you",
        "cli": "For data engineering (command line):",
        "open": "Open in Kawal",
        "period": "Period",
        "value": "Value",
        "status": "Status",
        "footer": "Kawal · contact-center KPI management (work instruction, ISO 9001:2015). Automatic message.",
        "noreply": "Automatic message; replies to this address are not read.",
        "brand": "Kawal · contact-center KPI management (work instruction, ISO 9001:2015)",
    },
}

MAIL: dict[str, dict[str, str]] = {
    "id": {
        # labels of states, severities, statuses, scopes, units, roles (never the stored id)
        "state.open": "terbuka",
        "state.analysed": "sudah dianalisis",
        "state.plan_decided": "recovery plan diputuskan",
        "state.monitoring": "pemantauan",
        "state.closed": "ditutup",
        "state.reopened": "dibuka kembali",
        "severity.minor": "minor",
        "severity.major": "mayor",
        "severity.critical": "kritis",
        "status.met": "tercapai",
        "status.at_risk": "waspada",
        "status.breach": "tidak tercapai",
        "status.not_evaluable": "tidak dapat dinilai",
        "scope.external": "eksternal (kontraktual)",
        "scope.internal": "internal",
        "unit.percent": "%",
        "unit.score": "poin",
        "unit.seconds": "detik",
        "unit.minutes": "menit",
        "unit.contacts": "kontak/agen/hari",
        "unit.rating": "poin (1–5)",
        "action.curative": "kuratif",
        "action.preventive": "preventif",
        "action.curative_title": "Kuratif",
        "action.preventive_title": "Preventif",
        # fact labels
        "f.ticket": "Tiket",
        "f.kpi": "KPI",
        "f.scope": "Lingkup",
        "f.period": "Periode",
        "f.value": "Nilai",
        "f.target": "Target",
        "f.pic": "PIC",
        "f.root_cause": "Akar masalah",
        "f.coordinated": "Dikoordinasikan dengan",
        "f.recommendation": "Rekomendasi",
        "f.opened": "Dibuka",
        "f.action": "Tindakan",
        "f.kind": "Jenis",
        "f.subject": "Perihal",
        "f.source": "Sumber",
        "f.data_day": "Tanggal data",
        "f.problem": "Masalah",
        # shared pieces
        "target_rev": "{target} (register revisi {rev})",
        "recent.days": "7 hari terakhir",
        "recent.months": "6 bulan terakhir",
        "greeting": "Yth. {name},",
        "link.ticket": "Buka tiket #{id}",
        "link.tickets": "Buka daftar tiket",
        "vs": "{value} vs target {target}",
        # a KPI missed its target (§5.3.1)
        "opened.subject": "[Kawal] #{id} {kpi} ({severity}): {vs}, {day}",
        "opened.headline": "{kpi} tidak mencapai target: {value}, target {target}",
        "opened.intro": "KPI yang Anda kawal tidak mencapai target. Tiket defect #{id} telah dibuka.",
        "opened.expected": "Sesuai IK KPI Management §5.3.1: koordinasikan dengan SDM terkait, lalu sampaikan analisis "
        "akar masalah dan rekomendasi kepada Manajer Operasional paling lambat {due}. Tanpa analysis sampai tanggal "
        "itu, tiket dieskalasi ke Manajer Operasional.",
        # severity rose
        "raised.subject": "[Kawal] #{id} {kpi}: severity naik {was} → {now} ({vs}, {day})",
        "raised.headline": "Tiket #{id} ({kpi}) sekarang {now}: {value}, target {target}",
        "raised.intro": "KPI yang Anda kawal kembali tidak mencapai target; severity tiket #{id} naik dari {was} "
        "menjadi {now} (selisih terhadap target atau jumlah kejadian, kpi_rules/procedure.yaml).",
        "raised.expected": "Analisis dan rekomendasi tetap paling lambat {due} (§5.3.1).",
        # reopened (ISO 9001 10.2)
        "reopened.subject": "[Kawal] #{id} {kpi} ({severity}) dibuka kembali: {vs}",
        "reopened.headline": "{kpi} kembali tidak mencapai target: {value}, target {target}",
        "reopened.intro": "Selama pemantauan sejak {since} KPI kembali tidak mencapai target: recovery plan belum "
        "efektif (ISO 9001 10.2). Tiket dibuka kembali.",
        "reopened.expected": "Analisis ulang akar masalah dan sampaikan rekomendasi baru paling lambat {due}.",
        # the PIC's analysis (§5.3.2 next)
        "analysed.subject": "[Kawal] Analisis tiket #{id} ({kpi}) menunggu keputusan recovery plan",
        "analysed.intro": "{pic} telah menyampaikan analisis dan rekomendasi untuk tiket #{id}.",
        "analysed.expected": "Sesuai IK §5.3.2: putuskan recovery plan (langkah kuratif dengan penanggung jawab dan "
        "tenggat).",
        "analysed.cli_plan": "langkah|pemilik|YYYY-MM-DD",
        # the plan decided
        "plan.subject": "[Kawal] Recovery plan tiket #{id} ({kpi}) telah diputuskan",
        "plan.greeting": "Yth. PIC dan penanggung jawab tindakan,",
        "plan.intro": "Manajer Operasional telah memutuskan recovery plan untuk tiket #{id}.",
        "plan.action": "{what} — {owner}, tenggat {due}",
        "plan.expected": "Laksanakan tindakan sebelum tenggatnya. Setelah tindakan kuratif selesai, PIC mencatatnya "
        "agar pemantauan efektivitas dimulai.",
        # escalation: analysis overdue
        "escalation.subject": "[Kawal] Eskalasi #{id} {kpi} ({severity}): analisis lewat tenggat {due_iso}",
        "escalation.headline": "Tiket #{id} ({kpi}) belum dianalisis: tenggat {due} terlewati",
        "escalation.intro": "Analisis tiket #{id} seharusnya disampaikan paling lambat {due} ({days} hari kerja, "
        "tanpa hari libur nasional).",
        "escalation.expected": "Sampaikan analisis dan rekomendasi segera: tiket ini masuk ringkasan eskalasi harian "
        "{accountable}.",
        # a recovery action overdue
        "overdue.subject": "[Kawal] Tindakan recovery plan #{action} (tiket #{id}) melewati tenggat",
        "overdue.intro": "Tindakan berikut belum dicatat selesai padahal tenggatnya {due}.",
        "overdue.expected": "Selesaikan tindakan atau minta Manajer Operasional menyesuaikan recovery plan.",
        # effective: may be closed
        "effective.subject": "[Kawal] Tiket #{id} ({kpi}) lolos uji efektivitas dan dapat ditutup",
        "effective.intro": "Sejak pemantauan dimulai {since}, KPI mencapai target {streak} periode berturut-turut.",
        "effective.expected": "Tutup tiket bila Anda setuju recovery plan telah efektif.",
        # closed
        "closed.subject": "[Kawal] Tiket #{id} ({name}) ditutup",
        "closed.greeting": "Yth. Bapak/Ibu,",
        "closed.intro": "Tiket #{id} telah ditutup.",
        "closed.expected": "Tidak ada tindakan lebih lanjut. Riwayat tiket tersimpan sebagai rekaman (IK §6).",
        "closed.data_name": "data {source}",
        # a data incident (§5.3: not evaluable, never a false KPI defect)
        "incident.subject": "[Kawal] #{id} Insiden data: {source} {day_iso} tidak dapat diproses",
        "incident.headline": "Data {source} {day} tidak dapat diproses: KPI-nya tidak dinilai",
        "incident.greeting": "Yth. tim data engineering,",
        "incident.intro": "Data sumber {source} untuk {day} tidak dapat diproses. KPI dari sumber ini untuk hari "
        "tersebut tidak dinilai (bukan defect KPI) sampai data diperbaiki.",
        "incident.expected": "Perbaiki atau minta ulang ekspor, letakkan di folder landing, lalu jalankan ulang hari "
        "tersebut.",
        # the Accountable's daily digest of escalations
        "digest.subject": "[Kawal] Ringkasan eskalasi {day_iso}: {n} tiket",
        "digest.headline": "{n} tiket perlu perhatian Anda hari ini ({day})",
        "digest.intro": "Tiket berikut melewati tenggatnya (analisis PIC, atau tindakan recovery plan):",
        "digest.expected": "Tindak lanjuti dengan PIC atau pemilik tindakan; buka tiket untuk rinciannya.",
        "digest.analysis": "analisis PIC lewat tenggat {due_iso}",
        "digest.action": "tindakan #{action} lewat tenggat {due_iso}",
    },
    "en": {
        "state.open": "open",
        "state.analysed": "analysed",
        "state.plan_decided": "recovery plan decided",
        "state.monitoring": "monitoring",
        "state.closed": "closed",
        "state.reopened": "reopened",
        "severity.minor": "minor",
        "severity.major": "major",
        "severity.critical": "critical",
        "status.met": "met",
        "status.at_risk": "at risk",
        "status.breach": "missed",
        "status.not_evaluable": "not evaluable",
        "scope.external": "external (contractual)",
        "scope.internal": "internal",
        "unit.percent": "%",
        "unit.score": "points",
        "unit.seconds": "seconds",
        "unit.minutes": "minutes",
        "unit.contacts": "contacts/agent/day",
        "unit.rating": "points (1–5)",
        "action.curative": "curative",
        "action.preventive": "preventive",
        "action.curative_title": "Curative",
        "action.preventive_title": "Preventive",
        "f.ticket": "Ticket",
        "f.kpi": "KPI",
        "f.scope": "Scope",
        "f.period": "Period",
        "f.value": "Value",
        "f.target": "Target",
        "f.pic": "PIC",
        "f.root_cause": "Root cause",
        "f.coordinated": "Coordinated with",
        "f.recommendation": "Recommendation",
        "f.opened": "Opened",
        "f.action": "Action",
        "f.kind": "Kind",
        "f.subject": "Subject",
        "f.source": "Source",
        "f.data_day": "Data date",
        "f.problem": "Problem",
        "target_rev": "{target} (register revision {rev})",
        "recent.days": "Last 7 days",
        "recent.months": "Last 6 months",
        "greeting": "Dear {name},",
        "link.ticket": "Open ticket #{id}",
        "link.tickets": "Open the ticket list",
        "vs": "{value} vs target {target}",
        "opened.subject": "[Kawal] #{id} {kpi} ({severity}): {vs}, {day}",
        "opened.headline": "{kpi} missed its target: {value}, target {target}",
        "opened.intro": "A KPI you guard missed its target. Defect ticket #{id} has been opened.",
        "opened.expected": "Per the KPI Management work instruction §5.3.1: coordinate with the staff involved, then "
        "send the root-cause analysis and your recommendation to the Operations Manager by {due}. Without an "
        "analysis by then, the ticket is escalated to the Operations Manager.",
        "raised.subject": "[Kawal] #{id} {kpi}: severity up {was} → {now} ({vs}, {day})",
        "raised.headline": "Ticket #{id} ({kpi}) is now {now}: {value}, target {target}",
        "raised.intro": "A KPI you guard missed its target again; the severity of ticket #{id} rose from {was} to "
        "{now} (gap to target or number of occurrences, kpi_rules/procedure.yaml).",
        "raised.expected": "The analysis and recommendation are still due by {due} (§5.3.1).",
        "reopened.subject": "[Kawal] #{id} {kpi} ({severity}) reopened: {vs}",
        "reopened.headline": "{kpi} missed its target again: {value}, target {target}",
        "reopened.intro": "While monitored since {since} the KPI missed its target again: the recovery plan has not "
        "been effective (ISO 9001 10.2). The ticket is reopened.",
        "reopened.expected": "Analyse the root cause again and send a new recommendation by {due}.",
        "analysed.subject": "[Kawal] Analysis of ticket #{id} ({kpi}) awaits the recovery plan decision",
        "analysed.intro": "{pic} has sent the analysis and recommendation for ticket #{id}.",
        "analysed.expected": "Per the work instruction §5.3.2: decide the recovery plan (curative steps with owners "
        "and due dates).",
        "analysed.cli_plan": "step|owner|YYYY-MM-DD",
        "plan.subject": "[Kawal] Recovery plan of ticket #{id} ({kpi}) decided",
        "plan.greeting": "Dear PIC and action owners,",
        "plan.intro": "The Operations Manager has decided the recovery plan for ticket #{id}.",
        "plan.action": "{what} — {owner}, due {due}",
        "plan.expected": "Carry out the actions before they fall due. Once the curative actions are done, the PIC "
        "records it so that the effectiveness monitoring starts.",
        "escalation.subject": "[Kawal] Escalation #{id} {kpi} ({severity}): analysis overdue since {due_iso}",
        "escalation.headline": "Ticket #{id} ({kpi}) not analysed: due {due}, passed",
        "escalation.intro": "The analysis of ticket #{id} was due by {due} ({days} working days, public holidays "
        "excluded).",
        "escalation.expected": "Send the analysis and recommendation now: this ticket is in the daily escalation "
        "digest of {accountable}.",
        "overdue.subject": "[Kawal] Recovery plan action #{action} (ticket #{id}) is overdue",
        "overdue.intro": "The following action is not recorded as done although it was due on {due}.",
        "overdue.expected": "Finish the action or ask the Operations Manager to adjust the recovery plan.",
        "effective.subject": "[Kawal] Ticket #{id} ({kpi}) passed the effectiveness check and may be closed",
        "effective.intro": "Since monitoring started on {since}, the KPI met its target {streak} periods in a row.",
        "effective.expected": "Close the ticket if you agree the recovery plan has been effective.",
        "closed.subject": "[Kawal] Ticket #{id} ({name}) closed",
        "closed.greeting": "Dear Sir or Madam,",
        "closed.intro": "Ticket #{id} has been closed.",
        "closed.expected": "No further action. The ticket's history is kept as a record (work instruction §6).",
        "closed.data_name": "{source} data",
        "incident.subject": "[Kawal] #{id} Data incident: {source} {day_iso} could not be processed",
        "incident.headline": "{source} data of {day} could not be processed: its KPIs are not evaluated",
        "incident.greeting": "Dear data engineering team,",
        "incident.intro": "The {source} source data for {day} could not be processed. The KPIs of this source for "
        "that day are not evaluated (not a KPI defect) until the data is fixed.",
        "incident.expected": "Fix the export or ask for it again, put it in the landing folder, then re-run that day.",
        "digest.subject": "[Kawal] Escalation digest {day_iso}: {n} ticket(s)",
        "digest.headline": "{n} ticket(s) need your attention today ({day})",
        "digest.intro": "These tickets are past their due date (the PIC's analysis, or a recovery plan action):",
        "digest.expected": "Follow up with the PIC or the action owner; open the ticket for details.",
        "digest.analysis": "PIC analysis overdue since {due_iso}",
        "digest.action": "action #{action} overdue since {due_iso}",
    },
}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        from kawal.errors import KawalError

        raise KawalError(f"language {lang!r}: Kawal writes {', '.join(LANGS)}")
    return lang


@dataclass(frozen=True)
class Words:
    """The mail words of one language: ``w("opened.intro", id=4)``, dates and numbers the way it writes them."""

    lang: str = SITE_LANG

    def __call__(self, key: str, **fields: object) -> str:
        return MAIL[self.lang][key].format(**fields)

    @property
    def chrome(self) -> Mapping[str, str]:
        return CHROME[self.lang]

    def day(self, day: date) -> str:
        from babel.dates import format_date

        return format_date(day, "d MMMM y", locale=self.lang)

    def number(self, value: float | None) -> str:
        from kawal.kpis.summary import format_number

        return format_number(value, "id_ID" if self.lang == "id" else "en_GB")
