"""defect_ticket.version, review_minutes.version: transitions checked and made in one statement

Every ticket and minutes transition is ``UPDATE … SET state=:to, version=version+1 WHERE id=:id AND
state=:from AND version=:read`` and checks the row count (issue #17: two people acting at once lost an
update). A conditional UPDATE works alike on SQLite, where ``SELECT … FOR UPDATE`` is a no-op, and on
PostgreSQL, where the second UPDATE waits for the first to commit and then matches no row.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 17:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("defect_ticket", "review_minutes"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    for table in ("defect_ticket", "review_minutes"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
