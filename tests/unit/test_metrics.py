"""Kawal's counters reach a real OTLP/HTTP receiver (issue #19): the task bodies of the daily run emit
them for a seeded day, and the values equal what is computed independently from the fixture files
and the store; no attribute carries personal data."""

from __future__ import annotations

import csv
import threading
from collections import defaultdict
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kawal.demo.sources import write_demo_month
from kawal.ingest.delivery import day_file
from kawal.periods import daily_run_logical_date

DAY = date(2026, 3, 16)


class OtlpReceiver:
    """A collector's OTLP/HTTP metrics endpoint, on a free port: decodes every export with opentelemetry-proto."""

    def __init__(self) -> None:
        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
            ExportMetricsServiceRequest,
            ExportMetricsServiceResponse,
        )

        self.requests: list = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportMetricsServiceRequest()
                request.ParseFromString(body)
                receiver.requests.append((self.path, request))
                answer = ExportMetricsServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def points(self) -> list[tuple[str, str, dict, int, dict]]:
        """(path, metric, attributes, value, resource attributes) of every data point received."""
        out = []
        for path, request in self.requests:
            for rm in request.resource_metrics:
                resource = {a.key: a.value.string_value for a in rm.resource.attributes}
                for sm in rm.scope_metrics:
                    for m in sm.metrics:
                        if not m.name.startswith("kawal."):  # Airflow's own (otel_on) may arrive too
                            continue
                        kind = m.WhichOneof("data")
                        for p in getattr(m, kind).data_points:
                            attrs = {a.key: a.value.string_value for a in p.attributes}
                            out.append((path, m.name, attrs, int(p.as_int), resource))
        return out

    def totals(self) -> dict[tuple[str, tuple], int]:
        """Counters summed over the delta exports; a gauge's last value."""
        out: dict[tuple[str, tuple], int] = defaultdict(int)
        for _path, name, attrs, value, _res in self.points():
            key = (name, tuple(sorted(attrs.items())))
            out[key] = value if name == "kawal.mails_pending" else out[key] + value
        return dict(out)

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    r = OtlpReceiver()
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_SERVICE_NAME"):
        monkeypatch.delenv(name, raising=False)
    # Airflow's own settings, as docker-compose.yml sets them: Kawal's counters follow them
    monkeypatch.setenv("AIRFLOW__METRICS__OTEL_ON", "True")
    monkeypatch.setenv("AIRFLOW__METRICS__OTEL_HOST", "127.0.0.1")
    monkeypatch.setenv("AIRFLOW__METRICS__OTEL_PORT", str(r.port))
    yield r
    r.stop()


def _rows_in(path: Path) -> int:
    with path.open(newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def _query(url: str, sql: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = list(conn.execute(text(sql)))
    engine.dispose()
    return found


def test_the_daily_steps_emit_kawals_counters_to_otlp(
    receiver: OtlpReceiver, landing: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kawal.errors import SourceFileError
    from kawal.pipeline import steps

    # arrange: a seeded day; its agent_days export broken (a header the source does not have)
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(landing))
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_DEFAULT", raising=False)
    write_demo_month(DAY.replace(day=1), landing, seed=14, calls_per_day=120)
    interactions = day_file(landing, "interactions", DAY)
    expected_rows = _rows_in(interactions)
    broken = day_file(landing, "agent_days", DAY)
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("no_such_column\n1\n")
    run = daily_run_logical_date(DAY)

    # act: the task bodies, as KawalStep calls them
    steps.ingest("interactions", run)
    steps.ingest("interactions", run)  # a re-run: the same delivery, no new rows
    with pytest.raises(SourceFileError):
        steps.ingest("agent_days", run)
    steps.open_defects(run, {})
    # no SMTP relay here: delivery fails, and the gauge is still sent
    with pytest.raises(Exception):
        steps.send_notifications()

    # assert
    totals = receiver.totals()
    assert totals[("kawal.rows_ingested", (("source", "interactions"),))] == expected_rows
    assert totals[("kawal.quarantines", (("source", "agent_days"),))] == 1
    opened = {r.kind: r.n for r in _query(store_url, "SELECT kind, count(*) AS n FROM defect_ticket GROUP BY kind")}
    assert opened  # the quarantine opened a data incident (and the sources never delivered theirs)
    assert {k[1][0][1]: v for k, v in totals.items() if k[0] == "kawal.tickets_opened"} == opened
    pending = _query(store_url, "SELECT count(*) AS n FROM notification WHERE state = 'pending'")[0].n
    assert pending > 0 and totals[("kawal.mails_pending", ())] == pending
    points = receiver.points()
    assert {p[0] for p in points} == {"/v1/metrics"}
    assert {p[4]["service.name"] for p in points} == {"kawal"}
    # no personal data: only the attributes source and kind, with Kawal's identifiers as values
    assert {k for p in points for k in p[2]} <= {"source", "kind"}
    assert {v for p in points for v in p[2].values()} <= {"interactions", "agent_days", *opened}


def test_metrics_off_emits_nothing_and_a_personal_attribute_is_refused(
    receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kawal.pipeline import metrics

    metrics._emit(metrics.TICKETS_OPENED, 1, {"kind": "Rina Wulandari <rina@x.example>"})  # refused, logged
    monkeypatch.setenv("AIRFLOW__METRICS__OTEL_ON", "False")
    metrics.rows_ingested("interactions", 5)

    assert receiver.points() == []


def test_the_endpoint_follows_airflows_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from kawal.pipeline.metrics import endpoint

    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AIRFLOW__METRICS__OTEL_ON", "False")
    assert endpoint() is None
    monkeypatch.setenv("AIRFLOW__METRICS__OTEL_ON", "True")
    monkeypatch.setenv("AIRFLOW__METRICS__OTEL_HOST", "collector")
    monkeypatch.setenv("AIRFLOW__METRICS__OTEL_PORT", "4318")
    assert endpoint() == "http://collector:4318/v1/metrics"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector:4318/")  # docker-compose.yml's
    assert endpoint() == "http://otel-collector:4318/v1/metrics"
