"""More than one attachment per mail (the report's PDF and the month's XLSX, issue #18); the
workbook's path and SHA-256 recorded with the report delivery next to the PDF's

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the first attachment stays in attachment_path/attachment_sha256 (rows already queued keep working);
    # the others are a JSON list of {"path", "sha256"}, each checked before sending like the first
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("more_attachments", sa.JSON(), nullable=True))
    with op.batch_alter_table("report_delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("xlsx_path", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("xlsx_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("report_delivery", schema=None) as batch_op:
        batch_op.drop_column("xlsx_sha256")
        batch_op.drop_column("xlsx_path")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("more_attachments")
