"""enclave: regulator-signed reference values and key broker protocol sessions.

Revision ID: enclave_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "enclave_0002"
down_revision = "enclave_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enclave_reference_values",
        sa.Column("digest", sa.String(71), nullable=False),
        sa.Column("regulator", sa.String(255), nullable=False),
        sa.Column("program", sa.String(128), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("evidence_format", sa.String(16), nullable=False),
        sa.Column("measurement", sa.String(128), nullable=False),
        sa.Column("body_json", sa.Text(), nullable=False),
        sa.Column("jws", sa.Text(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_enclave_reference_values"),
    )
    op.create_index(
        "ix_enclave_reference_values_regulator", "enclave_reference_values", ["regulator"]
    )
    op.create_index(
        "ix_enclave_reference_values_measurement", "enclave_reference_values", ["measurement"]
    )
    op.create_table(
        "enclave_kbs_sessions",
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("transfer", sa.String(64), nullable=False),
        sa.Column("tee", sa.String(16), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("appraisal_id", sa.String(32), nullable=True),
        sa.Column("tee_public_key", sa.String(64), nullable=True),
        sa.Column("appraised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name="pk_enclave_kbs_sessions"),
    )
    op.create_index("ix_enclave_kbs_sessions_transfer", "enclave_kbs_sessions", ["transfer"])


def downgrade() -> None:
    op.drop_index("ix_enclave_kbs_sessions_transfer", table_name="enclave_kbs_sessions")
    op.drop_table("enclave_kbs_sessions")
    op.drop_index("ix_enclave_reference_values_measurement", table_name="enclave_reference_values")
    op.drop_index("ix_enclave_reference_values_regulator", table_name="enclave_reference_values")
    op.drop_table("enclave_reference_values")
