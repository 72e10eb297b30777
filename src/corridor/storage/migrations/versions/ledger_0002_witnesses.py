"""ledger: witness cosignatures and finality on the log; cosigned state and alerts on witnesses.

Also leaner tree tables (docs/performance.md): leaves are unique by their 32-byte leaf
hash rather than a hex digest column, and on SQLite ``ledger_leaves.idx`` becomes the
rowid (INTEGER PRIMARY KEY) and ``ledger_nodes`` a WITHOUT ROWID table clustered on its
key, each saving one B-tree insert per leaf or node.

Revision ID: ledger_0002
Revises: ledger_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "ledger_0002"
down_revision = "ledger_0001"
branch_labels = None
depends_on = None


def _leaner_tree() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("ledger_leaves", recreate="always" if sqlite else "auto") as batch:
        # Idempotency by the 32-byte leaf hash instead of a 64-character hex digest of the
        # same bytes: half the index, one column less (the digest is computed when needed).
        batch.drop_constraint("uq_ledger_leaves_digest", type_="unique")
        batch.drop_column("digest")
        batch.create_unique_constraint("uq_ledger_leaves_leaf_hash", ["leaf_hash"])
        if sqlite:
            batch.alter_column(
                "idx",
                type_=sa.Integer(),
                existing_type=sa.BigInteger(),
                existing_nullable=False,
                autoincrement=False,
            )
    if sqlite:
        with op.batch_alter_table(
            "ledger_nodes", recreate="always", table_kwargs={"sqlite_with_rowid": False}
        ):
            pass


def upgrade() -> None:
    _leaner_tree()
    with op.batch_alter_table("ledger_checkpoints") as batch:
        batch.add_column(
            sa.Column("is_final", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("cosigned_note", sa.Text(), nullable=True))
        batch.create_index("ix_ledger_checkpoints_is_final", ["is_final"])
    op.create_table(
        "ledger_cosignatures",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("witness", sa.String(255), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("size", "witness", name="pk_ledger_cosignatures"),
    )
    op.create_table(
        "ledger_witnesses",
        sa.Column("url", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("vkey", sa.Text(), nullable=False),
        sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url", name="pk_ledger_witnesses"),
        sa.UniqueConstraint("name", name="uq_ledger_witnesses_name"),
    )
    op.create_table(
        "ledger_witnessed_logs",
        sa.Column("origin", sa.String(255), nullable=False),
        sa.Column("vkey", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("origin", name="pk_ledger_witnessed_logs"),
    )
    op.create_table(
        "ledger_witness_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("origin", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_witness_alerts"),
    )
    op.create_index("ix_ledger_witness_alerts_origin", "ledger_witness_alerts", ["origin"])


def downgrade() -> None:
    op.drop_index("ix_ledger_witness_alerts_origin", table_name="ledger_witness_alerts")
    op.drop_table("ledger_witness_alerts")
    op.drop_table("ledger_witnessed_logs")
    op.drop_table("ledger_witnesses")
    op.drop_table("ledger_cosignatures")
    with op.batch_alter_table("ledger_leaves") as batch:
        batch.drop_constraint("uq_ledger_leaves_leaf_hash", type_="unique")
        batch.add_column(sa.Column("digest", sa.String(64), nullable=True))
    with op.batch_alter_table("ledger_checkpoints") as batch:
        batch.drop_index("ix_ledger_checkpoints_is_final")
        batch.drop_column("cosigned_note")
        batch.drop_column("is_final")
