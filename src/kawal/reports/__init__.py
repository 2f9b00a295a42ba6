"""Reports out: the monthly KPI report (Laporan Capaian KPI Bulanan, §4.6 / §5.4) — its context
(pure reads of the store), its HTML (Jinja2, pure), its PDF (WeasyPrint, the thin edge) and its
delivery to the Accountable and the Consulted lists before the 5th."""
