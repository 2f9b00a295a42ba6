"""Tables of Kawal's store.

Natural keys make every write an upsert, so a re-run of a day leaves the same rows
(idempotent by construction, docs/STYLE.md practice 3):

- a KPI value is keyed by KPI × period type × period start × scope;
- an ingestion batch by source × business day × file checksum (a corrected re-delivery of a day is a
  new batch; the earlier one is kept, marked ``superseded``, for audit).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
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
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from kawal.redaction import scrub_json, scrub_optional

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
        String(16),
        doc="'received', 'loaded' (its KPIs are in force), 'quarantined' (failed validation: kept with its "
        "result, its KPIs not_evaluable) or 'superseded' (a later delivery replaced it)",
    )
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True, doc="why the batch was quarantined")
    validation: Mapped[str | None] = mapped_column(
        Text, nullable=True, doc="JSON summary of its validation: GX suite and Kawal's cross-delivery checks"
    )

    # The store's final guard on what it keeps of a problem (kawal.redaction, issue #17): whatever
    # wrote the message, no e-mail address, URL password or identifier-long number is stored.
    @validates("reason")
    def _guard_reason(self, _key: str, value: str | None) -> str | None:
        return scrub_optional(value)

    @validates("validation")
    def _guard_validation(self, _key: str, value: str | None) -> str | None:
        return scrub_json(value)


class KpiValue(Base):
    """A KPI for one period and scope, kept as numerator and denominator (docs/PRODUCT.md: a month's value
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
    final: Mapped[bool] = mapped_column(
        Boolean, default=True, doc="the value is final: a day always, a month by kawal.kpis.month's rule"
    )

    @validates("reason", "evaluation_note")
    def _guard_message(self, _key: str, value: str | None) -> str | None:  # kawal.redaction's final guard
        return scrub_optional(value)


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
    version: Mapped[int] = mapped_column(
        Integer,
        default=0,
        server_default="0",
        doc="transitions made so far: a transition is UPDATE … WHERE state=:read AND version=:read (one winner)",
    )


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

    @validates("note")
    def _guard_note(self, _key: str, value: str | None) -> str | None:  # kawal.redaction's final guard
        return scrub_optional(value)


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

    @validates("details")
    def _guard_details(self, _key: str, value: str | None) -> str | None:  # kawal.redaction's final guard
        return scrub_json(value)


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
    state: Mapped[str] = mapped_column(
        String(16), doc="pending, sending, sent, failed, or held (a backfilled day's mail: kept, never sent)"
    )
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attachment_path: Mapped[str | None] = mapped_column(Text, nullable=True, doc="file attached, e.g. the report PDF")
    attachment_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, doc="checked before sending")
    more_attachments: Mapped[list[dict] | None] = mapped_column(
        # none_as_null: "no more files" is SQL NULL on every path; plain JSON stores None as the JSON
        # value 'null' from an ORM insert but NULL where the column is omitted, and two runs of one day
        # then leave different rows on PostgreSQL (tests/reliability)
        JSON(none_as_null=True),
        nullable=True,
        doc='further files [{"path", "sha256"}] (the month\'s XLSX), each checked before sending',
    )

    @validates("last_error")
    def _guard_error(self, _key: str, value: str | None) -> str | None:  # a server's refusal names addresses
        return scrub_optional(value)


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
    xlsx_path: Mapped[str | None] = mapped_column(Text, nullable=True, doc="the month's KPI workbook sent with it")
    xlsx_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    register_rev: Mapped[int | None] = mapped_column(Integer, nullable=True)
    complete: Mapped[bool] = mapped_column(Boolean, doc="every source delivered every day of the month")
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    forced_by: Mapped[str | None] = mapped_column(String(64), nullable=True, doc="who asked for a re-send")


# --- review minutes (§4.7, §5.5) and records (§6) -----------------------------------------------


class ReviewMinutes(Base):
    """Risalah Rapat of a month's review (§4.7, §5.5; ISO 9001 9.3-style review, 10.3 improvement).

    ``sequence`` 0 is the minutes themselves, 1, 2 … their addenda. A finalized document is frozen
    (ISO 9001 7.5.3 control of documented information): later changes go into a new addendum; the
    SHA-256 of its content is kept so the frozen text can be checked.
    """

    __tablename__ = "review_minutes"
    __table_args__ = (UniqueConstraint("month", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    month: Mapped[date] = mapped_column(Date, doc="first day of the month reviewed")
    sequence: Mapped[int] = mapped_column(Integer, doc="0 = the minutes, 1, 2 … = addenda")
    state: Mapped[str] = mapped_column(String(8), doc="'draft' or 'final'")
    meeting_date: Mapped[date] = mapped_column(Date, doc="day of the meeting; overdue items are judged on it")
    place: Mapped[str | None] = mapped_column(Text, nullable=True)
    chair: Mapped[str] = mapped_column(String(64), doc="person id: the Accountable (§4.7)")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True, doc="why an addendum was needed")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    finalized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finalized_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    content_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, doc="of the frozen content")
    version: Mapped[int] = mapped_column(
        Integer,
        default=0,
        server_default="0",
        doc="edits and transitions so far: each is UPDATE … WHERE state=:read AND version=:read (one winner)",
    )


class ReviewAttendee(Base):
    """Someone present at the review (the attendance list is objective evidence, §6)."""

    __tablename__ = "review_attendee"
    __table_args__ = (UniqueConstraint("minutes_id", "person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("review_minutes.id"))
    person: Mapped[str] = mapped_column(String(64), doc="person id of kpi_rules/people.yaml")


class ReviewItem(Base):
    """An agenda item: pre-filled from the month (a defect, a repeat breach, an overdue action, a KPI at
    risk) or added by people; ``ref`` keeps a pre-filled item unique so re-drafting adds no duplicate."""

    __tablename__ = "review_item"
    __table_args__ = (UniqueConstraint("minutes_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("review_minutes.id"))
    number: Mapped[int] = mapped_column(Integer, doc="1, 2 … within the document")
    kind: Mapped[str] = mapped_column(String(24), doc="repeat_defect, defect, data_incident, overdue_action, ...")
    ref: Mapped[str | None] = mapped_column(String(64), nullable=True, doc="e.g. 'ticket:3', 'kpi:scr'")
    ticket_id: Mapped[int | None] = mapped_column(
        Integer, nullable=True, doc="defect ticket discussed (a number, not a foreign key: records age apart)"
    )
    kpi_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    title: Mapped[str] = mapped_column(Text)
    facts: Mapped[str] = mapped_column(Text, doc="what the month's data says (pre-filled)")
    discussion: Mapped[str | None] = mapped_column(Text, nullable=True)
    decision: Mapped[str | None] = mapped_column(Text, nullable=True)


class ReviewAction(Base):
    """An action decided in the review: preventive/mitigating or curative/corrective (§4.7, §5.5),
    with owner and due date, linked to its defect ticket or KPI. Its progress (``done_on``) is tracked
    after the minutes are frozen: progress is not an edit of what was decided."""

    __tablename__ = "review_action"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("review_minutes.id"))
    item_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str] = mapped_column(String(16), doc="'preventive' (mitigating) or 'curative' (corrective)")
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(64), doc="person id")
    due_date: Mapped[date] = mapped_column(Date)
    ticket_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kpi_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    done_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    done_note: Mapped[str | None] = mapped_column(Text, nullable=True)


class LegalHold(Base):
    """A hold that stops disposal of matching records whatever their age (audit, dispute, inquiry)."""

    __tablename__ = "legal_hold"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_type: Mapped[str] = mapped_column(String(32), doc="a record type of retention.yaml, or '*'")
    ref_pattern: Mapped[str] = mapped_column(String(200), doc="shell pattern on the record's ref, e.g. '2023-*'")
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class DisposalLog(Base):
    """One disposed record (§6: never silently): what, when, why, and the checksum of what was destroyed."""

    __tablename__ = "disposal_log"
    # one successor per row: two disposals appending at once cannot fork the hash chain
    __table_args__ = (UniqueConstraint("record_type", "ref", "checksum_sha256"), UniqueConstraint("prev_sha256"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_type: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(300))
    record_date: Mapped[date] = mapped_column(Date, doc="the date the retention period counts from")
    retain_until: Mapped[date] = mapped_column(Date)
    disposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    checksum_sha256: Mapped[str] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text, doc="JSON: files with their SHA-256, rows removed")
    actor: Mapped[str] = mapped_column(String(64), doc="'kawal' (the retention DAG) or a person id")
    prev_sha256: Mapped[str] = mapped_column(
        String(64), doc="entry_sha256 of the row before (64 zeros for the first): one chain, never forked"
    )
    entry_sha256: Mapped[str] = mapped_column(
        String(64), doc="SHA-256 over this row's content and prev_sha256 (kawal.records.log_chain)"
    )


class AuditPackRecord(Base):
    """An audit pack as Kawal wrote it: its SHA-256, so ``verify-pack`` knows a pack from a look-alike."""

    __tablename__ = "audit_pack"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    month: Mapped[date] = mapped_column(Date)
    path: Mapped[str] = mapped_column(String(1000), doc="where it was written (relative to KAWAL_HOME if inside)")
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    bytes: Mapped[int] = mapped_column(Integer)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[str] = mapped_column(Text, doc="the pack's MANIFEST.json as written: every entry's SHA-256")
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DisposalSignoff(Base):
    """The month's list of expired records proposed for disposal, its digest and who decided (migration 0010)."""

    __tablename__ = "disposal_signoff"
    __table_args__ = (UniqueConstraint("month", name="uq_disposal_signoff_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    month: Mapped[date] = mapped_column(Date, doc="first day of the month of the retention run")
    as_of: Mapped[date] = mapped_column(Date, doc="the day expiry was judged on (the run's logical date, site time)")
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), doc="unanswered by then: timed_out")
    records: Mapped[str] = mapped_column(Text, doc="JSON list: type, ref, retain_until, evidence_sha256")
    digest: Mapped[str] = mapped_column(String(64), doc="SHA-256 of month, as_of and records: what is approved")
    record_count: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True, doc="a rejection's reason, what a disposal left")
    disposed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    disposed_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
