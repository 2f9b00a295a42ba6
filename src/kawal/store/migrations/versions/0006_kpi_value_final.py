"""kpi_value.final: the month-final verdict stored with the value (kawal.kpis.month)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:10:00
"""

import calendar

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kpi_value") as batch:
        batch.add_column(sa.Column("final", sa.Boolean(), nullable=False, server_default=sa.true()))
    # Month values stored before this revision were final once every day was covered; the next run
    # of any day of the month stores the verdict by the new rule.
    conn = op.get_bind()
    kpi_value = sa.table(
        "kpi_value",
        sa.column("id", sa.Integer),
        sa.column("period_type", sa.String),
        sa.column("period_start", sa.Date),
        sa.column("days_covered", sa.Integer),
        sa.column("final", sa.Boolean),
    )
    under_way = [
        row.id
        for row in conn.execute(
            sa.select(kpi_value.c.id, kpi_value.c.period_start, kpi_value.c.days_covered).where(
                kpi_value.c.period_type == "month"
            )
        )
        if row.days_covered < calendar.monthrange(row.period_start.year, row.period_start.month)[1]
    ]
    if under_way:
        conn.execute(sa.update(kpi_value).where(kpi_value.c.id.in_(under_way)).values(final=False))


def downgrade() -> None:
    with op.batch_alter_table("kpi_value") as batch:
        batch.drop_column("final")
