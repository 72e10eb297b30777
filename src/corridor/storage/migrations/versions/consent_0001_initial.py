"""consent: signed consents and their revocations.

Revision ID: consent_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "consent_0001"
down_revision = None
branch_labels = ("consent",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_records",
        sa.Column("consent_id", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("patient_did", sa.String(255), nullable=False),
        sa.Column("custodian_did", sa.String(255), nullable=False),
        sa.Column("recipient_did", sa.String(255), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_json", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consent_id", name="pk_consent_records"),
        sa.UniqueConstraint("digest", name="uq_consent_records_digest"),
    )
    op.create_index("ix_consent_records_patient_did", "consent_records", ["patient_did"])
    op.create_table(
        "consent_revocations",
        sa.Column("consent_digest", sa.String(80), nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_json", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consent_digest"],
            ["consent_records.digest"],
            name="fk_consent_revocations_consent_digest_consent_records",
        ),
        sa.PrimaryKeyConstraint("consent_digest", name="pk_consent_revocations"),
        sa.UniqueConstraint("digest", name="uq_consent_revocations_digest"),
    )


def downgrade() -> None:
    op.drop_table("consent_revocations")
    op.drop_index("ix_consent_records_patient_did", table_name="consent_records")
    op.drop_table("consent_records")
