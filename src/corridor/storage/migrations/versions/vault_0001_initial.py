"""vault: object metadata.

Revision ID: vault_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "vault_0001"
down_revision = None
branch_labels = ("vault",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vault_objects",
        sa.Column("object_id", sa.String(64), nullable=False),
        sa.Column("transfer", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("object_id", "transfer", "kind", name="pk_vault_objects"),
    )
    op.create_index("ix_vault_objects_transfer", "vault_objects", ["transfer"])


def downgrade() -> None:
    op.drop_index("ix_vault_objects_transfer", table_name="vault_objects")
    op.drop_table("vault_objects")
