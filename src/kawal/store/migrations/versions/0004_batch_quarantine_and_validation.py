"""ingestion batches keep their quarantine reason and validation result

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 09:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ingestion_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("validation", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ingestion_batch", schema=None) as batch_op:
        batch_op.drop_column("validation")
        batch_op.drop_column("reason")
