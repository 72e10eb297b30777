"""identity: sealed node keys and the credentials a regulator issued.

Revision ID: identity_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0001"
down_revision = None
branch_labels = ("identity",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_keys",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_identity_keys"),
    )
    op.create_table(
        "identity_credentials",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("holder_did", sa.String(255), nullable=False),
        sa.Column("credential_type", sa.String(64), nullable=False),
        sa.Column("status_list", sa.String(32), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("jwt", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_identity_credentials"),
        sa.UniqueConstraint(
            "status_list",
            "status_index",
            name="uq_identity_credentials_status_list_status_index",
        ),
    )
    op.create_index("ix_identity_credentials_holder_did", "identity_credentials", ["holder_did"])


def downgrade() -> None:
    op.drop_index("ix_identity_credentials_holder_did", table_name="identity_credentials")
    op.drop_table("identity_credentials")
    op.drop_table("identity_keys")
