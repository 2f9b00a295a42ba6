"""review minutes (§5.5), legal holds and the disposal log (§6)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_minutes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("chair", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("finalized_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finalized_by", sa.String(length=64), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_minutes")),
        sa.UniqueConstraint("month", "sequence", name=op.f("uq_review_minutes_month")),
    )
    op.create_table(
        "review_attendee",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("minutes_id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["minutes_id"], ["review_minutes.id"], name=op.f("fk_review_attendee_minutes_id_review_minutes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_attendee")),
        sa.UniqueConstraint("minutes_id", "person", name=op.f("uq_review_attendee_minutes_id")),
    )
    op.create_table(
        "review_item",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("minutes_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("kpi_id", sa.String(length=64), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("discussion", sa.Text(), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["minutes_id"], ["review_minutes.id"], name=op.f("fk_review_item_minutes_id_review_minutes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_item")),
        sa.UniqueConstraint("minutes_id", "number", name=op.f("uq_review_item_minutes_id")),
    )
    op.create_table(
        "review_action",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("minutes_id", sa.Integer(), nullable=False),
        sa.Column("item_number", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("kpi_id", sa.String(length=64), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("done_by", sa.String(length=64), nullable=True),
        sa.Column("done_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["minutes_id"], ["review_minutes.id"], name=op.f("fk_review_action_minutes_id_review_minutes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_action")),
    )
    op.create_table(
        "legal_hold",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("ref_pattern", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(length=64), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_hold")),
    )
    op.create_table(
        "disposal_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=300), nullable=False),
        sa.Column("record_date", sa.Date(), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=False),
        sa.Column("disposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("checksum_sha256", sa.String(length=64), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposal_log")),
        sa.UniqueConstraint("record_type", "ref", "checksum_sha256", name=op.f("uq_disposal_log_record_type")),
    )


def downgrade() -> None:
    op.drop_table("disposal_log")
    op.drop_table("legal_hold")
    op.drop_table("review_action")
    op.drop_table("review_item")
    op.drop_table("review_attendee")
    op.drop_table("review_minutes")
