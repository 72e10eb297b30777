"""records: the FHIR store (patients and resources).

Revision ID: records_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "records_0001"
down_revision = None
branch_labels = ("records",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "records_patients",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("wallet_did", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_records_patients"),
        sa.UniqueConstraint("wallet_did", name="uq_records_patients_wallet_did"),
    )
    op.create_table(
        "records_resources",
        sa.Column("resource_type", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(255), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=True),
        sa.Column("full_url", sa.String(512), nullable=True),
        sa.Column("clinical_date", sa.Date(), nullable=True),
        sa.Column("clinical_date_last", sa.Date(), nullable=True),
        sa.Column("resource_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["records_patients.id"],
            name="fk_records_resources_patient_id_records_patients",
        ),
        sa.PrimaryKeyConstraint("resource_type", "resource_id", name="pk_records_resources"),
    )
    op.create_index("ix_records_resources_patient_id", "records_resources", ["patient_id"])
    op.create_index("ix_records_resources_full_url", "records_resources", ["full_url"])


def downgrade() -> None:
    op.drop_index("ix_records_resources_full_url", table_name="records_resources")
    op.drop_index("ix_records_resources_patient_id", table_name="records_resources")
    op.drop_table("records_resources")
    op.drop_table("records_patients")
