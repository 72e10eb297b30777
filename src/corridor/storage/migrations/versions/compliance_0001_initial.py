"""compliance: filings with signed decisions.

Revision ID: compliance_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "compliance_0001"
down_revision = None
branch_labels = ("compliance",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compliance_filings",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("transfer", sa.String(64), nullable=False),
        sa.Column("exporter", sa.String(255), nullable=False),
        sa.Column("importer", sa.String(255), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("facts_json", sa.Text(), nullable=False),
        sa.Column("privacy_record_digest", sa.String(80), nullable=False),
        sa.Column("contract_ref", sa.String(255), nullable=False),
        sa.Column("decision_json", sa.Text(), nullable=False),
        sa.Column("evidence_leaves", sa.Text(), nullable=False),
        sa.Column("evidence_first_index", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_compliance_filings"),
        sa.UniqueConstraint("transfer", name="uq_compliance_filings_transfer"),
    )


def downgrade() -> None:
    op.drop_table("compliance_filings")
