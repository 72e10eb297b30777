"""transfers: each party's view of each transfer.

Revision ID: transfers_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "transfers_0001"
down_revision = None
branch_labels = ("transfers",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transfers",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("consent_json", sa.Text(), nullable=False),
        sa.Column("consent_digest", sa.String(80), nullable=False),
        sa.Column("subject", sa.String(80), nullable=False),
        sa.Column("sender_did", sa.String(255), nullable=False),
        sa.Column("recipient_did", sa.String(255), nullable=False),
        sa.Column("patient_ref", sa.String(128), nullable=False),
        sa.Column("salt_b64", sa.String(64), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.Column("evidence_json", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transfers"),
    )
    op.create_index("ix_transfers_state", "transfers", ["state"])
    op.create_index("ix_transfers_consent_digest", "transfers", ["consent_digest"])


def downgrade() -> None:
    op.drop_index("ix_transfers_consent_digest", "transfers")
    op.drop_index("ix_transfers_state", "transfers")
    op.drop_table("transfers")
