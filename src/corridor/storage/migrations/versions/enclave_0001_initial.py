"""enclave: key broker challenges and appraisals.

Revision ID: enclave_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "enclave_0001"
down_revision = None
branch_labels = ("enclave",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enclave_challenges",
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("transfer", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("nonce", name="pk_enclave_challenges"),
    )
    op.create_index("ix_enclave_challenges_transfer", "enclave_challenges", ["transfer"])
    op.create_table(
        "enclave_appraisals",
        sa.Column("appraisal_id", sa.String(32), nullable=False),
        sa.Column("transfer", sa.String(64), nullable=False),
        sa.Column("evidence_digest", sa.String(80), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("evidence_format", sa.String(16), nullable=False),
        sa.Column("measurement", sa.String(128), nullable=True),
        sa.Column("module_id", sa.Text(), nullable=True),
        sa.Column("appraised_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("appraisal_id", name="pk_enclave_appraisals"),
    )
    op.create_index("ix_enclave_appraisals_transfer", "enclave_appraisals", ["transfer"])


def downgrade() -> None:
    op.drop_index("ix_enclave_appraisals_transfer", table_name="enclave_appraisals")
    op.drop_table("enclave_appraisals")
    op.drop_index("ix_enclave_challenges_transfer", table_name="enclave_challenges")
    op.drop_table("enclave_challenges")
