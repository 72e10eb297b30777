"""privacy: jobs, budgets, spends, participations.

Revision ID: privacy_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "privacy_0001"
down_revision = None
branch_labels = ("privacy",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_jobs",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("spec_json", sa.Text(), nullable=False),
        sa.Column("spec_digest", sa.String(80), nullable=False),
        sa.Column("dataset", sa.String(128), nullable=False),
        sa.Column("consumer", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("acceptances_json", sa.Text(), nullable=False),
        sa.Column("result_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_jobs"),
    )
    op.create_index("ix_privacy_jobs_dataset", "privacy_jobs", ["dataset"])
    op.create_index("ix_privacy_jobs_consumer", "privacy_jobs", ["consumer"])
    op.create_table(
        "privacy_budgets",
        sa.Column("dataset", sa.String(128), nullable=False),
        sa.Column("consumer", sa.String(128), nullable=False),
        sa.Column("epsilon_limit", sa.Float(), nullable=False),
        sa.Column("delta_limit", sa.Float(), nullable=False),
        sa.Column("epsilon_spent", sa.Float(), nullable=False),
        sa.Column("delta_spent", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("dataset", "consumer", name="pk_privacy_budgets"),
    )
    op.create_table(
        "privacy_spends",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset", sa.String(128), nullable=False),
        sa.Column("consumer", sa.String(128), nullable=False),
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("delta", sa.Float(), nullable=False),
        sa.Column("spent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_spends"),
        sa.UniqueConstraint("job", name="uq_privacy_spends_job"),
    )
    op.create_index("ix_privacy_spends_dataset", "privacy_spends", ["dataset"])
    op.create_table(
        "privacy_participations",
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("spec_json", sa.Text(), nullable=False),
        sa.Column("spec_digest", sa.String(80), nullable=False),
        sa.Column("coordinator", sa.String(255), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job", name="pk_privacy_participations"),
    )


def downgrade() -> None:
    op.drop_table("privacy_participations")
    op.drop_index("ix_privacy_spends_dataset", table_name="privacy_spends")
    op.drop_table("privacy_spends")
    op.drop_table("privacy_budgets")
    op.drop_index("ix_privacy_jobs_consumer", table_name="privacy_jobs")
    op.drop_index("ix_privacy_jobs_dataset", table_name="privacy_jobs")
    op.drop_table("privacy_jobs")
