"""Records hold (issue #17): the disposal log as an append-only hash chain, the SHA-256 of every
audit pack written

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:30:00
"""

import hashlib
import json
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_GUARDED = ("UPDATE", "DELETE")
_GENESIS = "0" * 64
_CONTENT = (
    "record_type",
    "ref",
    "record_date",
    "retain_until",
    "disposed_at",
    "reason",
    "checksum_sha256",
    "details",
    "actor",
)


def _entry_sha256(row: dict, prev_sha256: str) -> str:
    """A frozen copy of kawal.records.log_chain.entry_sha256 (the store imports no package above it);
    tests/security/test_records_authority.py checks rows chained here with the live function."""

    def canonical(value):  # type: ignore[no-untyped-def]
        if isinstance(value, datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=UTC)
            return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        if isinstance(value, date):
            return value.isoformat()
        return value

    doc = {c: canonical(row[c]) for c in _CONTENT} | {"prev_sha256": prev_sha256}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("disposal_log") as batch:
        batch.add_column(sa.Column("prev_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("entry_sha256", sa.String(length=64), nullable=True))
    # rows written before this revision join the chain in their order (their content as it is now)
    conn = op.get_bind()
    log = sa.table(
        "disposal_log",
        sa.column("id", sa.Integer),
        sa.column("record_type", sa.String),
        sa.column("ref", sa.String),
        sa.column("record_date", sa.Date),
        sa.column("retain_until", sa.Date),
        sa.column("disposed_at", sa.DateTime(timezone=True)),  # read back as the code reads it: the same hash
        sa.column("reason", sa.Text),
        sa.column("checksum_sha256", sa.String),
        sa.column("details", sa.Text),
        sa.column("actor", sa.String),
        sa.column("prev_sha256", sa.String),
        sa.column("entry_sha256", sa.String),
    )
    prev = _GENESIS
    for row in conn.execute(sa.select(log).order_by(log.c.id)).mappings().all():
        digest = _entry_sha256(dict(row), prev)
        conn.execute(sa.update(log).where(log.c.id == row["id"]).values(prev_sha256=prev, entry_sha256=digest))
        prev = digest
    with op.batch_alter_table("disposal_log") as batch:
        batch.alter_column("prev_sha256", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("entry_sha256", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(op.f("uq_disposal_log_prev_sha256"), ["prev_sha256"])
    # §7.5.3.2: the log of what was destroyed is never rewritten; the store itself refuses it
    if conn.dialect.name == "sqlite":
        for verb in _GUARDED:
            op.execute(
                f"CREATE TRIGGER disposal_log_no_{verb.lower()} BEFORE {verb} ON disposal_log "
                "BEGIN SELECT RAISE(ABORT, 'disposal_log is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION kawal_disposal_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'disposal_log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER disposal_log_append_only BEFORE UPDATE OR DELETE ON disposal_log "
            "FOR EACH ROW EXECUTE FUNCTION kawal_disposal_log_append_only()"
        )

    op.create_table(
        "audit_pack",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_pack")),
    )
    op.create_index(op.f("ix_audit_pack_sha256"), "audit_pack", ["sha256"])


def downgrade() -> None:
    op.drop_table("audit_pack")
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for verb in _GUARDED:
            op.execute(f"DROP TRIGGER disposal_log_no_{verb.lower()}")
    else:
        op.execute("DROP TRIGGER disposal_log_append_only ON disposal_log")
        op.execute("DROP FUNCTION kawal_disposal_log_append_only()")
    with op.batch_alter_table("disposal_log") as batch:
        batch.drop_constraint(op.f("uq_disposal_log_prev_sha256"), type_="unique")
        batch.drop_column("entry_sha256")
        batch.drop_column("prev_sha256")
