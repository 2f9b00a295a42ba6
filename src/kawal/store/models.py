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
