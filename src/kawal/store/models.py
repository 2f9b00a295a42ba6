"""Tables of Kawal's store.

Natural keys make every write an upsert, so a re-run of a day leaves the same rows
(idempotent by construction, STYLE.md practice 3):

- a KPI value is keyed by KPI × period type × period start × scope;
- an ingestion batch by source × business day × file checksum (a corrected re-delivery of a day is a
  new batch; the earlier one is kept, marked ``superseded``, for audit).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Explicit constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class IngestionBatch(Base):
    """One delivery of one source for one business day."""

    __tablename__ = "ingestion_batch"
    __table_args__ = (UniqueConstraint("source", "business_date", "checksum_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64), doc="canonical source name, e.g. 'interactions'")
    business_date: Mapped[date] = mapped_column(Date, doc="the day the data is about (site timezone)")
    file_name: Mapped[str] = mapped_column(String(512), doc="landing file, relative to the landing dir")
    checksum_sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(
        String(16), doc="'loaded' (its KPIs are in force) or 'superseded' (a later delivery replaced it)"
    )
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class KpiValue(Base):
    """A KPI for one period and scope, kept as numerator and denominator (PRODUCT.md: a month's value
    is Σnumerator/Σdenominator, never the mean of daily ratios)."""

    __tablename__ = "kpi_value"
    __table_args__ = (UniqueConstraint("kpi_id", "period_type", "period_start", "scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kpi_id: Mapped[str] = mapped_column(String(64))
    period_type: Mapped[str] = mapped_column(String(8), doc="'day' or 'month'")
    period_start: Mapped[date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(64), doc="'all' or a breakdown such as 'channel=voice'")
    numerator: Mapped[float] = mapped_column(Float)
    denominator: Mapped[float] = mapped_column(Float)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(16), doc="'computed', or 'not_evaluable' when the denominator is zero")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("ingestion_batch.id"), nullable=True, doc="the batch that produced a day value"
    )
    days_covered: Mapped[int] = mapped_column(
        Integer, doc="days of data behind the value (1 for a day; the days present for a month)"
    )
    # Judgement against the register revision in force on the period's first day (kawal.kpis.evaluation)
    evaluation: Mapped[str] = mapped_column(String(16), doc="met, at_risk, breach or not_evaluable")
    target: Mapped[float | None] = mapped_column(Float, nullable=True)
    warning: Mapped[float | None] = mapped_column(Float, nullable=True)
    register_rev: Mapped[int | None] = mapped_column(Integer, nullable=True)
    evaluation_note: Mapped[str | None] = mapped_column(Text, nullable=True)


class DefectTicket(Base):
    """A KPI defect (§5.3.1, ISO 9001 8.7/10.2) or a data incident, through its lifecycle.

    ``active_key`` is ``kind:subject:scope`` while the ticket is not closed and NULL once closed: a
    unique constraint on it gives *one active ticket per KPI × scope* on SQLite and PostgreSQL alike
    (NULLs never collide).
    """

    __tablename__ = "defect_ticket"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), doc="'kpi_defect' or 'data_incident'")
    subject: Mapped[str] = mapped_column(String(64), doc="the KPI id, or the source of a data incident")
    scope: Mapped[str] = mapped_column(String(64), doc="value scope, e.g. 'all'")
    active_key: Mapped[str | None] = mapped_column(String(160), unique=True, nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(8), doc="minor, major or critical; only ever raised")
    external: Mapped[bool] = mapped_column(Boolean, doc="the KPI is contractual: the Accountable is copied")
    responsible: Mapped[str] = mapped_column(String(64), doc="person id (the KPI's PIC) or list id")
    opened_on: Mapped[date] = mapped_column(Date, doc="period of the first occurrence")
    notified_on: Mapped[date] = mapped_column(Date, doc="day the responsible was told (analysis clock starts)")
    analysis_due: Mapped[date] = mapped_column(Date, doc="last working day for the analysis before escalation")
    root_cause: Mapped[str | None] = mapped_column(Text, nullable=True)
    coordinated_with: Mapped[str | None] = mapped_column(Text, nullable=True)
    recommendation: Mapped[str | None] = mapped_column(Text, nullable=True)
    monitoring_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    repeat_flag: Mapped[bool] = mapped_column(Boolean, doc="breached X of the last Y periods: for the review")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DefectOccurrence(Base):
    """One missed period (or one bad delivery) counted on a ticket; never two for the same period."""

    __tablename__ = "defect_occurrence"
    __table_args__ = (UniqueConstraint("kind", "subject", "scope", "period_type", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("defect_ticket.id"))
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(64))
    period_type: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    target: Mapped[float | None] = mapped_column(Float, nullable=True)
    register_rev: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class DefectEvent(Base):
    """Append-only history of a ticket: who did what, when, from which state (ISO 9001 7.5 records)."""

    __tablename__ = "defect_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("defect_ticket.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64), doc="person id, or 'kawal' for the pipeline")
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    details: Mapped[str | None] = mapped_column(Text, nullable=True, doc="JSON")


class RecoveryAction(Base):
    """A curative or preventive action of a decided recovery plan (§5.3.2)."""

    __tablename__ = "recovery_action"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("defect_ticket.id"))
    kind: Mapped[str] = mapped_column(String(16), doc="'curative' or 'preventive'")
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(64), doc="person id")
    due_date: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class Notification(Base):
    """The outbox: a message is written once (unique ``dedup_key``) in the same transaction as the
    change it reports, then delivered and marked sent; a failed send stays pending and is retried."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("defect_ticket.id"), nullable=True)
    to_addrs: Mapped[str] = mapped_column(Text, doc="comma-separated")
    cc_addrs: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200), doc="fixed at enqueue: a resend keeps the same id")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16), doc="pending, sending or sent")
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attachment_path: Mapped[str | None] = mapped_column(Text, nullable=True, doc="file attached, e.g. the report PDF")
    attachment_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, doc="checked before sending")


class ReportDelivery(Base):
    """One edition of a month's KPI report handed to the outbox (§4.6, §5.4): what was sent, to whom,
    and the proof (SHA-256 of the PDF; time and Message-ID on its notification once sent)."""

    __tablename__ = "report_delivery"
    __table_args__ = (UniqueConstraint("month", "edition"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    month: Mapped[date] = mapped_column(Date, doc="first day of the month reported on")
    edition: Mapped[int] = mapped_column(Integer, doc="1 for the regular delivery; 2, 3 … for forced re-sends")
    lang: Mapped[str] = mapped_column(String(4))
    pdf_path: Mapped[str] = mapped_column(Text, doc="archived PDF, relative to KAWAL_HOME")
    context_path: Mapped[str] = mapped_column(Text, doc="the JSON context it was rendered from")
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    register_rev: Mapped[int | None] = mapped_column(Integer, nullable=True)
    complete: Mapped[bool] = mapped_column(Boolean, doc="every source delivered every day of the month")
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    forced_by: Mapped[str | None] = mapped_column(String(64), nullable=True, doc="who asked for a re-send")
