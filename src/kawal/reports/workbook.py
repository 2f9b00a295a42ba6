"""The month's KPI table as an XLSX workbook, sent with the report's PDF (issue #18; §4.6, §5.4).

:func:`workbook_bytes` is pure (report context → bytes): the figures are the report's own, so the PDF
and the workbook can never disagree. Three sheets, headers in the report's language:

- **KPI** (en "KPIs"): one row per KPI of the register, in the report's order (category, external first):
  numerator, denominator, actual, target, warning, status, the previous month and Δ;
- **Rincian** ("Breakdowns"): the month's value per breakdown the report's context carries (channel,
  system, team: groups, never a person or a customer — ``kawal.reports.context.SHOWN_BREAKDOWNS``);
- **Keterangan** ("About"): period, document number, register revision, how a month's value is computed.

Numbers are numbers (a reader sums and filters them), with number formats; an empty cell is "no value".
No personal data beyond what the PDF shows: KPI figures only, no names in the KPI sheets.

The bytes are deterministic for a context: the document's dates and every zip entry's time are the
report's generation time, so the same month rendered twice gives the same SHA-256.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from kawal.register import Register
    from kawal.reports.context import ReportContext

#: number formats: a month's value and its target with two decimals, the sums behind it with thousands
VALUE_FORMAT = "#,##0.00"
SUM_FORMAT = "#,##0.##"
DELTA_FORMAT = "+#,##0.00;-#,##0.00;0.00"


def workbook_bytes(ctx: ReportContext | dict) -> bytes:
    """The XLSX of a month's report context (``build_context`` or its archived ``as_dict()``)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    c = ctx if isinstance(ctx, dict) else ctx.as_dict()
    L = c["labels"]
    wb = Workbook()
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor="EEF2F6")

    def table(ws, headers: list[str], rows: list[list], formats: dict[int, str], widths: list[int]) -> None:  # type: ignore[no-untyped-def]
        ws.append(headers)
        for cell in ws[1]:
            cell.font, cell.fill = header_font, header_fill
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        for row in rows:
            ws.append(row)
        for column, fmt in formats.items():
            for (cell,) in ws.iter_rows(min_row=2, min_col=column, max_col=column):
                cell.number_format = fmt
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        if rows:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"

    kpis = wb.active
    kpis.title = L["xlsx_sheet_kpis"]
    rows = []
    for category in c["categories"]:
        for k in category["lines"]:
            delta = k["value"] - k["previous"] if k["value"] is not None and k["previous"] is not None else None
            rows.append(
                [
                    category["label"],
                    k["id"],
                    k["name"],
                    k["scope"],
                    k["unit"],
                    L["xlsx_higher"] if k["direction"] == "higher_is_better" else L["xlsx_lower"],
                    k["numerator"],
                    k["denominator"],
                    k["value"],
                    k["target_value"],
                    k["warning_value"],
                    k["status_label"],
                    k["previous"],
                    delta,
                    k["change_note"] or None,
                    k["days"],
                ]
            )
    table(
        kpis,
        [
            L["category"],
            L["xlsx_kpi_id"],
            L["kpi"],
            L["scope"],
            L["xlsx_unit"],
            L["xlsx_target_rule"],
            L["xlsx_numerator"],
            L["xlsx_denominator"],
            L["actual"],
            L["target"],
            L["xlsx_warning"],
            L["status"],
            L["xlsx_previous"],
            L["change"],
            "",
            L["days"],
        ],
        rows,
        {
            7: SUM_FORMAT,
            8: SUM_FORMAT,
            9: VALUE_FORMAT,
            10: VALUE_FORMAT,
            11: VALUE_FORMAT,
            13: VALUE_FORMAT,
            14: DELTA_FORMAT,
        },
        [16, 10, 40, 10, 12, 20, 14, 14, 11, 11, 11, 16, 13, 11, 36, 10],
    )

    breakdowns = wb.create_sheet(L["xlsx_sheet_breakdowns"])
    table(
        breakdowns,
        [
            L["xlsx_kpi_id"],
            L["kpi"],
            L["xlsx_breakdown"],
            L["xlsx_unit"],
            L["xlsx_numerator"],
            L["xlsx_denominator"],
            L["actual"],
            L["target"],
            L["xlsx_warning"],
            L["status"],
        ],
        [
            [
                b["kpi"],
                b["name"],
                b["scope"],
                b["unit"],
                b["numerator"],
                b["denominator"],
                b["value"],
                b["target"],
                b["warning"],
                b["status"],
            ]
            for b in c["breakdowns"]
        ],
        {5: SUM_FORMAT, 6: SUM_FORMAT, 7: VALUE_FORMAT, 8: VALUE_FORMAT, 9: VALUE_FORMAT},
        [10, 40, 22, 12, 14, 14, 11, 11, 11, 16],
    )

    about = wb.create_sheet(L["xlsx_sheet_about"])
    for row in (
        [L["title"], c["period"]],
        [L["document_number"], c["document_number"]],
        [L["register_revision"], c["register_rev"]],
        [L["generated"], c["generated"]],
        [L["xlsx_note"]],
    ):
        about.append(row)
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 34, 40
    for (cell,) in about.iter_rows(max_col=1):
        cell.font = header_font

    when = _generated_at(c)
    wb.properties.creator = "Kawal"
    wb.properties.title = f"{L['title']} {c['period']}"
    wb.properties.created = wb.properties.modified = when
    buffer = io.BytesIO()
    wb.save(buffer)
    return _stamped(buffer.getvalue(), when)


def _generated_at(c: dict) -> datetime:
    """The report's generation time (``"2026-03-02 07:00 WIB"``), the workbook's only date."""
    try:
        return datetime.strptime(c["generated"][:16], "%Y-%m-%d %H:%M")
    except ValueError:  # a context from elsewhere: the month's first day, still deterministic
        return datetime.combine(date.fromisoformat(c["month"] + "-01"), datetime.min.time())


def _stamped(xlsx: bytes, when: datetime) -> bytes:
    """The same zip with every entry dated ``when``, and the document's "created" and "modified" too:
    openpyxl dates them with the clock when it saves, whatever the properties say."""
    import re

    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                for tag in (rb"created", rb"modified"):
                    data = re.sub(rb"(<dcterms:" + tag + rb"[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), data)
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, data)
    return out.getvalue()


def month_workbook(engine: Engine, register: Register, month: date, lang: str = "id") -> bytes:
    """The XLSX of ``month`` (its first day) from the store: for the board's download and the CLI."""
    from kawal.reports.context import build_context

    return workbook_bytes(build_context(engine, register, month, lang))
