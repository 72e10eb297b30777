"""ledger: leaves, stored tree nodes, checkpoints and the append lock row.

Revision ID: ledger_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "ledger_0001"
down_revision = None
branch_labels = ("ledger",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_leaves",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("transfer", sa.String(64), nullable=False),
        sa.Column("entry_type", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("idx", name="pk_ledger_leaves"),
        sa.UniqueConstraint("digest", name="uq_ledger_leaves_digest"),
    )
    op.create_index("ix_ledger_leaves_transfer", "ledger_leaves", ["transfer"])
    op.create_index("ix_ledger_leaves_entry_type", "ledger_leaves", ["entry_type"])
    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name="pk_ledger_nodes"),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("size", name="pk_ledger_checkpoints"),
    )
    state = op.create_table(
        "ledger_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_state"),
    )
    # The one lock row appends update first (see ledger/service.py).
    op.bulk_insert(state, [{"id": 1, "size": 0}])


def downgrade() -> None:
    op.drop_table("ledger_state")
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_nodes")
    op.drop_index("ix_ledger_leaves_entry_type", table_name="ledger_leaves")
    op.drop_index("ix_ledger_leaves_transfer", table_name="ledger_leaves")
    op.drop_table("ledger_leaves")
