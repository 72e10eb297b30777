"""compliance: filing states, standing filings, counters, alerts, the chain monitor.

Revision ID: compliance_0002
Revises: compliance_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "compliance_0002"
down_revision = "compliance_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("compliance_filings") as batch:
        batch.add_column(
            sa.Column("submitted_facts_json", sa.Text(), server_default="{}", nullable=False)
        )
        batch.add_column(sa.Column("mechanism_filing_id", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("consent_digest", sa.String(80), server_default="", nullable=False)
        )
        batch.add_column(sa.Column("consent_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("state_reason", sa.Text(), server_default="", nullable=False))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "compliance_mechanism_filings",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("exporter", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(255), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=False),
        sa.Column("profile_json", sa.Text(), nullable=False),
        sa.Column("pipia_digest", sa.String(80), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_compliance_mechanism_filings"),
        sa.UniqueConstraint(
            "exporter",
            "kind",
            "reference",
            name="uq_compliance_mechanism_filings_exporter_kind_reference",
        ),
    )
    op.create_table(
        "compliance_counter_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("handler", sa.String(255), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(100), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("transfer", sa.String(64), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_compliance_counter_entries"),
        sa.UniqueConstraint("transfer", name="uq_compliance_counter_entries_transfer"),
    )
    op.create_index(
        "ix_compliance_counter_entries_handler_year",
        "compliance_counter_entries",
        ["handler", "year"],
    )
    op.create_table(
        "compliance_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(48), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("transfer", sa.String(64), nullable=True),
        sa.Column("entry_index", sa.BigInteger(), nullable=True),
        sa.Column("origin", sa.String(255), nullable=True),
        sa.Column("details_json", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(255), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_compliance_alerts"),
        sa.UniqueConstraint("dedupe_key", name="uq_compliance_alerts_dedupe_key"),
    )
    op.create_index("ix_compliance_alerts_kind", "compliance_alerts", ["kind"])
    op.create_index("ix_compliance_alerts_transfer", "compliance_alerts", ["transfer"])
    op.create_table(
        "compliance_monitor_state",
        sa.Column("origin", sa.String(255), nullable=False),
        sa.Column("vkey", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("frontier_json", sa.Text(), nullable=False),
        sa.Column("checkpoint_note", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("origin", name="pk_compliance_monitor_state"),
    )
    op.create_table(
        "compliance_chain_entries",
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("origin", sa.String(255), nullable=False),
        sa.Column("entry_type", sa.String(48), nullable=False),
        sa.Column("transfer", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("jurisdiction", sa.String(8), nullable=False),
        sa.Column("time", sa.String(32), nullable=False),
        sa.Column("digests_json", sa.Text(), nullable=False),
        sa.Column("details_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_compliance_chain_entries"),
    )
    op.create_index(
        "ix_compliance_chain_entries_entry_type", "compliance_chain_entries", ["entry_type"]
    )
    op.create_index(
        "ix_compliance_chain_entries_transfer", "compliance_chain_entries", ["transfer"]
    )


def downgrade() -> None:
    op.drop_index("ix_compliance_chain_entries_transfer", table_name="compliance_chain_entries")
    op.drop_index("ix_compliance_chain_entries_entry_type", table_name="compliance_chain_entries")
    op.drop_table("compliance_chain_entries")
    op.drop_table("compliance_monitor_state")
    op.drop_index("ix_compliance_alerts_transfer", table_name="compliance_alerts")
    op.drop_index("ix_compliance_alerts_kind", table_name="compliance_alerts")
    op.drop_table("compliance_alerts")
    op.drop_index(
        "ix_compliance_counter_entries_handler_year", table_name="compliance_counter_entries"
    )
    op.drop_table("compliance_counter_entries")
    op.drop_table("compliance_mechanism_filings")
    with op.batch_alter_table("compliance_filings") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("state_reason")
        batch.drop_column("consent_expires_at")
        batch.drop_column("consent_digest")
        batch.drop_column("mechanism_filing_id")
        batch.drop_column("submitted_facts_json")
